"""dlib_train's steady-state speed against the speed of its own training op.

For each case (a model config at 64x64 or 32x32) it measures

  op alone    the training op of the same graph (model_fn on one fixed batch, no
              input pipeline, hooks or summaries) in a session with the
              estimator's session config, ms per step after a warm-up;
  dlib_train  the real `dlib_train` console script in a fresh process, steady-state
              global_step/sec (median of TensorFlow's readings every 100 steps,
              the first two dropped), and its peak RSS (VmHWM);

with dlib's input pipeline (`input_pipeline.batched = False`: one observation per
Python call), the plugin's batched pipeline (the default under the plugin), and the
batched pipeline with the oneDNN bfloat16 rewrite (`mixed_precision.bfloat16 =
True`; skipped
with a note where the CPU lacks bf16). It prints, per case and setting, dlib_train
steps/s, op-alone steps/s and their ratio, and the bf16 speed-up.

  python scripts/benchmark_training.py [--steps 1000] [--op_steps 200]
                                       [--rounds 2] [--cases beta_tc_vae@64 ...]

Run it on an idle machine: the cases run one after another.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import benchmark_models  # scripts/benchmark_models.py, beside this file
from mine_plugin import pipeline
from mine_plugin.training import precision
from mine_plugin.config import gin_files
import numpy as np

# name@size -> (model config, bindings). 32x32: the MI-constrained VAE's setting.
SMALL = ["dataset.name = 'synthetic_squares_32'",
         "encoder.encoder_fn = @conv_encoder_32",
         "decoder.decoder_fn = @deconv_decoder_32", "encoder.num_latent = 3"]
CASES = {
    "beta_tc_vae@64": ("beta_tc_vae", ["dataset.name = 'synthetic_squares'"]),
    "lambda_beta_vae@64": ("lambda_beta_vae",
                           ["dataset.name = 'synthetic_squares'"]),
    "beta_tc_vae@32": ("beta_tc_vae", SMALL),
    "pairwise_mi_vae@32": ("pairwise_mi_vae", SMALL),
}
SETTINGS = ("dlib input", "batched", "batched + bf16")


def op_alone_seconds(config, bindings, steps, warmup, bf16):
  """Mean seconds per step of the model's training op on one fixed batch."""
  # pylint: disable=g-import-not-at-top,unused-import
  import gin
  from disentanglement_lib.data.ground_truth import named_data
  from disentanglement_lib.methods.unsupervised import train
  # pylint: enable=g-import-not-at-top,unused-import
  gin.clear_config()
  gin.parse_config_files_and_bindings(
      [gin_files.plugin_config("shared.gin"),
       gin_files.plugin_config("models/{}.gin".format(config))], bindings)
  data = named_data.get_named_ground_truth_data()
  batch_size = gin.query_parameter("model.batch_size")
  gin.clear_config()
  observations = data.sample_observations(
      batch_size, np.random.RandomState(0)).astype(np.float32)
  # The session config dlib_train's estimator runs with (plus the rewrite).
  session, train_op = benchmark_models.build(
      config, observations, bindings, precision.session_config(bfloat16=bf16))
  for _ in range(warmup):
    session.run(train_op)
  start = time.perf_counter()
  for _ in range(steps):
    session.run(train_op)
  seconds = (time.perf_counter() - start) / steps
  session.close()
  return seconds


def _peak_rss_kib(pid):
  try:
    with open("/proc/{}/status".format(pid)) as f:
      for line in f:
        if line.startswith("VmHWM:"):
          return int(line.split()[1])
  except OSError:
    pass
  return None


def dlib_train_rate(config, bindings, steps, batched, bf16):
  """(steady-state steps/s, peak RSS MiB) of one dlib_train run."""
  with tempfile.TemporaryDirectory() as directory:
    command = [pipeline.console_script("dlib_train"),
               "--model_dir", os.path.join(directory, "model"),
               "--gin_config", gin_files.plugin_config("shared.gin"),
               "--gin_config", gin_files.plugin_config("models/{}.gin".format(config))]
    for binding in bindings + ["model.training_steps = {}".format(steps),
                               "model.eval_steps = 1",
                               "input_pipeline.batched = {}".format(batched),
                               "mixed_precision.bfloat16 = {}".format(bf16)]:
      command += ["--gin_bindings", binding]
    log_path = os.path.join(directory, "log.txt")
    with open(log_path, "w") as log:
      process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
      peak = None
      while process.poll() is None:
        peak = _peak_rss_kib(process.pid) or peak
        time.sleep(0.5)
    with open(log_path) as f:
      output = f.read()
    if process.returncode != 0:
      raise RuntimeError("dlib_train failed:\n" + output[-3000:])
  rates = [float(r) for r in re.findall(r"global_step/sec: ([0-9.]+)", output)]
  if len(rates) < 3:
    raise RuntimeError("Too few global_step/sec readings ({}) in {} steps; use "
                       "--steps >= 500.".format(len(rates), steps))
  return statistics.median(rates[2:]), (peak or 0) / 1024.


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--steps", type=int, default=1000,
                      help="dlib_train steps per run")
  parser.add_argument("--op_steps", type=int, default=200)
  parser.add_argument("--warmup", type=int, default=50)
  parser.add_argument("--rounds", type=int, default=2,
                      help="interleaved repetitions of every measurement (this "
                           "VM's speed drifts; medians over rounds are printed)")
  parser.add_argument("--cases", nargs="+", default=list(CASES),
                      choices=list(CASES))
  args = parser.parse_args()
  try:
    precision.check_bfloat16_support(num_gpus=0)
    bf16_note = None
  except ValueError as error:
    bf16_note = str(error)
  settings = [s for s in SETTINGS if bf16_note is None or not s.endswith("bf16")]
  # (case, setting) -> per-round (dlib_train steps/s, op-alone steps/s, RSS MiB).
  runs = {}
  for round_index in range(args.rounds):
    for case in args.cases:
      config, bindings = CASES[case]
      op_rate = {bf16: 1. / op_alone_seconds(config, bindings, args.op_steps,
                                             args.warmup, bf16)
                 for bf16 in ([False] if bf16_note else [False, True])}
      for setting in settings:
        bf16 = setting.endswith("bf16")
        rate, rss = dlib_train_rate(config, bindings, args.steps,
                                    setting != "dlib input", bf16)
        runs.setdefault((case, setting), []).append((rate, op_rate[bf16], rss))
        print("round {} {:<20} {:<15} dlib_train {:6.2f} steps/s  op alone {:6.2f} "
              "steps/s  ratio {:5.1%}  peak RSS {:6.0f} MiB".format(
                  round_index, case, setting, rate, op_rate[bf16],
                  rate / op_rate[bf16], rss), flush=True)
  print()
  print("Medians over {} rounds ({} dlib_train steps per run):".format(
      args.rounds, args.steps))
  print("| case | setting | dlib_train steps/s | op alone steps/s | ratio (median of "
        "rounds) | peak RSS MiB |")
  print("|---|---|---:|---:|---:|---:|")
  for (case, setting), values in runs.items():
    rates, op_rates, rss = zip(*values)
    print("| {} | {} | {:.2f} | {:.2f} | {:.0%} | {:.0f} |".format(
        case, setting, statistics.median(rates), statistics.median(op_rates),
        statistics.median(r / o for r, o, _ in values), max(rss)))
  for case in args.cases:
    if (case, "batched + bf16") in runs:
      bf16 = [r for r, _, _ in runs[case, "batched + bf16"]]
      fp32 = [r for r, _, _ in runs[case, "batched"]]
      print("bf16 speed-up of dlib_train, {}: {:.2f}x (median over rounds of the "
            "per-round ratio)".format(
                case, statistics.median(b / f for b, f in zip(bf16, fp32))))
  if bf16_note:
    print("bf16 not measured: " + bf16_note)
  print("CPU: {} cores; measured {}".format(os.cpu_count(),
                                            time.strftime("%Y-%m-%d %H:%M")))
  return 0


if __name__ == "__main__":
  sys.exit(main())

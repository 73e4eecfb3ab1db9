"""dlib_train's steady-state speed against the speed of its own training op.

For each case (a model config at 64x64 or 32x32) and setting it runs the real
`dlib_train` console script in a fresh process and reads its steady-state
global_step/sec (median of TensorFlow's readings, one every 100 steps, the first
two dropped) and its peak RSS (VmHWM). Right before and right after that run it
times the training op of the same graph alone (model_fn on one fixed batch, no
input pipeline, hooks or summaries; a session with the estimator's session
config, the bf16 rewrite included where the setting has it), and divides: this VM's
speed drifts by 15 % and more between minutes, so the op is timed around each run,
not once per case. The settings:

  dlib as is      dlib's input pipeline (`input_pipeline.batched = False`: one
                  observation per Python call) and TPUEstimator's speed log at
                  every step (`step_log.every_n_steps = 1`), as dlib_train runs
                  without the plugin;
  plugin          the plugin's defaults: whole batches drawn and prefetched, the
                  speed logged every 100 steps;
  plugin + bf16   the same with the oneDNN bfloat16 rewrite
                  (`mixed_precision.bfloat16 = True`; left out, with a note, where
                  the CPU lacks bf16), as TensorFlow ships it, then with the dense
                  layers kept float32 (`float32_ops = DENSE_LAYER_OPS`) and with
                  only the convolutions in bf16 (`CONVOLUTIONS_ONLY`).

It prints, per round, case and setting, dlib_train steps/s, op-alone steps/s and
their ratio; then medians over rounds and each bf16 setting's speed-up (median of
the rounds' ratios to the same round's "plugin" run); then the op against the hardware:
FLOPs per step (the convolutions and matmuls the training op runs, `step_flops`),
the achieved GFLOP/s of each setting and the GFLOP/s a large matmul reaches in each
precision (measured here, not a data sheet); then the levers on the float32 op
alone: thread-pool sizes, oneDNN off (TF_ENABLE_ONEDNN_OPTS=0, in a fresh
process), and channels-first (NCHW) convolutions in dlib's 64x64 architectures
(`--levers_only` measures these alone).

  python scripts/benchmark_training.py [--steps 1000] [--op_steps 300]
                                       [--rounds 3] [--cases beta_tc_vae@64 ...]

Run it on an idle machine: the cases run one after another.
"""
import argparse
import functools
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
# setting -> (input_pipeline.batched, step_log.every_n_steps, bf16, float32_ops)
SETTINGS = {"dlib as is": (False, 1, False, ()), "plugin": (True, 100, False, ()),
            "plugin + bf16": (True, 100, True, ()),
            "plugin + bf16, dense fp32": (True, 100, True, precision.DENSE_LAYER_OPS),
            "plugin + bf16, conv only": (True, 100, True, precision.CONVOLUTIONS_ONLY)}


def _one_batch(bindings, config):
  """One fixed training batch of the case's data set."""
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
  return data.sample_observations(batch_size,
                                  np.random.RandomState(0)).astype(np.float32)


def op_alone_session(config, bindings, warmup, bf16, float32_ops=()):
  """(session, train op) of the model on one fixed batch, warmed up.

  The rewrite reads `float32_ops` from the environment when the session first
  runs the op, so the warm-up runs right away (at least one step).
  """
  observations = _one_batch(bindings, config)
  # The session config dlib_train's estimator runs with (plus the rewrite).
  precision.set_float32_ops(float32_ops if bf16 else ())
  session, train_op = benchmark_models.build(
      config, observations, bindings, precision.session_config(bf16))
  for _ in range(max(1, warmup)):
    session.run(train_op)
  return session, train_op


def op_alone_seconds(session, train_op, steps):
  """Seconds taken by `steps` runs of the training op."""
  start = time.perf_counter()
  for _ in range(steps):
    session.run(train_op)
  return time.perf_counter() - start


def _peak_rss_kib(pid):
  try:
    with open("/proc/{}/status".format(pid)) as f:
      for line in f:
        if line.startswith("VmHWM:"):
          return int(line.split()[1])
  except OSError:
    pass
  return None


def dlib_train_rate(config, bindings, steps, batched, log_every, bf16,
                    float32_ops=()):
  """(steady-state steps/s, peak RSS MiB) of one dlib_train run."""
  with tempfile.TemporaryDirectory() as directory:
    command = [pipeline.console_script("dlib_train"),
               "--model_dir", os.path.join(directory, "model"),
               "--gin_config", gin_files.plugin_config("shared.gin"),
               "--gin_config", gin_files.plugin_config("models/{}.gin".format(config))]
    for binding in bindings + ["model.training_steps = {}".format(steps),
                               "model.eval_steps = 1",
                               "input_pipeline.batched = {}".format(batched),
                               "step_log.every_n_steps = {}".format(log_every),
                               "mixed_precision.bfloat16 = {}".format(bf16),
                               "mixed_precision.float32_ops = {}".format(
                                   tuple(float32_ops))]:
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
  # Each reading is printed twice (TensorFlow's and absl's log handlers).
  rates = [float(r) for r in re.findall(
      r"^INFO:tensorflow:global_step/sec: ([0-9.e+-]+)$", output, flags=re.M)]
  if log_every == 1:
    # Readings at every step: 100 steps over their summed time per window, as a
    # 100-step reading is.
    rates = [100. / sum(1. / r for r in rates[i:i + 100])
             for i in range(0, len(rates) - 99, 100)]
  if len(rates) < 3:
    raise RuntimeError("Too few 100-step global_step/sec readings ({}) in {} "
                       "steps; use --steps >= 500.".format(len(rates), steps))
  return statistics.median(rates[2:]), (peak or 0) / 1024.


def _shape(tensor):
  return [int(d) for d in tensor.shape.as_list()]


def _ops_run_by(fetch):
  """The ops a session runs for `fetch`: its inputs and control inputs, transitively."""
  seen, stack = set(), [fetch]
  while stack:
    op = stack.pop()
    if op in seen:
      continue
    seen.add(op)
    stack.extend(t.op for t in op.inputs)
    stack.extend(op.control_inputs)
  return seen


def step_flops(train_op):
  """Floating-point operations of the convolutions and matmuls that `train_op` runs.

  Two per multiply-add, from the static shapes: a convolution, its input and its
  filter gradient each cost (output elements) x (kernel height x width x input
  channels) multiply-adds; a transposed convolution (Conv2DBackpropInput in the
  decoder's forward pass) is the gradient of a convolution. Element-wise ops,
  reductions and the optimizer's update are not counted: the result is a lower
  bound of the step's work.
  """
  total = 0
  for op in _ops_run_by(train_op):
    if op.type == "Conv2D":
      out, kernel = _shape(op.outputs[0]), _shape(op.inputs[1])
    elif op.type in ("Conv2DBackpropInput", "Conv2DBackpropFilter"):
      out = _shape(op.inputs[2])  # the convolution's output (gradient)
      kernel = (_shape(op.inputs[1]) if op.type == "Conv2DBackpropInput"
                else _shape(op.outputs[0]))
    elif op.type == "MatMul":
      a = _shape(op.inputs[0])
      inner = a[0] if op.get_attr("transpose_a") else a[1]
      total += 2 * int(np.prod(_shape(op.outputs[0]))) * inner
      continue
    else:
      continue
    total += 2 * int(np.prod(out)) * kernel[0] * kernel[1] * kernel[2]
  return total


def matmul_peak(dtype, size=4096, repeats=5):
  """GFLOP/s of a size x size matmul in `dtype` ("float32" or "bfloat16"), best of
  `repeats` after one warm-up, with TensorFlow's default threads."""
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  with tf.Graph().as_default():
    rng = np.random.RandomState(0)
    a, b = (tf.cast(tf.Variable(rng.rand(size, size).astype(np.float32)), dtype)
            for _ in range(2))
    product = tf.reduce_sum(tf.cast(tf.matmul(a, b), tf.float32))
    with tf.Session() as session:
      session.run(tf.global_variables_initializer())
      session.run(product)
      seconds = []
      for _ in range(repeats):
        start = time.perf_counter()
        session.run(product)
        seconds.append(time.perf_counter() - start)
  return 2. * size ** 3 / min(seconds) / 1e9


PEAK_SIZE = 4096
def time_by_op_type(session, train_op, steps=5):
  """{op type: share of the summed op time} over `steps` traced runs of the op.

  From TensorFlow's step stats (FULL_TRACE): each executed node's wall time,
  summed per op type (oneDNN's `_Mkl*` names kept). Ops run in parallel, so the
  shares are of the summed time, not of the step's wall time.
  """
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  totals = {}
  for _ in range(steps):
    metadata = tf.RunMetadata()
    session.run(train_op, options=tf.RunOptions(
        trace_level=tf.RunOptions.FULL_TRACE), run_metadata=metadata)
    for device in metadata.step_stats.dev_stats:
      for node in device.node_stats:
        op_type = node.timeline_label.split("(")[0].split(" = ")[-1].strip() or (
            node.node_name)
        totals[op_type] = totals.get(op_type, 0) + node.all_end_rel_micros
  whole = float(sum(totals.values()))
  return {k: v / whole for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}


def op_class(op_type):
  """Convolutions, matmuls, casts or the rest (element-wise, reductions, update)."""
  if "Conv2D" in op_type:
    return "convolutions"
  if "MatMul" in op_type:
    return "matmuls"
  if op_type == "Cast":
    return "casts"
  return "other"


# (intra-op threads, inter-op threads): TensorFlow's default (0, 0: one per core),
# then explicit settings for 2 cores.
THREADS = ((0, 0), (1, 1), (2, 1), (2, 2), (4, 1))


@functools.lru_cache(maxsize=None)
def _nchw_architectures():
  """gin-registers dlib's 64x64 conv encoder and deconv decoder with channels-first
  convolutions (`nchw_conv_encoder`, `nchw_deconv_decoder`): the same layers, sizes
  and flattening order as dlib's `conv_encoder`/`deconv_decoder` (dlib's
  architectures.py, after the beta-VAE paper's Table 1 row 3), with one transpose in
  and one out, so only the memory layout of the convolutions differs. Returns the
  two functions; registers them once per process."""
  import gin  # pylint: disable=g-import-not-at-top
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top

  def conv(x, filters, kernel, name=None, activation=tf.nn.relu):
    return tf.layers.conv2d(x, filters, kernel, strides=2, activation=activation,
                            padding="same", data_format="channels_first", name=name)

  def deconv(x, filters, activation=tf.nn.relu):
    return tf.layers.conv2d_transpose(x, filters, 4, strides=2, padding="same",
                                      activation=activation,
                                      data_format="channels_first")

  @gin.configurable("nchw_conv_encoder", allowlist=[])
  def nchw_conv_encoder(input_tensor, num_latent, is_training=True):
    del is_training
    x = tf.transpose(input_tensor, [0, 3, 1, 2])
    for filters, kernel, name in ((32, 4, "e1"), (32, 4, "e2"), (64, 2, "e3"),
                                  (64, 2, "e4")):
      x = conv(x, filters, kernel, name)
    flat = tf.layers.flatten(tf.transpose(x, [0, 2, 3, 1]))
    e5 = tf.layers.dense(flat, 256, activation=tf.nn.relu, name="e5")
    return (tf.layers.dense(e5, num_latent, name="means"),
            tf.layers.dense(e5, num_latent, name="log_var"))

  @gin.configurable("nchw_deconv_decoder", allowlist=[])
  def nchw_deconv_decoder(latent_tensor, output_shape, is_training=True):
    del is_training
    d1 = tf.layers.dense(latent_tensor, 256, activation=tf.nn.relu)
    d2 = tf.layers.dense(d1, 1024, activation=tf.nn.relu)
    x = tf.transpose(tf.reshape(d2, [-1, 4, 4, 64]), [0, 3, 1, 2])
    for filters in (64, 32, 32):
      x = deconv(x, filters)
    x = deconv(x, output_shape[2], activation=None)
    return tf.reshape(tf.transpose(x, [0, 2, 3, 1]), [-1] + output_shape)

  return nchw_conv_encoder, nchw_deconv_decoder


NCHW_BINDINGS = ["encoder.encoder_fn = @nchw_conv_encoder",
                 "decoder.decoder_fn = @nchw_deconv_decoder"]


def op_rate_with_threads(config, bindings, intra, inter, warmup, steps):
  """The float32 training op's steps/s with the given thread-pool sizes."""
  precision.set_float32_ops(())
  session_config = precision.session_config(False)
  session_config.intra_op_parallelism_threads = intra
  session_config.inter_op_parallelism_threads = inter
  observations = _one_batch(bindings, config)
  session, train_op = benchmark_models.build(config, observations, bindings,
                                             session_config)
  for _ in range(warmup):
    session.run(train_op)
  rate = steps / op_alone_seconds(session, train_op, steps)
  session.close()
  return rate


def op_rate_in_subprocess(case, env, warmup, steps):
  """The float32 op's steps/s in a fresh process with `env` added (settings read
  when TensorFlow loads, e.g. TF_ENABLE_ONEDNN_OPTS)."""
  completed = subprocess.run(
      [sys.executable, os.path.abspath(__file__), "--op_rate_only", case,
       "--warmup", str(warmup), "--op_steps", str(steps)],
      env=dict(os.environ, **env), capture_output=True, text=True)
  if completed.returncode != 0:
    raise RuntimeError("--op_rate_only {} with {} failed:\n{}".format(
        case, env, completed.stderr[-3000:]))
  return float(completed.stdout.strip().splitlines()[-1])


def print_levers(args):
  """The levers' table: thread-pool sizes, oneDNN off, channels-first convolutions."""
  print("Levers on the float32 op alone (steps/s; {} steps after {} of warm-up):".format(
      args.op_steps, args.warmup))
  print("| case | " + " | ".join("threads intra {} inter {}".format(*t)
                                for t in THREADS) +
        " | TF_ENABLE_ONEDNN_OPTS=0 | NCHW convolutions |")
  print("|---|" + "---:|" * (len(THREADS) + 2))
  _nchw_architectures()
  for case in args.cases:
    config, bindings = CASES[case]
    rates = ["{:.1f}".format(op_rate_with_threads(
        config, bindings, intra, inter, args.warmup, args.op_steps))
             for intra, inter in THREADS]
    rates.append("{:.1f}".format(op_rate_in_subprocess(
        case, {"TF_ENABLE_ONEDNN_OPTS": "0"}, args.warmup, args.op_steps)))
    # dlib's 64x64 architectures only (the 32x32 cases use the plugin's).
    rates.append("{:.1f}".format(op_rate_with_threads(
        config, bindings + NCHW_BINDINGS, 0, 0, args.warmup, args.op_steps))
                 if case.endswith("@64") else "n/a")
    print("| {} | ".format(case) + " | ".join(rates) + " |")
  print("(threads 0 = TensorFlow's default: one per core; NCHW: dlib's conv "
        "encoder/decoder with channels-first convolutions, `_nchw_architectures`)")
  print("CPU: {} cores; measured {}".format(os.cpu_count(),
                                            time.strftime("%Y-%m-%d %H:%M")))


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--steps", type=int, default=1000,
                      help="dlib_train steps per run")
  parser.add_argument("--op_steps", type=int, default=300,
                      help="training-op steps timed before and after each run")
  parser.add_argument("--warmup", type=int, default=50)
  parser.add_argument("--rounds", type=int, default=3,
                      help="interleaved repetitions of every measurement (this "
                           "VM's speed drifts; medians over rounds are printed)")
  parser.add_argument("--cases", nargs="+", default=list(CASES),
                      choices=list(CASES))
  parser.add_argument("--levers_only", action="store_true",
                      help="measure only the levers on the float32 op")
  parser.add_argument("--op_rate_only", choices=list(CASES), default=None,
                      help="print the float32 op's steps/s of one case and exit "
                           "(used for settings read when TensorFlow loads)")
  args = parser.parse_args()
  if args.op_rate_only:
    config, bindings = CASES[args.op_rate_only]
    print(op_rate_with_threads(config, bindings, 0, 0, args.warmup, args.op_steps))
    return 0
  if args.levers_only:
    print_levers(args)
    return 0
  try:
    precision.check_bfloat16_support(num_gpus=0)
    bf16_note = None
  except ValueError as error:
    bf16_note = str(error)
  settings = [s for s in SETTINGS if bf16_note is None or not SETTINGS[s][2]]
  # (case, setting) -> per-round (dlib_train steps/s, op-alone steps/s, RSS MiB).
  runs = {}
  for round_index in range(args.rounds):
    for case in args.cases:
      config, bindings = CASES[case]
      sessions = {precision_: op_alone_session(config, bindings, args.warmup,
                                               *precision_)
                  for precision_ in {SETTINGS[s][2:] for s in settings}}
      for setting in settings:
        batched, log_every, bf16, float32_ops = SETTINGS[setting]
        session = sessions[bf16, float32_ops]
        before = op_alone_seconds(*session, args.op_steps)
        rate, rss = dlib_train_rate(config, bindings, args.steps, batched,
                                    log_every, bf16, float32_ops)
        after = op_alone_seconds(*session, args.op_steps)
        op_rate = 2 * args.op_steps / (before + after)
        runs.setdefault((case, setting), []).append((rate, op_rate, rss))
        print("round {} {:<20} {:<26} dlib_train {:6.2f} steps/s  op alone {:6.2f} "
              "steps/s  ratio {:5.1%}  peak RSS {:6.0f} MiB".format(
                  round_index, case, setting, rate, op_rate, rate / op_rate, rss),
              flush=True)
      for session, _ in sessions.values():
        session.close()
  print()
  print("Medians over {} rounds ({} dlib_train steps per run, the op timed for "
        "{} steps before and after each):".format(args.rounds, args.steps,
                                                   args.op_steps))
  print("| case | setting | dlib_train steps/s | op alone steps/s | dlib_train / op "
        "(median of rounds) | peak RSS MiB |")
  print("|---|---|---:|---:|---:|---:|")
  for (case, setting), values in runs.items():
    rates, op_rates, rss = zip(*values)
    print("| {} | {} | {:.1f} | {:.1f} | {:.0%} | {:.0f} |".format(
        case, setting, statistics.median(rates), statistics.median(op_rates),
        statistics.median(r / o for r, o, _ in values), max(rss)))
  for case in args.cases:
    plugin, stock = runs[case, "plugin"], runs[case, "dlib as is"]
    line = ("{}: plugin / dlib as is {:.2f}x steps/s ({:.2f}x with each run "
            "divided by its op-alone rate)").format(
                case, statistics.median(p[0] / d[0] for p, d in zip(plugin, stock)),
                statistics.median((p[0] / p[1]) / (d[0] / d[1])
                                  for p, d in zip(plugin, stock)))
    for setting in settings:
      if SETTINGS[setting][2]:
        line += "; {}: dlib_train {:.2f}x, op alone {:.2f}x".format(
            setting, statistics.median(b[0] / f[0] for b, f in
                                       zip(runs[case, setting], plugin)),
            statistics.median(b[1] / f[1] for b, f in
                              zip(runs[case, setting], plugin)))
    print(line + " (medians of the rounds' ratios); peak RSS {:+.1%} against dlib "
          "as is (largest of the rounds)".format(
              max(r for _, _, r in plugin) / max(r for _, _, r in stock) - 1))
  if bf16_note:
    print("bf16 not measured: " + bf16_note)
  print()
  print("The op against the hardware: a {0}x{0} matmul reaches".format(PEAK_SIZE))
  peaks = {"float32": matmul_peak("float32", PEAK_SIZE)}
  if bf16_note is None:
    peaks["bfloat16"] = matmul_peak("bfloat16", PEAK_SIZE)
  for dtype, peak in peaks.items():
    print("  {:<9} {:7.1f} GFLOP/s (best of 5, TensorFlow's default threads)".format(
        dtype, peak))
  print("| case | setting | GFLOP/step (convolutions + matmuls) | op alone GFLOP/s "
        "| of the matmul peak in its precision |")
  print("|---|---|---:|---:|---:|")
  shares = {}
  for case in args.cases:
    config, bindings = CASES[case]
    session, train_op = op_alone_session(config, bindings, 1, False)
    flops = step_flops(train_op)
    session.close()
    for setting in settings:
      achieved = flops * statistics.median(r[1] for r in runs[case, setting]) / 1e9
      peak = peaks["bfloat16" if SETTINGS[setting][2] else "float32"]
      print("| {} | {} | {:.3f} | {:.1f} | {:.0%} |".format(
          case, setting, flops / 1e9, achieved, achieved / peak))
      if setting != "dlib as is":
        session, train_op = op_alone_session(config, bindings, args.warmup,
                                             *SETTINGS[setting][2:])
        shares[case, setting] = time_by_op_type(session, train_op)
        session.close()
  print()
  print("Where the op's time goes (share of the summed op time, 5 traced steps):")
  classes = ("convolutions", "matmuls", "casts", "other")
  print("| case | setting | " + " | ".join(classes) + " | largest op types |")
  print("|---|---|" + "---:|" * len(classes) + "---|")
  for (case, setting), by_type in shares.items():
    by_class = {c: 0. for c in classes}
    for op_type, share in by_type.items():
      by_class[op_class(op_type)] += share
    print("| {} | {} | ".format(case, setting) + " | ".join(
        "{:.0%}".format(by_class[c]) for c in classes) + " | " + ", ".join(
            "{} {:.0%}".format(t, v) for t, v in list(by_type.items())[:4]) + " |")
  print()
  print_levers(args)
  return 0


if __name__ == "__main__":
  sys.exit(main())

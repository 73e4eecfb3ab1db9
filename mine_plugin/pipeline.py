"""dlib's chain for one model: train -> visualize -> postprocess -> evaluate, one call.

Mirrors bin/dlib_reproduce of disentanglement_lib 1.5: the same steps, configs in
sorted order, seeds from one `np.random.RandomState(0)`, and dlib's layout
(`config/reproduce.py`): <model_dir>/model/, visualizations/, postprocessed/<post>/,
metrics/<post>/<metric>/. gin and TF graphs are process-global: `reproduce` runs one
model per fresh process; `run_pipeline` starts one and returns the scores.
"""
import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import time

from mine_plugin import chain_progress
from mine_plugin.config import gin_files
from mine_plugin.training import resume as resume_lib
from mine_plugin.utils import terminal_bar

LOG = "pipeline.log"
# Relative to a metric's directory.
SCORES_FILE = os.path.join("results", "json", "evaluation_results.json")
AGGREGATE_FILE = os.path.join("results", "aggregate", "evaluation.json")


PipelineResult = collections.namedtuple(
    "PipelineResult", ["model_dir", "scores", "result_files", "visualizations"])

def config_name(path):
  """A gin config's name as dlib_reproduce uses it: its file name without .gin."""
  name = os.path.basename(path)
  return name[:-len(".gin")] if name.endswith(".gin") else name


def metric_dir(model_dir, postprocess_config, metric_config):
  """Where dlib_reproduce evaluates a metric config on a representation.

  The configs are paths or names; with `model_dir` "" the path is relative to a
  model's directory.
  """
  return os.path.join(model_dir, "metrics", config_name(postprocess_config),
                      config_name(metric_config))


def read_scores(directory):
  """The metric values dlib_evaluate wrote: `evaluation_results.json` minus timing."""
  with open(os.path.join(directory, SCORES_FILE)) as results_file:
    results = json.load(results_file)
  return {key: value for key, value in results.items() if key != "elapsed_time"}


def reproduce(model_dir, train_configs, train_bindings=(), postprocess_configs=(),
              metric_configs=(), metric_bindings=(), visualize=True, resume=False):
  """Trains, visualizes, postprocesses and evaluates one model as dlib_reproduce does.

  Must run in a process of its own (gin and the TF graph are global). Prints one
  line per step, with the seconds since the start.

  Args:
    model_dir: the model's directory (dlib_reproduce's output_directory); its
      `model/` must not exist yet, unless `resume`.
    train_configs: gin files for training, in order.
    train_bindings: gin bindings for training, after the files.
    postprocess_configs: gin files of the representations to extract.
    metric_configs: gin files of the metrics to compute on every representation
      (a plugin representation only with its own metrics:
      `gin_files.evaluated_together`; the seeds stay dlib_reproduce's).
    metric_bindings: extra bindings for every metric, after dlib_reproduce's seed
      and name (e.g. "mig.num_train = 100" for a quick check).
    visualize: whether to run dlib's visualize_model, as dlib_reproduce does.
    resume: train with `resume.enabled = True` (mine_plugin/training/resume.py): an
      unfinished `model/` that this chain started continues from its checkpoint,
      and a stopped training keeps its checkpoints for the next run.
  """
  # pylint: disable=g-import-not-at-top
  from disentanglement_lib.evaluation import evaluate
  from disentanglement_lib.methods.unsupervised import train
  from disentanglement_lib.postprocessing import postprocess
  from disentanglement_lib.visualize import visualize_model
  import numpy as np
  # pylint: enable=g-import-not-at-top
  start = time.time()

  def step(message):
    print("[{:7.1f}s] {}".format(time.time() - start, message), flush=True)

  postprocess_configs = sorted(str(c) for c in postprocess_configs)
  metric_configs = sorted(str(c) for c in metric_configs)
  evaluated = [(post, metric) for post in postprocess_configs
               for metric in metric_configs
               if gin_files.evaluated_together(config_name(post), config_name(metric))]
  num_phases = 1 + visualize + len(postprocess_configs) + len(evaluated)
  phases = iter(range(1, num_phases + 1))

  def phase(message):
    """A step numbered among the chain's steps (chain_progress reads them)."""
    step("({}/{}) {}".format(next(phases), num_phases, message))

  trained_dir = os.path.join(model_dir, "model")
  train_configs = [str(c) for c in train_configs]
  train_bindings = list(train_bindings)
  state = "new"
  if resume:
    train_bindings.append("resume.enabled = True")
    state = _training_state(trained_dir, train_configs, train_bindings)

  def redo(directory, step_name, message):
    """Starts the phase; False when `resume` finds its results complete (kept). A
    partial output of an earlier run of this chain is removed first."""
    if resume and resume_lib.is_finished(directory, step_name):
      phase("{} finished before; kept.".format(message.rstrip(".")))
      return False
    if resume and os.path.exists(directory):
      shutil.rmtree(directory)
    phase(message)
    return True

  if state == "finished":
    phase("The training in {} finished before; kept.".format(trained_dir))
  else:
    phase("{} with {} and bindings:\n  {}".format(
        "Resuming the training" if state == "resume" else "Training",
        ", ".join(train_configs), "\n  ".join(train_bindings)))
    length = _training_length(train_configs, train_bindings)
    if length is not None:
      print(chain_progress.length_line(*length), flush=True)
    train.train_with_gin(trained_dir, False, train_configs, train_bindings)
  if visualize:
    phase("Visualizing...")
    visualizations = os.path.join(model_dir, "visualizations")
    if resume and os.path.exists(visualizations):
      shutil.rmtree(visualizations)
    visualize_model.visualize(trained_dir, visualizations)

  # dlib_reproduce's seeds: one master RandomState(0) for all postprocessing and
  # evaluation configs, in sorted order.
  random_state = np.random.RandomState(0)
  for config in postprocess_configs:
    post_name = config_name(config)
    post_seed = random_state.randint(2**32)
    output = os.path.join(model_dir, "postprocessed", post_name)
    if not redo(output, "postprocess",
                "Extracting representation {}...".format(post_name)):
      continue
    postprocess.postprocess_with_gin(
        trained_dir, output, False,
        [config], ["postprocess.random_seed = {}".format(post_seed),
                   "postprocess.name = '{}'".format(post_name)])
  for config in postprocess_configs:
    post_name = config_name(config)
    for metric_config in metric_configs:
      metric_name = config_name(metric_config)
      seed = random_state.randint(2**32)
      if (config, metric_config) not in evaluated:
        continue
      output = metric_dir(model_dir, config, metric_config)
      if not redo(output, "evaluation", "Computing metric {} on {}...".format(
          metric_name, post_name)):
        continue
      evaluate.evaluate_with_gin(
          os.path.join(model_dir, "postprocessed", post_name),
          output, False, [metric_config],
          ["evaluation.random_seed = {}".format(seed),
           "evaluation.name = '{}'".format(metric_name)] + list(metric_bindings))
  step("Done.")


def _training_state(trained_dir, train_configs, train_bindings):
  """resume_lib.continuation of `trained_dir` under these training settings, read as
  dlib_train reads them (raises resume_lib.NotResumable)."""
  import gin  # pylint: disable=g-import-not-at-top
  gin.parse_config_files_and_bindings(train_configs, train_bindings)
  try:
    return resume_lib.continuation(trained_dir, gin.config_str(),
                                   gin.query_parameter("model.training_steps"))
  finally:
    gin.clear_config()


def _training_length(train_configs, train_bindings):
  """(model.training_steps, step_log.every_n_steps) as train_with_gin will read
  them, or None where the configs do not parse here (train_with_gin then says why).
  """
  import gin  # pylint: disable=g-import-not-at-top
  from mine_plugin.training import step_log  # pylint: disable=g-import-not-at-top
  try:
    gin.parse_config_files_and_bindings(train_configs, train_bindings)
    steps = gin.query_parameter("model.training_steps")
    every_n_steps = step_log.every_n_steps()
  except Exception:  # pylint: disable=broad-except
    return None
  finally:
    gin.clear_config()
  return (steps, every_n_steps) if isinstance(steps, int) else None


def log_training_lines():
  """Lets TensorFlow's INFO lines through (step, loss, global_step/sec), as under
  dlib's console scripts, where absl's app.run lowers the root logger's level."""
  import logging as python_logging  # pylint: disable=g-import-not-at-top
  from absl import logging  # pylint: disable=g-import-not-at-top
  logging.set_verbosity(logging.INFO)
  python_logging.getLogger("tensorflow").setLevel(python_logging.INFO)


def console_script(name):
  """Path of one of dlib's console scripts in the running environment."""
  candidate = os.path.join(os.path.dirname(sys.executable), name)
  if os.path.exists(candidate):
    return candidate
  found = shutil.which(name)
  if found is None:
    raise FileNotFoundError(
        "dlib's console script {!r} is not installed next to {} nor on PATH. "
        "Install disentanglement_lib as the README says: "
        "pip install --no-deps disentanglement-lib==1.5".format(name, sys.executable))
  return found


def _run(name, command, log_path=None):
  """Runs `command`; raises with its output on failure.

  With `log_path`, the command and its output are appended to that file while it
  runs (follow a long training with `tail -f`); otherwise the output is captured.
  """
  if log_path is None:
    completed = subprocess.run(command, capture_output=True, text=True)
    output = completed.stdout + completed.stderr
  else:
    with open(log_path, "a") as log:
      log.write("$ {}\n".format(" ".join(command)))
      log.flush()
      start = log.tell()
      completed = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT)
    with open(log_path, errors="replace") as log:
      log.seek(start)
      output = log.read()
  if completed.returncode != 0:
    raise RuntimeError("{} failed with exit code {}:\n$ {}\n{}".format(
        name, completed.returncode, " ".join(command), output[-4000:]))
  return completed


def run_dlib(script, flags, log_path=None):
  """Runs a dlib console script with absl flags; raises with its output on failure."""
  return _run(script, [console_script(script)] + list(flags), log_path)


def run_pipeline(model_dir, train_configs, train_bindings=(),
                 postprocess=("mean",), metrics=("mig", "dci"),
                 metric_bindings=(), visualize=False, progress=None):
  """Runs `reproduce` on one model in a fresh process; its output goes to pipeline.log.

  Args:
    model_dir: New directory for everything the run writes. It must not exist:
      nothing a user already has is overwritten.
    train_configs: gin files for training (e.g. gin_configs/shared.gin and a
      file of gin_configs/models/).
    train_bindings: extra gin bindings for training.
    postprocess: names of dlib's unsupervised_study_v1 postprocessing configs to
      apply ("mean", "sampled"), or of the plugin's ("gaussian_posterior").
    metrics: names of dlib's unsupervised_study_v1 metric configs ("mig", "dci",
      ...) or the plugin's ("latent_dependence"), each evaluated on the
      representations it applies to (`gin_files.evaluated_together`).
    metric_bindings: extra gin bindings for every metric (e.g. smaller
      `mig.num_train` for a quick check).
    visualize: also run dlib's visualize_model on the trained model.
    progress: a stream on which a terminal shows a progress bar of the chain
      while it runs (the main job: sys.stdout); on another stream, or None,
      nothing is drawn.

  Returns:
    PipelineResult; `scores[postprocess_name][metric_name]` is dlib's result dict,
    in the order of `postprocess` and `metrics`.
  """
  if os.path.exists(model_dir):
    raise FileExistsError(
        "Model directory {} already exists; choose a new one (nothing is "
        "overwritten).".format(model_dir))
  postprocess_configs = [gin_files.named_config("postprocess", name)
                         for name in postprocess]
  metric_configs = [gin_files.named_config("metric", name) for name in metrics]
  os.makedirs(model_dir)
  command = [sys.executable, "-m", "mine_plugin.pipeline", "--model_dir=" + model_dir]
  command += ["--gin_config=" + str(path) for path in train_configs]
  command += ["--gin_bindings=" + binding for binding in train_bindings]
  command += ["--postprocess_config=" + path for path in postprocess_configs]
  command += ["--metric_config=" + path for path in metric_configs]
  command += ["--metric_gin_bindings=" + binding for binding in metric_bindings]
  if not visualize:
    command.append("--no_visualize")
  log_path = os.path.join(model_dir, LOG)
  chain_log, start = chain_progress.ChainLog(log_path), time.time()

  def bar_text():
    state = chain_log.update()
    return terminal_bar.BarText(chain_progress.format_seconds(time.time() - start),
                                state.fraction(), state.describe())

  with terminal_bar.LiveBar(progress, bar_text):
    _run("mine_plugin.pipeline", command, log_path)
  scores = collections.OrderedDict()
  result_files = []
  for post_name in postprocess:
    scores[post_name] = collections.OrderedDict()
    for metric_name in metrics:
      if not gin_files.evaluated_together(post_name, metric_name):
        continue
      directory = metric_dir(model_dir, post_name, metric_name)
      scores[post_name][metric_name] = read_scores(directory)
      result_files.append(os.path.join(directory, SCORES_FILE))
  visualizations = (os.path.join(model_dir, "visualizations") if visualize
                    else None)
  return PipelineResult(model_dir, scores, result_files, visualizations)


def _parse_args(argv):
  parser = argparse.ArgumentParser(
      description="Runs dlib_reproduce's chain on one model (see run_pipeline).")
  parser.add_argument("--model_dir", required=True)
  parser.add_argument("--gin_config", action="append", default=[],
                      help="training config (repeatable, in order)")
  parser.add_argument("--gin_bindings", action="append", default=[])
  parser.add_argument("--postprocess_config", action="append", default=[])
  parser.add_argument("--metric_config", action="append", default=[])
  parser.add_argument("--metric_gin_bindings", action="append", default=[])
  parser.add_argument("--no_visualize", action="store_true")
  return parser.parse_args(argv)


def main(argv=None):
  args = _parse_args(sys.argv[1:] if argv is None else argv)
  log_training_lines()
  reproduce(args.model_dir, args.gin_config, args.gin_bindings,
            args.postprocess_config, args.metric_config, args.metric_gin_bindings,
            visualize=not args.no_visualize)


if __name__ == "__main__":
  main()

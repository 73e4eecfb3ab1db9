"""dlib's own pipeline, train -> postprocess -> evaluate (-> visualize), as one call.

Each step runs one of disentanglement_lib's unchanged console scripts in a
subprocess, exactly as a researcher would type it, so what this module proves
about the plugin holds for `dlib_train`/`dlib_postprocess`/`dlib_evaluate`/
`dlib_visualize_model` themselves. The directory layout is dlib's
(`unsupervised_study_v1`, see `disentanglement_lib/config/reproduce.py`):

    <model_dir>/model/                      dlib_train: tf_checkpoint/, tfhub/, results/
    <model_dir>/postprocessed/<name>/       dlib_postprocess: tfhub/, results/
    <model_dir>/metrics/<name>/<metric>/    dlib_evaluate: results/json/evaluation_results.json
    <model_dir>/visualizations/             dlib_visualize_model: animated_traversals/*.gif, ...

`gin_configs/` ships the postprocessing and metric configs under the same names
(`postprocess/mean.gin`, `metrics/mig.gin`, ...).
"""
import collections
import json
import os
import pathlib
import shutil
import subprocess
import sys



def _gin_configs_dir():
  """gin_configs/ of the checkout, else the copy installed inside the package."""
  package = pathlib.Path(__file__).resolve().parent
  for candidate in (package.parent / "gin_configs", package / "gin_configs"):
    if (candidate / "shared.gin").is_file():
      return candidate
  raise FileNotFoundError(
      "mine_plugin's gin_configs/ were found neither next to {} nor inside it; "
      "reinstall with `pip install <mine_plugin checkout>`.".format(package))


GIN_CONFIGS = _gin_configs_dir()

PipelineResult = collections.namedtuple(
    "PipelineResult", ["model_dir", "scores", "result_files", "visualizations"])


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


def gin_config(relative_path):
  """Absolute path of a file under gin_configs/, e.g. 'metrics/mig.gin'."""
  path = GIN_CONFIGS / relative_path
  if not path.is_file():
    available = sorted(str(p.relative_to(GIN_CONFIGS))
                       for p in GIN_CONFIGS.rglob("*.gin"))
    raise FileNotFoundError("No gin config {!r} under {}. Available: {}".format(
        relative_path, GIN_CONFIGS, ", ".join(available)))
  return str(path)


def run_dlib(script, flags, log_path=None):
  """Runs a dlib console script with absl flags; raises with its output on failure.

  With `log_path`, the command and its output are appended to that file while it
  runs (follow a long training with `tail -f`); otherwise the output is captured.
  """
  command = [console_script(script)] + list(flags)
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
        script, completed.returncode, " ".join(command), output[-4000:]))
  return completed


def read_scores(metric_dir):
  """The metric values dlib_evaluate wrote: `evaluation_results.json` minus timing."""
  path = os.path.join(metric_dir, "results", "json", "evaluation_results.json")
  with open(path) as results_file:
    results = json.load(results_file)
  return {key: value for key, value in results.items() if key != "elapsed_time"}


def run_pipeline(model_dir, train_configs, train_bindings=(),
                 postprocess=("mean",), metrics=("mig", "dci"),
                 metric_bindings=(), visualize=False):
  """Trains, postprocesses and evaluates one model with dlib's console scripts.

  Args:
    model_dir: New directory for everything the run writes. It must not exist:
      nothing a user already has is overwritten.
    train_configs: gin files for dlib_train (e.g. gin_configs/shared.gin and a
      file of gin_configs/models/).
    train_bindings: extra gin bindings for dlib_train.
    postprocess: names of gin_configs/postprocess/<name>.gin to apply.
    metrics: names of gin_configs/metrics/<name>.gin to evaluate on each
      postprocessed representation.
    metric_bindings: extra gin bindings for dlib_evaluate (e.g. smaller
      `mig.num_train` for a quick check).
    visualize: also run dlib_visualize_model on the trained model.

  Returns:
    PipelineResult; `scores[postprocess_name][metric_name]` is dlib's result dict.
  """
  if os.path.exists(model_dir):
    raise FileExistsError(
        "Model directory {} already exists; choose a new one (nothing is "
        "overwritten).".format(model_dir))
  postprocess_configs = {name: gin_config("postprocess/{}.gin".format(name))
                         for name in postprocess}
  metric_configs = {name: gin_config("metrics/{}.gin".format(name))
                    for name in metrics}
  os.makedirs(model_dir)
  log_path = os.path.join(model_dir, "pipeline.log")
  trained = os.path.join(model_dir, "model")
  run_dlib("dlib_train",
           ["--model_dir=" + trained] +
           ["--gin_config=" + str(path) for path in train_configs] +
           ["--gin_bindings=" + binding for binding in train_bindings], log_path)
  scores = collections.OrderedDict()
  result_files = []
  for post_name, post_config in postprocess_configs.items():
    representation = os.path.join(model_dir, "postprocessed", post_name)
    run_dlib("dlib_postprocess", ["--model_dir=" + trained,
                                  "--output_dir=" + representation,
                                  "--gin_config=" + post_config], log_path)
    scores[post_name] = collections.OrderedDict()
    for metric_name, metric_config in metric_configs.items():
      metric_dir = os.path.join(model_dir, "metrics", post_name, metric_name)
      run_dlib("dlib_evaluate",
               ["--input_dir=" + representation, "--output_dir=" + metric_dir,
                "--gin_config=" + metric_config] +
               ["--gin_bindings=" + binding for binding in metric_bindings],
               log_path)
      scores[post_name][metric_name] = read_scores(metric_dir)
      result_files.append(os.path.join(metric_dir, "results", "json",
                                       "evaluation_results.json"))
  visualizations = None
  if visualize:
    visualizations = os.path.join(model_dir, "visualizations")
    run_dlib("dlib_visualize_model", ["--model_dir=" + trained,
                                      "--output_dir=" + visualizations], log_path)
  return PipelineResult(model_dir, scores, result_files, visualizations)

"""What one model job of a study is: its configs, its run settings, its results.

`model_settings` computes a model's run settings; `model_job` runs in the runner and
again in the model's process, which refuses to run when its settings are not the
runner's (`cli.parse_model_command`), so the marker and `markers.is_finished` agree.
"""
import collections
import hashlib
import importlib
import os

from mine_plugin import pipeline
from mine_plugin.config import gin_files
from mine_plugin.runner import markers

# One model to run: everything the process that waits on it needs, as plain data
# (it crosses to Ray workers).
ModelJob = collections.namedtuple("ModelJob", [
    "study_name", "model_num", "model_dir", "result_files", "gin_bindings",
    "metric_gin_bindings", "visualize", "settings", "env"])

# status: "done" (ran now), "skipped" (finished before), or "failed".
ModelOutcome = collections.namedtuple(
    "ModelOutcome", ["model_num", "status", "seconds", "log_path", "message"])


def load_study(study_name):
  """A study by name in dlib's reproduce.STUDIES, or by "module:attribute"."""
  if ":" in study_name:
    module_name, attribute = study_name.split(":", 1)
    return getattr(importlib.import_module(module_name), attribute)
  from mine_plugin.config import studies  # pylint: disable=g-import-not-at-top
  return studies.get_study(study_name)


def result_files(study):
  """Paths, relative to a model's directory, of the metric results dlib writes."""
  return [os.path.join(pipeline.metric_dir("", post, metric), pipeline.AGGREGATE_FILE)
          for post in sorted(study.get_postprocess_config_files())
          for metric in sorted(study.get_eval_config_files())
          if gin_files.evaluated_together(pipeline.config_name(post),
                                          pipeline.config_name(metric))]


def _file_tag(path):
  """A gin file as the settings record it: its name and the first 16 hex digits of
  the SHA-256 of its text (not its path, which differs between the machines of a
  cluster). A file that cannot be read is a FileNotFoundError naming it."""
  try:
    with open(path, "rb") as f:
      digest = hashlib.sha256(f.read()).hexdigest()[:16]
  except OSError as error:
    raise FileNotFoundError(
        "The study's gin file {!r} cannot be read ({}): its text is part of the "
        "run settings of the models that use it.".format(path, error)) from None
  return "{} sha256 {}".format(os.path.basename(str(path)), digest)


def model_config(study, model_num):
  """The study's own training config of one model, as recorded in its settings.

  Its bindings as `study.get_model_config` gives them, with each gin file (the base
  config, included model files) as `_file_tag`; for a continuation
  (`warm_start.study_model`), its pre-training's config too. A model whose config
  changed (other steps, seeds, or the text of those files), or whose pre-training's
  did, no longer counts as finished in an earlier run's directory.
  """
  bindings, config_file = study.get_model_config(model_num)
  config = ["config file " + _file_tag(config_file)]
  for binding in bindings:
    if binding.startswith("include "):
      binding = "include " + _file_tag(binding[len("include "):].strip("'\" "))
    config.append(binding)
  dependency = warm_start_dependency(study, model_num)
  if dependency is not None:
    config += ["pre-training: " + entry for entry in model_config(study, dependency)]
  return config


def step_configs(study):
  """The postprocessing and metric gin files every model of `study` runs, as
  `_file_tag`s (sorted)."""
  return sorted(_file_tag(path) for path in
                list(study.get_postprocess_config_files()) +
                list(study.get_eval_config_files()))


def run_settings(study_name, gin_bindings=(), metric_gin_bindings=(),
                 visualize=True, config=(), steps=()):
  """What decides a model's results: the study's config of the model
  (`model_config`), its postprocessing and metric files (`step_configs`) and the
  run's own additions."""
  return {"study": study_name, "model_config": list(config),
          "step_configs": list(steps), "gin_bindings": list(gin_bindings),
          "metric_gin_bindings": list(metric_gin_bindings),
          "visualize": bool(visualize)}


def model_settings(study_name, study, model_num, gin_bindings=(),
                   metric_gin_bindings=(), visualize=True):
  """`run_settings` of model `model_num` of `study`."""
  return run_settings(study_name, gin_bindings, metric_gin_bindings, visualize,
                      model_config(study, model_num), step_configs(study))


def model_job(study_name, study, model_num, model_dir, gin_bindings=(),
              metric_gin_bindings=(), visualize=True, env=None):
  """The ModelJob of model `model_num` of `study`, run in `model_dir`.

  Args:
    study_name: the study's name for `load_study`.
    study: the dlib `Study` it names.
    model_num: index of the model in the study.
    model_dir: the model's output directory (dlib_reproduce's output_directory).
    gin_bindings: extra bindings for training, after the study's (for example
      "model.training_steps = 5" for a quick run).
    metric_gin_bindings: extra bindings for every metric (e.g. "mig.num_train = 100").
    visualize: whether to run dlib's visualize_model, as dlib_reproduce does.
    env: extra environment variables for the model's process.
  """
  return ModelJob(
      study_name, model_num, model_dir, result_files(study), list(gin_bindings),
      list(metric_gin_bindings), bool(visualize),
      model_settings(study_name, study, model_num, gin_bindings, metric_gin_bindings,
                     visualize), env)


def training(study, job):
  """(gin files, bindings) that train the job's model, as dlib_reproduce builds them.

  dlib_reproduce names the model after its config file and numbers it; the study's
  bindings follow, then the job's extra ones.
  """
  bindings, config_file = study.get_model_config(job.model_num)
  return [config_file], [
      "model.name = '{}'".format(pipeline.config_name(config_file)),
      "model.model_num = {}".format(job.model_num),
  ] + list(bindings) + list(job.gin_bindings)


def warm_start_dependency(study, model_num):
  """The model number a model warm-starts from (`warm_start.study_model`), or None."""
  config = getattr(study, "config", None)
  if config is None:
    return None
  return config[model_num].get("warm_start.study_model")


def study_dependencies(study, study_name, model_nums):
  """{model: the model it continues from} for model_nums; ValueError if malformed.

  A continuation must continue from another model of the study that is not itself
  a continuation (one level: pre-training, then continuations).
  """
  config = getattr(study, "config", None) or []
  dependencies = {}
  for model_num in model_nums:
    dependency = warm_start_dependency(study, model_num)
    if dependency is None:
      continue
    if (not isinstance(dependency, int) or not 0 <= dependency < len(config) or
        dependency == model_num or
        warm_start_dependency(study, dependency) is not None):
      raise ValueError(
          "Study {!r}: model {} continues from model {!r} (warm_start.study_model), "
          "which must be another model of the study (0-{}) that is not itself a "
          "continuation.".format(study_name, model_num, dependency, len(config) - 1))
    dependencies[model_num] = dependency
  return dependencies


def dependency_failed(job, dependency, why="failed in this run"):
  """The outcome of a continuation that is not run because of its pre-training."""
  return ModelOutcome(
      job.model_num, "failed", 0., os.path.join(job.model_dir, markers.LOG),
      "not run: it continues from model {} (warm_start.study_model), which {}. "
      "Run model {} first (see its log.txt), then rerun.".format(
          dependency, why, dependency))

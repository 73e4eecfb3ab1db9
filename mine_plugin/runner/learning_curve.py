"""A learning curve: one model trained in stages with resume, scored after each stage.

The model trains once, in `<curve>/training/`, with `resume.enabled = True`: each
stage continues it (optimizer state included) to the stage's step count. After a
stage the trained model is copied to `<curve>/steps_<n>/model/` and scored there
with dlib's own postprocess and evaluate, so each stage is an ordinary dlib model
directory. `scores.json` of a stage is written last: a curve killed at any point
continues where it stopped (the training from its last checkpoint).
"""
import json
import os
import shutil
import time

from mine_plugin import pipeline
from mine_plugin.config import gin_files
from mine_plugin.training import resume
from mine_plugin.utils import atomic_write

STAGES = (1000, 3000, 10000, 20000, 30000)
SCORES = "scores.json"
TRAINING = "training"


def _read_json(path):
  with open(path) as f:
    return json.load(f)


def stage_dir(curve_dir, steps):
  return os.path.join(curve_dir, "steps_{}".format(steps))


def _train_stage(curve_dir, steps, train_configs, train_bindings, log_path):
  """Continues the training to `steps` and copies it to the stage's `model/`."""
  training = os.path.join(curve_dir, TRAINING)
  model_dir = os.path.join(stage_dir(curve_dir, steps), "model")
  if not resume.is_finished(model_dir):
    if not resume.is_finished(training):
      flags = ["--model_dir=" + training]
      flags += ["--gin_config=" + str(c) for c in train_configs]
      flags += ["--gin_bindings=" + b for b in list(train_bindings) + [
          "model.training_steps = {}".format(steps), "resume.enabled = True"]]
      pipeline.run_dlib("dlib_train", flags, log_path)
    for cut_short in (model_dir, model_dir + ".partial"):
      shutil.rmtree(cut_short, ignore_errors=True)
    shutil.copytree(training, model_dir + ".partial")
    os.rename(model_dir + ".partial", model_dir)
  # The next stage resumes the training: its exported module and results belong
  # to this stage's copy now.
  for name in ("results", "tfhub"):
    shutil.rmtree(os.path.join(training, name), ignore_errors=True)
  return model_dir


def _score(model_dir, stage, metrics, log_path):
  """dlib's mean representation of the stage's model and its metric scores."""
  representation = os.path.join(stage, "postprocessed", "mean")
  if not resume.is_finished(representation, "postprocess"):
    shutil.rmtree(representation, ignore_errors=True)
    pipeline.run_dlib("dlib_postprocess", [
        "--model_dir=" + model_dir, "--output_dir=" + representation,
        "--gin_config=" + gin_files.step_config("postprocess", "mean"),
        "--gin_bindings=postprocess.random_seed = 0"], log_path)
  scores = {}
  for metric in metrics:
    output = os.path.join(stage, "metrics", "mean", metric)
    result = os.path.join(output, "results", "json", "evaluation_results.json")
    if not resume.is_finished(output, "evaluation"):
      shutil.rmtree(output, ignore_errors=True)
      pipeline.run_dlib("dlib_evaluate", [
          "--input_dir=" + representation, "--output_dir=" + output,
          "--gin_config=" + gin_files.step_config(
              "metric", metric, gin_files.MINE_PLUGIN_SMALL)], log_path)
    scores[metric] = _read_json(result)
  return scores


def run_curve(curve_dir, train_configs, train_bindings, stages=STAGES,
              metrics=("mig", "dci")):
  """Trains one model through `stages` (step counts), scoring it after each.

  Returns the rows of the stages finished so far: steps, the metrics' numeric
  results (dlib's keys, prefixed with the metric's name), the reconstruction loss
  and the training speed of the stage.
  """
  os.makedirs(curve_dir, exist_ok=True)
  log_path = os.path.join(curve_dir, "log.txt")
  rows = []
  for steps in stages:
    stage = stage_dir(curve_dir, steps)
    scores_path = os.path.join(stage, SCORES)
    if not os.path.exists(scores_path):
      start = time.time()
      model_dir = _train_stage(curve_dir, steps, train_configs, train_bindings,
                               log_path)
      train = _read_json(os.path.join(model_dir, "results", "json",
                                      "train_results.json"))
      record = resume.read_record(model_dir) or {}
      row = {"steps": steps,
             # Whether the training began with the seed fixing its initial weights.
             "seeded_initial_weights": bool(record.get("seeded_initial_weights")),
             "resumed_from_step": train.get("resumed_from_step", 0),
             "train_seconds": train["elapsed_time"],
             "reconstruction_loss": train["reconstruction_loss"]}
      row["steps_per_second"] = (steps - row["resumed_from_step"]) / max(
          row["train_seconds"], 1e-9)
      for metric, result in _score(model_dir, stage, metrics, log_path).items():
        for key, value in result.items():
          if isinstance(value, (int, float)) and not key.startswith("elapsed"):
            row["{}.{}".format(metric, key)] = value
      row["stage_seconds"] = time.time() - start
      atomic_write.write_json_atomically(scores_path, row)
    rows.append(_read_json(scores_path))
  return rows

"""Resume: a killed dlib_train run continues from its last checkpoint.

With `resume.enabled = True`, a `--model_dir` holding an unfinished training that the
plugin started (`tf_checkpoint/RECORD`) with the same bindings (`model.training_steps`
may be raised) continues from its last checkpoint with the optimizer's state; a
missing directory trains afresh; anything else (a finished model, a foreign or
changed one, `training_steps` below the checkpoint) is an error that leaves it
untouched. A run killed after its last step only writes its results again.
Checkpoints every `resume.checkpoint_every_steps` (1,000). `resumed_from_step` (0 for a
fresh start) goes into train_results.json and train.gin; the resumed part draws fresh batches
(`data_seed`), and dlib's `elapsed_time` counts only that part.
"""
import datetime
import json
import os
import re
import shutil

import gin
import numpy as np

RECORD = "mine_plugin_training.json"
CHECKPOINT_DIR = "tf_checkpoint"  # dlib_train's estimator directory
RESUMING = ".resuming-"
# Bindings that may differ between the start and the resumption.
MAY_CHANGE = ("model.training_steps", "resume.")
# What dlib's train writes after training (the exported module, the results): left
# by a run killed after its last step, they are written again from the checkpoint.
EXPORTS = ("tfhub", "results")

# The resumption under way in this process: set by `prepare`, used by the estimator
# hooks below (dlib's train creates its estimator between the two).
_ACTIVE = {}


@gin.configurable("resume", allowlist=["enabled", "checkpoint_every_steps",
                                       "resumed_from_step"])
def settings(enabled=False, checkpoint_every_steps=1000, resumed_from_step=None):
  """The gin settings: (enabled, checkpoint_every_steps). `resumed_from_step` is set
  by the plugin so that train.gin records it; binding it has no effect."""
  del resumed_from_step
  if not isinstance(enabled, bool):
    raise ValueError("resume.enabled must be True or False, got {!r}.".format(enabled))
  if (isinstance(checkpoint_every_steps, bool) or
      not isinstance(checkpoint_every_steps, int) or checkpoint_every_steps < 1):
    raise ValueError("resume.checkpoint_every_steps must be a whole number >= 1 "
                     "(1000 by default), got {!r}.".format(checkpoint_every_steps))
  return enabled, checkpoint_every_steps


# The record and the checkpoint index are read without TensorFlow, so that the study
# runner can decide whether a model directory is resumable.
def _bindings(config_text):
  """`name = value` of a gin config as a dict, minus MAY_CHANGE. gin.config_str()
  continues a long value after a backslash and on indented lines: they are joined."""
  found = {}
  joined = re.sub(r"\n[ \t]+", " ", re.sub(r"\\\n\s*", "", config_text))
  for line in joined.splitlines():
    match = re.match(r"^([\w./]+)\s*=\s*(.+?)\s*$", line)
    if match and not match.group(1).startswith(MAY_CHANGE):
      found[match.group(1)] = match.group(2)
  return found


def read_record(model_dir):
  """The training record of `model_dir`, or None."""
  try:
    with open(os.path.join(model_dir, CHECKPOINT_DIR, RECORD)) as f:
      return json.load(f)
  except (OSError, ValueError):
    return None


def checkpoint_step(model_dir):
  """The global step of `model_dir`'s last checkpoint ("model.ckpt-<step>" in the
  estimator's `checkpoint` index), or None without one."""
  try:
    with open(os.path.join(model_dir, CHECKPOINT_DIR, "checkpoint")) as f:
      match = re.search(r'^model_checkpoint_path: ".*-(\d+)"', f.read(), re.M)
  except OSError:
    return None
  return int(match.group(1)) if match else None


def is_finished(model_dir, step_name="train"):
  """Whether dlib wrote `step_name`'s results in full: its aggregate JSON, the last
  file of `results.update_result_directory` (after the gin config and the results),
  is there and whole."""
  try:
    with open(os.path.join(model_dir, "results", "aggregate",
                           step_name + ".json")) as f:
      json.load(f)
  except (OSError, ValueError):
    return False
  return True


def changed_settings(record, config_text):
  """'name: old -> new' for each binding that differs from the record's."""
  old, new = _bindings(record.get("config", "")), _bindings(config_text)
  return ["{}: {} -> {}".format(name, old.get(name, "(unset)"),
                                new.get(name, "(unset)"))
          for name in sorted(set(old) | set(new)) if old.get(name) != new.get(name)]


def resumable(model_dir, config_text, training_steps=None):
  """(True, step) if `model_dir` can be resumed with `config_text` (to
  `training_steps`, if given), else (False, why)."""
  if not os.path.isdir(model_dir):
    return False, "{} does not exist".format(model_dir)
  if is_finished(model_dir):
    return False, ("{} holds a finished model ({} exists); it is not touched. Train "
                   "into a new directory, or retrain it with --overwrite.".format(
                       model_dir, os.path.join(model_dir, "results", "aggregate",
                                               "train.json")))
  record = read_record(model_dir)
  if record is None:
    return False, ("{} was not started by a dlib_train run under mine_plugin (no "
                   "{}); it is not touched. Train into a new directory, or "
                   "retrain it with --overwrite.".format(
                       model_dir, os.path.join(CHECKPOINT_DIR, RECORD)))
  changes = changed_settings(record, config_text)
  if changes:
    return False, ("{} was started with other settings ({}); it is not resumed or "
                   "touched. Resume with the settings it started with, or retrain "
                   "with --overwrite.".format(model_dir, "; ".join(changes)))
  step = checkpoint_step(model_dir) or 0
  if training_steps is not None and training_steps < step:
    return False, ("{} holds a checkpoint at step {}, past model.training_steps = {}; "
                   "it is not touched. Resume with model.training_steps >= {}."
                   .format(model_dir, step, training_steps, step))
  return True, step


def continuation(model_dir, config_text, training_steps):
  """How a chain that trains into `model_dir` with these settings goes on.

  Returns "new" (nothing there), "resume" (an unfinished training of these
  settings) or "finished" (a training of these settings to `training_steps` that
  has finished); raises NotResumable naming what differs otherwise.
  """
  if not os.path.exists(model_dir):
    return "new"
  record = read_record(model_dir)
  if record is None:
    raise NotResumable("{} was not started by a dlib_train run under mine_plugin "
                       "(no {})".format(model_dir,
                                        os.path.join(CHECKPOINT_DIR, RECORD)))
  changes = changed_settings(record, config_text)
  if changes:
    raise NotResumable("its training started with other settings ({})".format(
        "; ".join(changes)))
  step = checkpoint_step(model_dir) or 0
  if is_finished(model_dir):
    if step != training_steps:
      raise NotResumable("its training finished at step {}, not at the requested "
                         "{}".format(step, training_steps))
    return "finished"
  if training_steps < step:
    raise NotResumable("its checkpoint is at step {}, past the requested {}".format(
        step, training_steps))
  return "resume"


class NotResumable(ValueError):
  """A model directory holds a training that these settings cannot continue."""


def _requested_steps():
  try:
    return int(gin.query_parameter("model.training_steps"))
  except (ValueError, TypeError):
    return None


def prepare(model_dir, overwrite):
  """Before dlib's train: the step to resume from (0: a new training), or None when
  resume is off.

  When resuming, moves `model_dir` aside so that dlib's train does not refuse it;
  `estimator_kwargs` puts it back as soon as dlib's check has passed.
  """
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  _ACTIVE.clear()
  enabled, _ = settings()
  if not enabled:
    return None
  model_dir = str(model_dir).rstrip("/")
  if overwrite:
    raise ValueError("resume.enabled = True continues {} and --overwrite deletes "
                     "it: give one of the two.".format(model_dir))
  parent, name = os.path.split(os.path.abspath(model_dir))
  if not tf.gfile.IsDirectory(model_dir):
    left_aside = tf.gfile.Glob(os.path.join(parent, ".{}{}*".format(name, RESUMING)))
    if left_aside:
      raise ValueError(
          "mine_plugin: resume: {} does not exist, but {} holds a training that a "
          "killed resume had moved aside; put it back with: mv {} {}".format(
              model_dir, left_aside[0], left_aside[0], model_dir))
    tf.logging.info("mine_plugin: resume: %s does not exist; training from step 0.",
                    model_dir)
    _ACTIVE.update(model_dir=os.path.abspath(model_dir), step=0)
    return 0
  ok, step_or_reason = resumable(model_dir, gin.config_str(), _requested_steps())
  if not ok:
    raise ValueError("mine_plugin: resume: " + step_or_reason)
  # A run killed after its last step (while exporting or evaluating): dlib writes
  # them again from the checkpoint, and refuses an existing export.
  for name_ in EXPORTS:
    shutil.rmtree(os.path.join(model_dir, name_), ignore_errors=True)
  aside = os.path.join(parent, ".{}{}{}".format(name, RESUMING, os.getpid()))
  tf.gfile.Rename(model_dir, aside)
  _ACTIVE.update(model_dir=os.path.abspath(model_dir), aside=aside,
                 step=step_or_reason)
  return step_or_reason


def put_back():
  """Puts a directory that `prepare` moved aside back (after dlib's check, or on
  failure before it); a no-op otherwise. If that fails, says where it is."""
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  aside = _ACTIVE.get("aside")
  if aside is None:
    return
  try:
    if tf.gfile.IsDirectory(aside):
      tf.gfile.Rename(aside, _ACTIVE["model_dir"])
  except Exception:
    tf.logging.error("mine_plugin: resume: the training is in %s; put it back with: "
                     "mv %s %s", aside, aside, _ACTIVE["model_dir"])
    raise
  del _ACTIVE["aside"]


def finish():
  put_back()
  _ACTIVE.clear()


def run_config_kwargs(kwargs):
  """dlib_train's RunConfig arguments, saving a checkpoint every N steps."""
  if "save_checkpoints_steps" in kwargs or "save_checkpoints_secs" in kwargs:
    return kwargs
  _, every = settings()
  return dict(kwargs, save_checkpoints_steps=every, save_checkpoints_secs=None)


def _write_record(estimator_dir, from_step):
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  # A training that starts here: its initial weights follow the seed
  # (training/seeding.py); a record without the key is from before that.
  record = read_record(os.path.dirname(estimator_dir)) or {
      "config": gin.config_str(), "starts": [], "seeded_initial_weights": True}
  record["starts"].append({
      "from_step": from_step,
      "time": datetime.datetime.now().isoformat(timespec="seconds")})
  tf.gfile.MakeDirs(estimator_dir)
  path = os.path.join(estimator_dir, RECORD)
  with tf.gfile.GFile(path + ".tmp", "w") as f:
    json.dump(record, f, indent=2)
  tf.gfile.Rename(path + ".tmp", path, overwrite=True)


def estimator_kwargs(kwargs):
  """Called as dlib's train creates its estimator (its directory check has passed):
  puts a resumed directory back and records this start."""
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  estimator_dir = kwargs.get("model_dir")
  if estimator_dir:
    put_back()
    from_step = _ACTIVE.get("step", 0)
    if from_step:
      tf.logging.info("mine_plugin: resume: continuing %s from step %d.",
                      _ACTIVE["model_dir"], from_step)
    _write_record(estimator_dir, from_step)
  return kwargs


def data_seed(seed):
  """The seed of the training batches: dlib's `seed`, mixed with the step a resumed
  run continues from."""
  step = _ACTIVE.get("step")
  if not step:
    return seed
  return int(np.random.RandomState([seed % 2**32, step]).randint(2**32, dtype=np.uint64))


def wrap_estimator(estimator):
  """dlib's estimator, training to `steps` in total when resuming (tf.estimator's
  `max_steps`) and reporting `resumed_from_step` in its evaluation results."""
  if "step" not in _ACTIVE:
    return estimator
  from_step = _ACTIVE["step"]
  with gin.unlock_config():
    gin.bind_parameter("resume.resumed_from_step", from_step)
  settings()  # into the operative config, so train.gin records the step
  train, evaluate = estimator.train, estimator.evaluate

  def train_to_total(input_fn, hooks=None, steps=None, max_steps=None, **kwargs):
    return train(input_fn, hooks=hooks, max_steps=max_steps or steps, **kwargs)

  def evaluate_with_step(*args, **kwargs):
    return dict(evaluate(*args, **kwargs), resumed_from_step=from_step)

  estimator.train, estimator.evaluate = train_to_total, evaluate_with_step
  return estimator

"""Completion markers: whether a model directory holds a finished run, and with what.

Finished: `MARKER` (written last, atomically) records the current run settings and
every metric result the study expects is readable JSON. Anything else is not
finished (the runner resumes it, or moves it aside when its settings changed).
"""
import datetime
import json
import os
import shutil

from mine_plugin.utils import atomic_write
from mine_plugin.utils import moved_aside

MARKER = "mine_plugin_done.json"
# Written when the model's run starts, with its settings: an unfinished training
# is resumed only by a run with the same settings.
STARTED = "mine_plugin_started.json"
LOG = "log.txt"
INCOMPLETE = "_incomplete"


def _read_record(model_dir, name):
  """The JSON record `name` in model_dir, or None if there is none (or it is
  unreadable)."""
  try:
    with open(os.path.join(model_dir, name)) as f:
      return json.load(f)
  except (OSError, ValueError):
    return None


def read_marker(model_dir):
  """The completion marker's record, or None if there is none (or it is unreadable)."""
  return _read_record(model_dir, MARKER)


def is_finished(model_dir, expected_files, settings=None):
  """Whether the model's run is complete (and, if given, ran with `settings`)."""
  marker = read_marker(model_dir)
  if marker is None:
    return False
  if settings is not None and marker.get("settings") != settings:
    return False
  for relative in expected_files:
    try:
      with open(os.path.join(model_dir, relative)) as f:
        json.load(f)
    except (OSError, ValueError):
      return False
  return True


def write_marker(model_dir, model_num, seconds, result_files, settings):
  """Marks the run in `model_dir` as complete; call it after its last result."""
  atomic_write.write_json_atomically(os.path.join(model_dir, MARKER), {
      "model_num": model_num,
      "finished": datetime.datetime.now().isoformat(timespec="seconds"),
      "seconds": round(seconds, 1),
      "result_files": list(result_files),
      "settings": settings,
  })


def write_started(model_dir, settings):
  atomic_write.write_json_atomically(os.path.join(model_dir, STARTED), {
      "started": datetime.datetime.now().isoformat(timespec="seconds"),
      "settings": settings})


def read_started(model_dir):
  return _read_record(model_dir, STARTED)


# What a model's chain writes into its directory (pipeline.reproduce).
CHAIN_OUTPUTS = ("model", "visualizations", "postprocessed", "metrics")


def holds_trained_model(directory):
  """Whether a moved-aside run holds a finished training or a finished chain (its
  completion marker): retention never deletes those."""
  return (read_marker(directory) is not None or os.path.exists(
      os.path.join(directory, "model", "results", "aggregate", "train.json")))


def _prune_unfinished(folder, name):
  moved_aside.prune([entry for entry in moved_aside.incomplete_runs(folder, name)
                     if not holds_trained_model(entry.path)])


def move_chain_aside(model_dir):
  """Moves the chain's outputs of `model_dir` to <study dir>/_incomplete/ as
  `move_aside` moves a whole directory; returns where (the model's log and markers
  stay)."""
  parent, name = os.path.split(os.path.normpath(model_dir))
  folder = os.path.join(parent, INCOMPLETE)
  target = moved_aside.incomplete_path(folder, name)
  os.makedirs(target)
  for output in CHAIN_OUTPUTS + (MARKER,):
    if os.path.exists(os.path.join(model_dir, output)):
      shutil.move(os.path.join(model_dir, output), os.path.join(target, output))
  _prune_unfinished(folder, name)
  return target


def move_aside(model_dir):
  """Moves an unfinished model directory to <study dir>/_incomplete/; returns the path.

  Of the model's unfinished runs there, the newest `MINE_PLUGIN_KEEP_MOVED_ASIDE`
  (default 1) are kept and older ones deleted (mine_plugin/utils/moved_aside.py); a
  run holding a trained model is never deleted.
  """
  parent, name = os.path.split(os.path.normpath(model_dir))
  folder = os.path.join(parent, INCOMPLETE)
  target = moved_aside.incomplete_path(folder, name)
  os.makedirs(folder, exist_ok=True)
  shutil.move(model_dir, target)
  _prune_unfinished(folder, name)
  return target

"""The overwrite guard of dlib's train, postprocess and evaluate.

The old output is moved aside, put back if the run fails or is interrupted (SIGTERM
and SIGHUP included), deleted only once it finishes; a failed first run removes its
directory. Names and retention: `utils.moved_aside`.
"""
import inspect
import logging

from mine_plugin.training import resume
from mine_plugin.training import run_errors
from mine_plugin.training import termination
from mine_plugin.utils import disk_space
from mine_plugin.utils import moved_aside
import tensorflow as tf

BACKUP = moved_aside.BACKUP
FAILED = moved_aside.FAILED
_DLIB_REFUSAL = "Directory already exists and overwrite is False"
_LOG = logging.getLogger("mine_plugin")


def aside(directory, kind):
  return moved_aside.sibling_path(directory, kind, tf.io.gfile.exists)


def _how_it_ended(error):
  name = termination.signal_name(error)
  return "the run failed" if name is None else "the run was stopped by " + name


def _put_back(directory, backup, error):
  """After a failed overwrite run: its output aside, the previous one back."""
  failed = None
  try:
    if tf.io.gfile.exists(directory):
      failed = aside(directory, FAILED)
      tf.io.gfile.rename(directory, failed)
  finally:
    try:
      tf.io.gfile.rename(backup, directory)
      _LOG.error(
          "mine_plugin: overwrite: %s; the previous %s is back in place%s.",
          _how_it_ended(error), directory, "" if failed is None else
          " (this run's partial output: {})".format(failed))
      if failed is not None:
        prune_failed(directory, error)
    except Exception:  # pylint: disable=broad-except
      _LOG.error("mine_plugin: overwrite: %s and the previous %s could not be "
                 "put back: it is in %s; move it back with: mv %s %s",
                 _how_it_ended(error), directory, backup, backup, directory)


def prune_failed(directory, error):
  """Deletes all but the newest failed outputs of `directory`
  (mine_plugin/utils/moved_aside.py). On a full disk, all of them unless the newest
  holds a training's checkpoint past step 0 (then kept: it may be a long training's
  only copy): a partial output only takes the room a rerun needs. Never fails the
  run."""
  disk_full = disk_space.full_disk(error) is not None
  try:
    failed = moved_aside.siblings(directory, FAILED)
    keep = None
    if disk_full:
      keep = int(bool(failed) and bool(resume.checkpoint_step(failed[-1].path)))
    for path in moved_aside.prune(failed, keep=keep):
      _LOG.warning("mine_plugin: deleted the failed output %s (%s).", path,
                   "the disk is full" if disk_full else "{}={} keeps the newest; "
                   "'all' keeps every one".format(moved_aside.KEEP_ENV,
                                                  moved_aside.keep_count()))
  except Exception as prune_error:  # pylint: disable=broad-except
    _LOG.error("mine_plugin: failed outputs of %s were not deleted: %s",
               directory, prune_error)


def _remove_first_run(directory, error):
  """After a failed run into a directory that did not exist: removes it."""
  if _DLIB_REFUSAL in str(error) or not tf.io.gfile.exists(directory):
    return  # another process created it meanwhile, or nothing was written
  try:
    tf.io.gfile.rmtree(directory)
    _LOG.error("mine_plugin: %s; %s did not exist before it and is removed, so "
               "that a rerun starts afresh.", _how_it_ended(error), directory)
  except Exception as remove_error:  # pylint: disable=broad-except
    _LOG.error("mine_plugin: %s, and its partial output %s could not be removed "
               "(%s); delete it before the rerun, or rerun with --overwrite.",
               _how_it_ended(error), directory, remove_error)


def guarded(function):
  """Wraps dlib's `function(..., <directory>, overwrite, ...)` in the guard.

  The directory is the argument before `overwrite` (train's `model_dir`,
  postprocess's and evaluate's `output_dir`), positional or by keyword.
  """
  signature = inspect.signature(function)
  parameters = list(signature.parameters)
  directory_name = parameters[parameters.index("overwrite") - 1]

  def guarded(*args, **kwargs):
    bound = run_errors.bound_arguments(signature, args, kwargs)
    if bound is None:
      return function(*args, **kwargs)  # dlib's own error for a bad call
    directory = bound.get(directory_name)
    if directory is None:
      return function(*args, **kwargs)
    directory = str(directory).rstrip("/")
    replaces = bool(bound.get("overwrite", False)) and tf.io.gfile.isdir(directory)
    if not replaces and tf.io.gfile.exists(directory):
      return function(*args, **kwargs)  # dlib refuses: it is the user's
    with termination.signals_raise() as signals:
      backup = None  # set once the rename has happened
      try:
        if replaces:
          with signals.deferred():  # a signal acts after the rename, in this `try`
            moved_to = aside(directory, BACKUP)
            tf.io.gfile.rename(directory, moved_to)
            backup = moved_to
            _LOG.warning(
                "mine_plugin: overwrite: the existing %s was moved to %s; it is "
                "put back if this run fails or is stopped (Ctrl-C, SIGTERM, SIGHUP) "
                "and deleted when the run has finished.", directory, backup)
        result = function(*args, **kwargs)
      except BaseException as error:
        with signals.deferred():
          if backup is not None:
            _put_back(directory, backup, error)
          elif not replaces:  # (replaces without backup: still the user's, in place)
            _remove_first_run(directory, error)
        raise
      if backup is not None:
        with signals.deferred():
          tf.io.gfile.rmtree(backup)
    return result

  guarded.__doc__ = function.__doc__
  guarded.__name__ = function.__name__
  guarded.__wrapped__ = function  # its signature, for _settings_checked
  guarded._mine_plugin_compat = True  # pylint: disable=protected-access
  return guarded

"""One model of a study in a process of its own: both ends of that process.

- `run_job` (in the runner, or in a Ray task): skips a finished model, leaves alone a
  directory whose process still runs, resumes a training stopped part-way with the
  same settings (`mine_plugin.training.resume`), moves any other unfinished
  directory aside, then starts
  `python -m mine_plugin.runner` for the model, waits on it and reports a
  `ModelOutcome`; it never raises for the model's failure.
- `reproduce_model` (in that process): dlib_reproduce's chain
  (`pipeline.reproduce`), then the completion marker.

TensorFlow's graph and gin's configuration are process-global, hence one process
per model; a model that raises, segfaults or is killed is reported with the end of
its log and the others go on.
"""
import collections
import json
import os
import re
import signal
import subprocess
import time

from mine_plugin import pipeline
from mine_plugin.runner import cli
from mine_plugin.runner import job_spec
from mine_plugin.runner import markers
from mine_plugin.runner import ownership


def reproduce_model(study, job):
  """Trains, visualizes, postprocesses and evaluates `job`'s model of `study`.

  Must run in a process of its own (gin and the TF graph are global). Writes the
  completion marker, with `job.settings`, last.
  """
  start = time.time()
  train_configs, train_bindings = job_spec.training(study, job)
  pipeline.reproduce(job.model_dir, train_configs, train_bindings,
                     study.get_postprocess_config_files(),
                     study.get_eval_config_files(), job.metric_gin_bindings,
                     visualize=job.visualize, resume=True)
  markers.write_marker(job.model_dir, job.model_num, time.time() - start,
                       job.result_files, job.settings)


def _describe_exit(returncode):
  if returncode < 0:
    try:
      return "killed by signal {}".format(signal.Signals(-returncode).name)
    except ValueError:
      return "killed by signal {}".format(-returncode)
  return "exit code {}".format(returncode)


def _log_tail(log_path, num_lines=15):
  try:
    with open(log_path, errors="replace") as f:
      return "".join(collections.deque(f, num_lines))
  except OSError:
    return ""


def _resumable_training(job):
  """(True, step) if `job.model_dir` holds a training stopped part-way by a run
  with `job.settings`, else (False, why not) -- why is None for nothing to resume."""
  trained = os.path.join(job.model_dir, "model")
  checkpoints = os.path.join(trained, "tf_checkpoint")
  # The files that mine_plugin.training.resume reads, without loading TensorFlow
  # into the runner.
  if (not os.path.exists(os.path.join(checkpoints, "mine_plugin_training.json")) or
      os.path.exists(os.path.join(trained, "results", "gin", "train.gin"))):
    return False, None
  started = (markers.read_started(job.model_dir) or {}).get("settings")
  if started != job.settings:
    return False, ("its training was not resumed: it started with other settings "
                   "({}; now: {})".format(json.dumps(started),
                                          json.dumps(job.settings)))
  return True, _checkpoint_step(checkpoints)


def _checkpoint_step(checkpoints):
  """The step of tf.train's last checkpoint ("model.ckpt-<step>"), 0 if none."""
  try:
    with open(os.path.join(checkpoints, "checkpoint")) as f:
      match = re.search(r'^model_checkpoint_path: ".*-(\d+)"', f.read(), re.M)
  except OSError:
    return 0
  return int(match.group(1)) if match else 0


def _prepare_directory(job):
  """Leaves a resumable training in `job.model_dir`, or makes the directory empty.

  Returns a line for the model's log about an earlier run (or None).
  """
  note = None
  if os.path.exists(job.model_dir):
    can_resume, reason = _resumable_training(job)
    if can_resume:
      markers.write_started(job.model_dir, job.settings)
      return ("The training of an unfinished earlier run stopped at step {} and "
              "is resumed from there.".format(reason))
    earlier = (markers.read_marker(job.model_dir) or {}).get("settings")
    moved_to = markers.move_aside(job.model_dir)
    if markers.is_finished(moved_to, job.result_files):
      moved_to += " (it had finished with other settings: {}; now: {})".format(
          json.dumps(earlier), json.dumps(job.settings))
    note = "An unfinished earlier run of this model was moved to {}{}; running it " \
           "again.".format(moved_to, "" if reason is None else "; " + reason)
  os.makedirs(job.model_dir)
  markers.write_started(job.model_dir, job.settings)
  return note


def _wait(command, job, log):
  """Runs `command` with its output in `log`, as the owner of `job.model_dir`."""
  try:
    # The model's process dies with this one (a killed runner leaves no orphan
    # writing into the directory), and records itself as the directory's owner.
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT,
        env=dict(os.environ, **(job.env or {})),
        preexec_fn=ownership.die_with_parent(os.getpid()))
    ownership.write_owner(job.model_dir, process.pid)
    while True:
      try:
        returncode = process.wait(timeout=ownership.HEARTBEAT_SECONDS)
        break
      except subprocess.TimeoutExpired:
        ownership.heartbeat(job.model_dir)
    ownership.release_owner(job.model_dir)
  except OSError as error:  # The process could not even start.
    log.write("Could not start: {}\n".format(error))
    returncode = 1
  return returncode


def run_job(job):
  """Runs one model in a fresh process and waits for it; never raises for its failure."""
  start = time.time()
  log_path = os.path.join(job.model_dir, markers.LOG)
  if markers.is_finished(job.model_dir, job.result_files, job.settings):
    return job_spec.ModelOutcome(job.model_num, "skipped", 0., log_path,
                                 "finished before")
  owner = (ownership.live_owner(job.model_dir) if os.path.isdir(job.model_dir)
           else None)
  if owner is not None:
    return job_spec.ModelOutcome(
        job.model_num, "failed", 0., log_path,
        "left alone: {} is still being written by the model process {} of an "
        "earlier run (recorded in {}); rerun once it has ended.".format(
            job.model_dir, ownership.describe_owner(owner),
            os.path.join(job.model_dir, ownership.OWNER_FILE)))
  note = _prepare_directory(job)
  command = cli.model_command(job)
  with open(log_path, "a") as log:
    if note is not None:
      log.write(note + "\n")
    log.write("$ {}\n".format(" ".join(command)))
    log.flush()
    returncode = _wait(command, job, log)
  seconds = time.time() - start
  if returncode == 0 and markers.is_finished(job.model_dir, job.result_files,
                                             job.settings):
    return job_spec.ModelOutcome(job.model_num, "done", seconds, log_path, "")
  if returncode == 0:
    message = "process ended without writing every result file"
  else:
    message = _describe_exit(returncode)
  return job_spec.ModelOutcome(
      job.model_num, "failed", seconds, log_path,
      "{}; last lines of {}:\n{}".format(message, log_path, _log_tail(log_path)))

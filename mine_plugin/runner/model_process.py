"""One model of a study in a process of its own: both ends of that process.

- `run_job` (in the runner, or in a Ray task): skips a finished model, leaves alone a
  directory whose process still runs, moves an unfinished one aside, then starts
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
                     visualize=job.visualize)
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


def _prepare_directory(job):
  """Makes `job.model_dir` empty; returns where an earlier run went (or None)."""
  moved_to = None
  if os.path.exists(job.model_dir):
    earlier = (markers.read_marker(job.model_dir) or {}).get("settings")
    moved_to = markers.move_aside(job.model_dir)
    if markers.is_finished(moved_to, job.result_files):
      moved_to += " (it had finished with other settings: {}; now: {})".format(
          json.dumps(earlier), json.dumps(job.settings))
  os.makedirs(job.model_dir)
  return moved_to


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
  moved_to = _prepare_directory(job)
  command = cli.model_command(job)
  with open(log_path, "w") as log:
    if moved_to is not None:
      log.write("An unfinished earlier run of this model was moved to {}; "
                "running it again.\n".format(moved_to))
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

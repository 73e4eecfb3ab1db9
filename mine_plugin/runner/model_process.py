"""One model of a study in a process of its own: both ends of that process.

`run_job` skips a finished model, leaves a live one alone, resumes or moves aside an
unfinished one, then runs `python -m mine_plugin.runner` and returns a `ModelOutcome`
(it never raises for the model's failure); `reproduce_model` runs in that process.
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
from mine_plugin.training import resume


def reproduce_model(study, job):
  """Trains, visualizes, postprocesses and evaluates `job`'s model of `study`.

  Must run in a process of its own (gin and the TF graph are global). Writes the
  completion marker, with `job.settings`, last.
  """
  start = time.time()
  train_configs, train_bindings = job_spec.training(study, job)

  def run():
    pipeline.reproduce(job.model_dir, train_configs, train_bindings,
                       study.get_postprocess_config_files(),
                       study.get_eval_config_files(), job.metric_gin_bindings,
                       visualize=job.visualize, resume=True)

  try:
    run()
  except resume.NotResumable as error:
    # The study's own configs changed since this model started: its earlier
    # chain is kept aside and the model is redone.
    moved_to = markers.move_chain_aside(job.model_dir)
    print("The earlier run of this model was not continued: {}. Its output was "
          "moved to {}; running it again.".format(error, moved_to), flush=True)
    run()
  markers.write_marker(job.model_dir, job.model_num, time.time() - start,
                       job.result_files, job.settings)


def _describe_exit(returncode):
  if returncode < 0:
    try:
      return "killed by signal {}".format(signal.Signals(-returncode).name)
    except ValueError:
      return "killed by signal {}".format(-returncode)
  return "exit code {}".format(returncode)


# Lines of a traceback that are not its error: headers, and TensorFlow's pointers
# to the graph (its out-of-memory hint also follows a full disk).
_NOT_ERROR_LINES = ("Traceback (most recent call last)", "During handling of",
                    "The above exception was", "Detected at node",
                    "Original stack trace for", "Hint: If you want to see a list")


def _log_tail(log_path, num_lines=15, num_error_lines=8):
  """The end of a model's log: the lines of its last traceback that state the error,
  then its last `num_lines` lines.

  TensorFlow puts the error mid-trace, before the graph's "Original stack trace"
  and gin's "In call to configurable", so the last lines alone are stack frames.
  The error lines are the traceback's unindented ones (frames are indented).
  """
  try:
    with open(log_path, errors="replace") as f:
      lines = list(collections.deque(f, 20000))
  except OSError:
    return ""
  before_tail = lines[:-num_lines]
  starts = [i for i, line in enumerate(before_tail)
            if line.startswith("Traceback (most recent call last)")]
  errors = []
  if starts:
    errors = [line if len(line) <= 500 else line[:500] + " ...\n"
              for line in before_tail[starts[-1] + 1:]
              if line.strip() and not line[0].isspace() and
              not line.startswith(_NOT_ERROR_LINES)][:num_error_lines]
  if errors:
    errors.append("  ...\n")
  return "".join(errors + lines[-num_lines:])


def _resumable_chain(job):
  """(True, how) if `job.model_dir` holds a chain that a run with `job.settings`
  started and did not finish, else (False, why not) -- why is None for nothing to
  continue. The model's process checks the training's own settings again
  (`pipeline.reproduce` with `resume`)."""
  trained = os.path.join(job.model_dir, "model")
  if resume.read_record(trained) is None:
    return False, None
  started = (markers.read_started(job.model_dir) or {}).get("settings")
  if started != job.settings:
    return False, ("it was not continued: it started with other settings "
                   "({}; now: {})".format(json.dumps(started),
                                          json.dumps(job.settings)))
  if resume.is_finished(trained):
    return True, "its training had finished; the rest of its chain is completed"
  return True, "its training is resumed from step {}".format(
      resume.checkpoint_step(trained) or 0)


def _prepare_directory(job):
  """Leaves a resumable training in `job.model_dir`, or makes the directory empty.

  Returns a line for the model's log about an earlier run (or None).
  """
  note = None
  if os.path.exists(job.model_dir):
    can_resume, reason = _resumable_chain(job)
    if can_resume:
      markers.write_started(job.model_dir, job.settings)
      return "An unfinished earlier run of this model is continued: {}.".format(
          reason)
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

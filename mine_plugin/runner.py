"""Runs every model of a study, each in a fresh process, on Ray or one by one.

Each model goes through the steps of dlib's `dlib_reproduce` (bin/dlib_reproduce),
with dlib's library functions and the same seeds: `train.train_with_gin`, then
`visualize_model.visualize`, then `postprocess.postprocess_with_gin` for every
postprocessing config and `evaluate.evaluate_with_gin` for every metric config. The
layout of a study's output directory is therefore dlib's:

    <output_directory>/<model_num>/model/             checkpoint, TFHub module, results/
    <output_directory>/<model_num>/visualizations/    reconstructions, traversals, GIFs
    <output_directory>/<model_num>/postprocessed/<post>/
    <output_directory>/<model_num>/metrics/<post>/<metric>/results/aggregate/evaluation.json
    <output_directory>/<model_num>/log.txt            everything the model's process printed
    <output_directory>/<model_num>/mine_plugin_done.json   written last: the model is complete
    <output_directory>/<model_num>/mine_plugin_owner.json  PID and host of its process
    <output_directory>/.runner.lock                   held by the runner (ownership.py)
    <output_directory>/_incomplete/<model_num>-<time>/     unfinished runs, moved aside
    <output_directory>/results.json                   dlib_aggregate_results' format

TensorFlow's graph and gin's configuration are process-global, so every model runs
in its own `python -m mine_plugin.runner` process; a model that raises, segfaults or
is killed is reported with its log and the others go on. A model counts as finished
only when its completion marker exists, records the same run settings (study, extra
gin bindings, visualization) as the current run, and every metric result the study
expects is readable JSON; so a rerun skips finished models and redoes half-written
ones, and a run with other settings (say a quick `model.training_steps = 5` check in
the same directory) is never mistaken for the study's result: it is moved aside.
One runner at a time works on an output directory, a model's process dies with the
runner, and a rerun leaves alone a directory whose process still runs
(`mine_plugin.ownership`).

With Ray (an optional extra, `pip install mine_plugin[ray]`) each model is one Ray task
that waits on its process, on a local Ray instance or on a cluster (`address`).
"""
import argparse
import collections
import datetime
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

from mine_plugin import ownership

MARKER = "mine_plugin_done.json"
LOG = "log.txt"
INCOMPLETE = "_incomplete"
AGGREGATE = "results.json"

# One model to run: everything the process that waits on it needs, as plain data
# (it crosses to Ray workers).
ModelJob = collections.namedtuple("ModelJob", [
    "study_name", "model_num", "model_dir", "result_files", "gin_bindings",
    "metric_gin_bindings", "visualize", "env"])

# status: "done" (ran now), "skipped" (finished before), or "failed".
ModelOutcome = collections.namedtuple(
    "ModelOutcome", ["model_num", "status", "seconds", "log_path", "message"])


def config_name(path):
  """A gin config's name as dlib_reproduce uses it: its file name without .gin."""
  name = os.path.basename(path)
  return name[:-len(".gin")] if name.endswith(".gin") else name


def result_files(study):
  """Paths, relative to a model's directory, of the metric results dlib writes."""
  files = []
  for post in sorted(study.get_postprocess_config_files()):
    post_name = config_name(post)
    for metric in sorted(study.get_eval_config_files()):
      metric_name = config_name(metric)
      files.append(os.path.join("metrics", post_name, metric_name, "results",
                                "aggregate", "evaluation.json"))
  return files


def run_settings(study_name, gin_bindings=(), metric_gin_bindings=(),
                 visualize=True):
  """What, besides the study's own configs, decides a model's results."""
  return {"study": study_name, "gin_bindings": list(gin_bindings),
          "metric_gin_bindings": list(metric_gin_bindings),
          "visualize": bool(visualize)}


def _read_marker(model_dir):
  try:
    with open(os.path.join(model_dir, MARKER)) as f:
      return json.load(f)
  except (OSError, ValueError):
    return None


def is_finished(model_dir, expected_files, settings=None):
  """Whether the model's run is complete (and, if given, ran with `settings`)."""
  marker = _read_marker(model_dir)
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


def _write_atomically(path, write):
  """Calls write(file) on `path`.tmp, then renames it to `path`.

  A process killed while writing leaves the previous file whole (and a reader
  never sees half a file); the temporary file goes if writing fails.
  """
  temporary = path + ".tmp"
  try:
    with open(temporary, "w") as f:
      write(f)
      f.flush()
      os.fsync(f.fileno())
    os.replace(temporary, path)
  finally:
    if os.path.exists(temporary):
      os.remove(temporary)


def _write_json_atomically(path, content):
  _write_atomically(path, lambda f: json.dump(content, f, indent=2))


def reproduce_model(study, model_num, model_dir, gin_bindings=(),
                    metric_gin_bindings=(), visualize=True, settings=None):
  """Trains, visualizes, postprocesses and evaluates one model like dlib_reproduce.

  Must run in a process of its own (gin and the TF graph are global). Writes the
  completion marker last.

  Args:
    study: dlib `Study`.
    model_num: index of the model in the study.
    model_dir: the model's output directory (dlib_reproduce's output_directory).
    gin_bindings: extra bindings for training, after the study's (for example
      "model.training_steps = 5" for a quick run).
    metric_gin_bindings: extra bindings for every metric (e.g. "mig.num_train = 100").
    visualize: whether to run dlib's visualize_model, as dlib_reproduce does.
    settings: `run_settings(...)` recorded in the completion marker.
  """
  # pylint: disable=g-import-not-at-top
  from disentanglement_lib.evaluation import evaluate
  from disentanglement_lib.methods.unsupervised import train
  from disentanglement_lib.postprocessing import postprocess
  from disentanglement_lib.visualize import visualize_model
  import numpy as np
  # pylint: enable=g-import-not-at-top
  start = time.time()
  model_bindings, model_config_file = study.get_model_config(model_num)
  trained_dir = os.path.join(model_dir, "model")
  model_bindings = [
      "model.name = '{}'".format(config_name(model_config_file)),
      "model.model_num = {}".format(model_num),
  ] + list(model_bindings) + list(gin_bindings)
  def step(message):
    print("[{:7.1f}s] {}".format(time.time() - start, message), flush=True)

  step("Training with {} and bindings:\n  {}".format(
      model_config_file, "\n  ".join(model_bindings)))
  train.train_with_gin(trained_dir, False, [model_config_file], model_bindings)
  if visualize:
    step("Visualizing...")
    visualize_model.visualize(trained_dir, os.path.join(model_dir, "visualizations"))

  # dlib_reproduce's seeds: one master RandomState(0) for all postprocessing and
  # evaluation configs, in sorted order.
  random_state = np.random.RandomState(0)
  postprocess_configs = sorted(study.get_postprocess_config_files())
  for config in postprocess_configs:
    post_name = config_name(config)
    step("Extracting representation {}...".format(post_name))
    postprocess.postprocess_with_gin(
        trained_dir, os.path.join(model_dir, "postprocessed", post_name), False,
        [config], ["postprocess.random_seed = {}".format(random_state.randint(2**32)),
                   "postprocess.name = '{}'".format(post_name)])
  eval_configs = sorted(study.get_eval_config_files())
  for config in postprocess_configs:
    post_name = config_name(config)
    post_dir = os.path.join(model_dir, "postprocessed", post_name)
    for eval_config in eval_configs:
      metric_name = config_name(eval_config)
      step("Computing metric {} on {}...".format(metric_name, post_name))
      evaluate.evaluate_with_gin(
          post_dir, os.path.join(model_dir, "metrics", post_name, metric_name),
          False, [eval_config],
          ["evaluation.random_seed = {}".format(random_state.randint(2**32)),
           "evaluation.name = '{}'".format(metric_name)] + list(metric_gin_bindings))
  step("Done.")
  _write_json_atomically(os.path.join(model_dir, MARKER), {
      "model_num": model_num,
      "finished": datetime.datetime.now().isoformat(timespec="seconds"),
      "seconds": round(time.time() - start, 1),
      "result_files": result_files(study),
      "settings": settings,
  })


def move_aside(model_dir):
  """Moves an unfinished model directory to <study dir>/_incomplete/; returns the path."""
  parent, name = os.path.split(os.path.normpath(model_dir))
  stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
  target = os.path.join(parent, INCOMPLETE, "{}-{}".format(name, stamp))
  suffix = 1
  while os.path.exists(target):
    target = os.path.join(parent, INCOMPLETE, "{}-{}-{}".format(name, stamp, suffix))
    suffix += 1
  os.makedirs(os.path.dirname(target), exist_ok=True)
  shutil.move(model_dir, target)
  return target


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


def run_job(job):
  """Runs one model in a fresh process and waits for it; never raises for its failure."""
  start = time.time()
  log_path = os.path.join(job.model_dir, LOG)
  settings = _job_settings(job)
  if is_finished(job.model_dir, job.result_files, settings):
    return ModelOutcome(job.model_num, "skipped", 0., log_path, "finished before")
  owner = (ownership.live_owner(job.model_dir) if os.path.isdir(job.model_dir)
           else None)
  if owner is not None:
    return ModelOutcome(
        job.model_num, "failed", 0., log_path,
        "left alone: {} is still being written by the model process {} of an "
        "earlier run (recorded in {}); rerun once it has ended.".format(
            job.model_dir, ownership.describe_owner(owner),
            os.path.join(job.model_dir, ownership.OWNER_FILE)))
  moved_to = None
  if os.path.exists(job.model_dir):
    earlier = (_read_marker(job.model_dir) or {}).get("settings")
    moved_to = move_aside(job.model_dir)
    if is_finished(moved_to, job.result_files):
      moved_to += " (it had finished with other settings: {}; now: {})".format(
          json.dumps(earlier), json.dumps(settings))
  os.makedirs(job.model_dir)
  command = [sys.executable, "-m", "mine_plugin.runner", "--study", job.study_name,
             "--model_num", str(job.model_num), "--model_dir", job.model_dir]
  command += ["--gin_bindings=" + b for b in job.gin_bindings]
  command += ["--metric_gin_bindings=" + b for b in job.metric_gin_bindings]
  if not job.visualize:
    command.append("--no_visualize")

  env = dict(os.environ, **(job.env or {}))
  with open(log_path, "w") as log:
    if moved_to is not None:
      log.write("An unfinished earlier run of this model was moved to {}; "
                "running it again.\n".format(moved_to))
    log.write("$ {}\n".format(" ".join(command)))
    log.flush()
    try:
      # The model's process dies with this one (a killed runner leaves no orphan
      # writing into the directory), and records itself as the directory's owner.
      process = subprocess.Popen(
          command, stdout=log, stderr=subprocess.STDOUT, env=env,
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
  seconds = time.time() - start
  if returncode == 0 and is_finished(job.model_dir, job.result_files, settings):
    return ModelOutcome(job.model_num, "done", seconds, log_path, "")
  if returncode == 0:
    message = "process ended without writing every result file"
  else:
    message = _describe_exit(returncode)
  return ModelOutcome(job.model_num, "failed", seconds, log_path,
                      "{}; last lines of {}:\n{}".format(message, log_path,
                                                         _log_tail(log_path)))


def _job_settings(job):
  return run_settings(job.study_name, job.gin_bindings, job.metric_gin_bindings,
                      job.visualize)


def _format_seconds(seconds):
  seconds = int(round(seconds))
  hours, rest = divmod(seconds, 3600)
  minutes, seconds = divmod(rest, 60)
  return "{}h{:02d}m".format(hours, minutes) if hours else "{}m{:02d}s".format(
      minutes, seconds)


class Progress(object):
  """One text line per event: models done/failed/left, elapsed time and ETA."""

  def __init__(self, name, total, stream):
    self.name, self.total, self.stream = name, total, stream
    self.counts = collections.Counter()
    self.start = time.time()

  def update(self, outcome=None):
    if outcome is not None:
      self.counts[outcome.status] += 1
      if outcome.status == "failed":
        self.stream.write("[{}] model {} FAILED ({}): {}\n".format(
            self.name, outcome.model_num, _format_seconds(outcome.seconds),
            outcome.message))
    ran = self.counts["done"] + self.counts["failed"]
    left = self.total - ran - self.counts["skipped"]
    elapsed = time.time() - self.start
    # Wall-clock time per model run so far, so parallel runs are accounted for.
    eta = _format_seconds(elapsed / ran * left) if ran else "?"
    self.stream.write(
        "[{}] {}/{} finished ({} run now, {} skipped), {} failed, {} left | "
        "elapsed {} | ETA {}\n".format(
            self.name, self.counts["done"] + self.counts["skipped"], self.total,
            self.counts["done"], self.counts["skipped"], self.counts["failed"], left,
            _format_seconds(elapsed), eta))
    self.stream.flush()


def _ray_available():
  try:
    import ray  # pylint: disable=g-import-not-at-top,unused-import
    return True
  except ImportError:
    return False


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


def _dependency_failed(job, dependency, why="failed in this run"):
  return ModelOutcome(
      job.model_num, "failed", 0., os.path.join(job.model_dir, LOG),
      "not run: it continues from model {} (warm_start.study_model), which {}. "
      "Run model {} first (see its log.txt), then rerun.".format(
          dependency, why, dependency))


def _unmet_outside(jobs, dependencies, settings):
  """{model: dependency} of continuations whose pre-training is not in this run and
  has not finished with these run settings."""
  in_run = {job.model_num for job in jobs}
  unmet = {}
  for job in jobs:
    dependency = dependencies.get(job.model_num)
    if dependency is None or dependency in in_run:
      continue
    dependency_dir = os.path.join(os.path.dirname(job.model_dir), str(dependency))
    if not is_finished(dependency_dir, job.result_files, settings):
      unmet[job.model_num] = dependency
  return unmet


def _run_serial(jobs, progress, dependencies=None):
  """Runs the jobs in order; a job whose warm-start model failed is not started."""
  dependencies = dependencies or {}
  outcomes, failed = [], set()
  for job in jobs:
    dependency = dependencies.get(job.model_num)
    if dependency in failed and not is_finished(job.model_dir, job.result_files,
                                                _job_settings(job)):
      outcome = _dependency_failed(job, dependency)
    else:
      outcome = run_job(job)
    if outcome.status == "failed":
      failed.add(job.model_num)
    outcomes.append(outcome)
    progress.update(outcome)
  return outcomes


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
CONNECT_TIMEOUT_SECONDS = 10


def _address_host(address):
  """The host of a 'host:port' or 'ray://host:port' address, else None."""
  if not address or address in ("auto", "local"):
    return None
  rest = address.split("://", 1)[-1]
  return rest.rsplit(":", 1)[0].strip("[]") if ":" in rest else rest


def connect_ray(address):
  """ray.init for the runner: a local instance (address None) or a cluster.

  Ray rewrites a loopback bootstrap address (127.0.0.1, localhost) to this
  machine's interface address before connecting
  (ray._private.services.resolve_ip_for_localhost), which fails for a cluster
  whose nodes were started with --node-ip-address=127.0.0.1. For a loopback
  address the runner keeps it loopback. A failure names the address given, the
  one Ray tried, and the usual fixes.
  """
  import ray  # pylint: disable=g-import-not-at-top
  if ray.is_initialized():
    return
  if address is None:
    ray.init(include_dashboard=False, log_to_driver=False)
    return
  if _address_host(address) in LOOPBACK_HOSTS:
    # Read by services.get_node_ip_address at call time: the loopback address is
    # used as it is (as Ray does on macOS and Windows).
    ray._private.ray_constants.ENABLE_RAY_CLUSTER = False  # pylint: disable=protected-access
  tried = address
  try:
    if not address.startswith("ray://"):
      tried = ray._private.services.canonicalize_bootstrap_address(address)  # pylint: disable=protected-access
      if tried:
        # ray.init retries an address where nothing listens for minutes.
        host, port = tried.rsplit(":", 1)
        socket.create_connection((host.strip("[]"), int(port)),
                                 timeout=CONNECT_TIMEOUT_SECONDS).close()
    ray.init(address=address, include_dashboard=False, log_to_driver=False)
  except Exception as error:  # pylint: disable=broad-except
    raise ConnectionError(
        "Could not connect to the Ray cluster: --address={!r}, which Ray resolved "
        "to {!r} ({}: {}). Usual fixes: start the head node first (`ray start "
        "--head --port=<port>`) and pass the address it prints; check the port "
        "and that this machine can reach it; for a cluster on this machine's "
        "loopback start every node with --node-ip-address=127.0.0.1 and pass "
        "127.0.0.1:<port>; 'auto' finds a cluster started on this machine; omit "
        "--address to start a local Ray.".format(
            address, tried, type(error).__name__,
            str(error).splitlines()[0] if str(error) else "")) from error


def _probe_storage(output_directory):
  """Fails unless every Ray node can write and read the study directory.

  A task pinned to each alive node writes a probe file into `output_directory`
  and reads the driver's; the driver then reads every node's. Model directories
  are written by workers and read (markers, results) by the driver, so they must
  be on storage that all nodes share.
  """
  import ray  # pylint: disable=g-import-not-at-top
  from ray.util import scheduling_strategies  # pylint: disable=g-import-not-at-top
  nodes = [n for n in ray.nodes() if n.get("Alive")]
  if len(nodes) <= 1:
    return
  token = "{}-{}".format(os.getpid(), time.time())
  probe_dir = os.path.join(output_directory, ".storage_probe")
  os.makedirs(probe_dir, exist_ok=True)
  driver_probe = os.path.join(probe_dir, "driver-" + token)
  with open(driver_probe, "w") as f:
    f.write(token)

  def probe(node_id):
    seen = os.path.exists(driver_probe)
    path = os.path.join(probe_dir, "{}-{}".format(node_id, token))
    try:
      os.makedirs(probe_dir, exist_ok=True)
      with open(path, "w") as f:
        f.write(token)
    except OSError as error:
      return seen, "cannot write: {}".format(error)
    return seen, None

  remote_probe = ray.remote(num_cpus=0)(probe)
  refs = {node["NodeID"]: remote_probe.options(
      scheduling_strategy=scheduling_strategies.NodeAffinitySchedulingStrategy(
          node["NodeID"], soft=False)).remote(node["NodeID"]) for node in nodes}
  problems = []
  for node in nodes:
    node_id = node["NodeID"]
    where = "node {} ({})".format(node.get("NodeManagerAddress"), node_id[:8])
    try:
      seen, write_error = ray.get(refs[node_id])
    except ray.exceptions.TaskUnschedulableError:
      # Listed as alive, but gone by now (a node lost moments before, not yet
      # marked dead): no model will be scheduled there either.
      print("Ray {} is gone; not probed.".format(where), flush=True)
      continue
    if not seen:
      problems.append("{} does not see {}".format(where, driver_probe))
    if write_error:
      problems.append("{} {}".format(where, write_error))
    elif not os.path.exists(os.path.join(probe_dir, "{}-{}".format(node_id, token))):
      problems.append("the driver does not see the file written by {}".format(
          where))
  shutil.rmtree(probe_dir, ignore_errors=True)
  if problems:
    raise RuntimeError(
        "The study directory {} is not shared by every Ray node: {}. Workers write "
        "the model directories that the runner reads: put --output_directory on a "
        "filesystem that every node mounts at the same path (NFS, a cluster "
        "filesystem).".format(output_directory, "; ".join(problems)))


def _run_ray(jobs, progress, address, num_cpus_per_model, num_gpus_per_model,
             output_directory, dependencies=None):
  """Runs the jobs as Ray tasks; a job that warm-starts from another job of this
  run is submitted once that one has finished (and not at all if it failed)."""
  import ray  # pylint: disable=g-import-not-at-top
  connect_ray(address)
  _probe_storage(output_directory)
  # max_retries=0: a failed model is reported, not silently retried.
  remote_job = ray.remote(num_cpus=num_cpus_per_model, num_gpus=num_gpus_per_model,
                          max_retries=0)(run_job)
  dependencies = dependencies or {}
  in_run = {job.model_num for job in jobs}
  waiting = [job for job in jobs if dependencies.get(job.model_num) in in_run]
  pending = {remote_job.remote(job): job for job in jobs if job not in waiting}
  outcomes = []
  while pending:
    ready, _ = ray.wait(list(pending), num_returns=1)
    for ref in ready:
      job = pending.pop(ref)
      try:
        outcome = ray.get(ref)
      except Exception as error:  # pylint: disable=broad-except
        # The Ray worker waiting on the model died (e.g. its node was lost).
        outcome = ModelOutcome(job.model_num, "failed", 0.,
                               os.path.join(job.model_dir, LOG),
                               "Ray task failed: {}".format(error))
      outcomes.append(outcome)
      progress.update(outcome)
      for dependent in [j for j in waiting
                        if dependencies[j.model_num] == job.model_num]:
        waiting.remove(dependent)
        if outcome.status == "failed":
          outcomes.append(_dependency_failed(dependent, job.model_num))
          progress.update(outcomes[-1])
        else:
          pending[remote_job.remote(dependent)] = dependent
  # study_dependencies allows one level only, so every waiting job was released.
  assert not waiting, [job.model_num for job in waiting]
  return sorted(outcomes, key=lambda o: o.model_num)


def run_study(study_name, output_directory, model_nums=None, backend="auto",
              address=None, num_cpus_per_model=1, num_gpus_per_model=0,
              gin_bindings=(), metric_gin_bindings=(), visualize=True, env=None,
              stream=None):
  """Runs (or resumes) the models of a study and aggregates the finished ones.

  Args:
    study_name: a name in dlib's reproduce.STUDIES (the plugin's studies included),
      or "package.module:attribute" naming a dlib Study object.
    output_directory: the study's directory; model N goes to <output_directory>/N.
    model_nums: model numbers to run (default: all of the study).
    backend: "ray", "serial", or "auto" (Ray if installed, else serial).
    address: address of an existing Ray cluster (default: start a local one).
    num_cpus_per_model, num_gpus_per_model: resources of one Ray task.
    gin_bindings: extra training bindings for every model.
    metric_gin_bindings: extra bindings for every metric.
    visualize: whether to run dlib's visualize_model for every model.
    env: extra environment variables for the models' processes.
    stream: where progress is written (default: standard output).

  Returns:
    List of ModelOutcome, by model number.
  """
  if backend not in ("auto", "ray", "serial"):
    raise ValueError("backend must be 'auto', 'ray' or 'serial', not {!r}.".format(
        backend))
  if backend == "auto":
    backend = "ray" if _ray_available() else "serial"
  elif backend == "ray" and not _ray_available():
    raise ImportError("backend='ray' needs Ray: pip install 'mine_plugin[ray]' "
                      "(or ray>=2.9), or run with --backend=serial.")
  stream = sys.stdout if stream is None else stream
  # Absolute: on a cluster, workers do not share the driver's working directory.
  output_directory = os.path.abspath(output_directory)
  study = load_study(study_name)
  if model_nums is None:
    if not hasattr(study, "config"):
      raise ValueError("Study {!r} does not list its models; pass the model numbers "
                       "to run (--model_nums=0-9).".format(study_name))
    model_nums = range(len(study.config))
  model_nums = list(model_nums)
  if not model_nums:
    raise ValueError("No model numbers to run (model_nums is empty).")
  if hasattr(study, "config"):
    outside = sorted(n for n in model_nums if not 0 <= n < len(study.config))
    if outside:
      raise ValueError(
          "Model numbers {} are not in study {!r}, which has models 0-{}.".format(
              outside, study_name, len(study.config) - 1))
  dependencies = study_dependencies(study, study_name, model_nums)
  expected = result_files(study)
  jobs = [ModelJob(study_name, n, os.path.join(output_directory, str(n)), expected,
                   list(gin_bindings), list(metric_gin_bindings), visualize, env)
          for n in model_nums]
  os.makedirs(output_directory, exist_ok=True)
  with ownership.StudyLock(output_directory) as lock:
    if lock.message:
      stream.write("[{}] {}\n".format(study_name, lock.message))
    progress = Progress(study_name, len(jobs), stream)
    stream.write("[{}] {} models, backend {}, output {}\n".format(
        study_name, len(jobs), backend, output_directory))
    progress.update()
    unmet = _unmet_outside(jobs, dependencies, run_settings(
        study_name, gin_bindings, metric_gin_bindings, visualize))
    blocked = []
    for job in [j for j in jobs if j.model_num in unmet]:
      jobs.remove(job)
      blocked.append(_dependency_failed(
          job, unmet[job.model_num], "is not part of this run and has not "
          "finished with its settings"))
      progress.update(blocked[-1])
    if backend == "ray":
      outcomes = _run_ray(jobs, progress, address, num_cpus_per_model,
                          num_gpus_per_model, output_directory, dependencies)
    else:
      # Pre-trainings first (continuations are one level deep).
      outcomes = _run_serial(sorted(jobs, key=lambda j: (
          j.model_num in dependencies, j.model_num)), progress, dependencies)
    outcomes = sorted(outcomes + blocked, key=lambda o: o.model_num)
    aggregate_path = os.path.join(output_directory, AGGREGATE)
    count = aggregate(output_directory, expected, aggregate_path,
                      run_settings(study_name, gin_bindings, metric_gin_bindings,
                                   visualize))
  failed = [o.model_num for o in outcomes if o.status == "failed"]
  stream.write("[{}] {} results of finished models aggregated in {}.{}\n".format(
      study_name, count, aggregate_path,
      " Failed models (rerun to retry): {}; see their log.txt.".format(failed)
      if failed else ""))
  return outcomes


def aggregate(output_directory, expected_files, output_path, settings=None):
  """Writes the finished models' results in dlib_aggregate_results' JSON format.

  One record per metric result file: dlib's namespaced dict (`train_config.*`,
  `postprocess_config.*`, `evaluation_config.*`, `evaluation_results.*`) plus its
  `path`, as `disentanglement_lib.utils.aggregate_results` writes it, so
  `aggregate_results.load_aggregated_json_results` reads it back. Unfinished and
  moved-aside models, and models run with other `settings` (if given), are left
  out. Returns the number of records.
  """
  import pandas as pd  # pylint: disable=g-import-not-at-top
  records = []
  names = [n for n in os.listdir(output_directory) if n.isdigit()]
  for name in sorted(names, key=int):
    model_dir = os.path.join(output_directory, name)
    if not is_finished(model_dir, expected_files, settings):
      continue
    for relative in expected_files:
      path = os.path.join(model_dir, relative)
      with open(path) as f:
        record = json.load(f)
      record["path"] = path
      records.append(record)
  _write_atomically(output_path,
                    lambda f: pd.DataFrame(records).to_json(path_or_buf=f))
  return len(records)


def load_study(study_name):
  """A study by name in dlib's reproduce.STUDIES, or by "module:attribute"."""
  if ":" in study_name:
    import importlib  # pylint: disable=g-import-not-at-top
    module_name, attribute = study_name.split(":", 1)
    return getattr(importlib.import_module(module_name), attribute)
  from mine_plugin import studies  # pylint: disable=g-import-not-at-top
  return studies.get_study(study_name)


def _parse_one(argv):
  parser = argparse.ArgumentParser(
      description="Runs one model of a study (used by run_study in a fresh process).")
  parser.add_argument("--study", required=True)
  parser.add_argument("--model_num", type=int, required=True)
  parser.add_argument("--model_dir", required=True)
  parser.add_argument("--gin_bindings", action="append", default=[])
  parser.add_argument("--metric_gin_bindings", action="append", default=[])
  parser.add_argument("--no_visualize", action="store_true")
  return parser.parse_args(argv)


def main(argv=None):
  args = _parse_one(sys.argv[1:] if argv is None else argv)
  from absl import logging  # pylint: disable=g-import-not-at-top
  # As under dlib's console scripts: TF's step and loss lines go to the log.
  logging.set_verbosity(logging.INFO)
  reproduce_model(load_study(args.study), args.model_num, args.model_dir,
                  args.gin_bindings, args.metric_gin_bindings,
                  visualize=not args.no_visualize,
                  settings=run_settings(args.study, args.gin_bindings,
                                        args.metric_gin_bindings,
                                        not args.no_visualize))


if __name__ == "__main__":
  main()

"""Where the model jobs run: one after another in this process, or as Ray tasks.

A continuation runs after its pre-training, never if that failed. Ray: local
(`local_ray`) or a cluster whose nodes all mount the study directory (`probe_storage`).
"""
import os
import shutil
import socket
import time

from mine_plugin.runner import job_spec
from mine_plugin.runner import local_ray
from mine_plugin.runner import markers
from mine_plugin.runner import model_process

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
CONNECT_TIMEOUT_SECONDS = 10


def ray_available():
  try:
    import ray  # pylint: disable=g-import-not-at-top,unused-import
    return True
  except ImportError:
    return False


def serial_order(jobs, dependencies):
  """The jobs in the order a serial run takes them: by model number, each
  pre-training followed by its continuations ({continuation: pre-training} in
  `dependencies`; one level deep). A continuation needs its pre-training's
  checkpoint on the same disk: a run cut short, on a machine that may not keep its
  directory, then leaves at most one group unfinished rather than every
  continuation."""
  return sorted(jobs, key=lambda job: (
      dependencies.get(job.model_num, job.model_num), job.model_num in dependencies,
      job.model_num))


def run_serial(jobs, progress, dependencies=None):
  """Runs the jobs in `serial_order`; a job whose warm-start model failed is not
  started."""
  dependencies = dependencies or {}
  outcomes, failed = [], set()
  for job in serial_order(jobs, dependencies):
    dependency = dependencies.get(job.model_num)
    if dependency in failed and not markers.is_finished(
        job.model_dir, job.result_files, job.settings):
      outcome = job_spec.dependency_failed(job, dependency)
    else:
      outcome = model_process.run_job(job)
    if outcome.status == "failed":
      failed.add(job.model_num)
    outcomes.append(outcome)
    progress.update(outcome)
  return outcomes


def _address_host(address):
  """The host of a 'host:port' or 'ray://host:port' address, else None."""
  if not address or address in ("auto", "local"):
    return None
  rest = address.split("://", 1)[-1]
  return rest.rsplit(":", 1)[0].strip("[]") if ":" in rest else rest


def _token_locations():
  """Where Ray reads a token from, in its order, with what is there now."""
  token_path = os.environ.get("RAY_AUTH_TOKEN_PATH")
  default_path = os.path.join(os.path.expanduser("~"), ".ray", "auth_token")
  return ("RAY_AUTH_TOKEN ({}), else the file named by RAY_AUTH_TOKEN_PATH ({}), "
          "else {} ({})".format(
              "set" if os.environ.get("RAY_AUTH_TOKEN") else "unset",
              "unset" if token_path is None else repr(token_path) + (
                  ", exists" if os.path.isfile(token_path) else ", missing"),
              default_path,
              "exists" if os.path.isfile(default_path) else "missing"))


def use_token_if_available():
  """Token authentication for this driver when RAY_AUTH_MODE is unset and Ray
  finds a token (RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH, ~/.ray/auth_token).

  `ray start --head` turns token authentication on by itself when it finds a
  token, and a local `ray.init()` writes ~/.ray/auth_token, but `ray.init` with
  an address keeps Ray's default (disabled) and is refused by such a head. A
  driver in token mode also connects to a head without authentication (it sends a
  token that nobody checks). Token mode without a token would abort in Ray's C++
  loader, so without one the mode stays as it is. Returns the mode now in use.
  """
  from ray._private.authentication import authentication_token_setup  # pylint: disable=g-import-not-at-top
  from ray import exceptions as ray_exceptions  # pylint: disable=g-import-not-at-top
  from ray._raylet import AuthenticationTokenLoader  # pylint: disable=g-import-not-at-top
  if "RAY_AUTH_MODE" in os.environ:
    return os.environ["RAY_AUTH_MODE"]
  try:
    has_token = AuthenticationTokenLoader.instance().has_token(
        ignore_auth_mode=True)
  except ray_exceptions.AuthenticationError as error:
    # RAY_AUTH_TOKEN_PATH names no readable, non-empty file.
    raise ValueError(
        "Ray cannot read the token it was pointed at ({}). Point "
        "RAY_AUTH_TOKEN_PATH at the cluster's token file (the head's "
        "~/.ray/auth_token, which `ray get-auth-token` prints there), or unset "
        "it to use ~/.ray/auth_token.".format(
            str(error).split(". ", 1)[0])) from None
  if has_token:
    # Sets RAY_AUTH_MODE=token and reloads Ray's cached config (what Ray itself
    # does for a local instance), without its "enabled for this cluster" warning.
    authentication_token_setup._enable_token_auth()  # pylint: disable=protected-access
    print("Ray: RAY_AUTH_MODE is unset and a token was found ({}): connecting with "
          "token authentication.".format(_token_locations()), flush=True)
  return os.environ.get("RAY_AUTH_MODE", "disabled (Ray's default)")


def _refused_message(address, tried, mode, error):
  return (
      "The Ray cluster at --address={!r} (resolved to {!r}) refused this driver's "
      "authentication ({}): its nodes run with token authentication (`ray start` "
      "turns it on when it finds a token, e.g. the ~/.ray/auth_token a local Ray "
      "run wrote) and this driver's token, with RAY_AUTH_MODE={}, is missing or "
      "not the cluster's. Ray reads the token from {}. Fix it one of two ways: "
      "give every node and this driver the same token (copy the head's "
      "~/.ray/auth_token, which `ray get-auth-token` prints on the head, to that "
      "path; start worker nodes with RAY_AUTH_MODE=token, since `ray start "
      "--address` does not turn it on by itself), or run every node and this "
      "runner with RAY_AUTH_MODE=disabled.".format(
          address, tried, str(error).split(". ", 1)[0], mode, _token_locations()))


def connect_ray(address):
  """ray.init for the runner: a local instance (address None) or a cluster.

  Ray rewrites a loopback bootstrap address (127.0.0.1, localhost) to this
  machine's interface address before connecting
  (ray._private.services.resolve_ip_for_localhost), which fails for a cluster
  whose nodes were started with --node-ip-address=127.0.0.1. For a loopback
  address the runner keeps it loopback. A cluster is reached with a token when
  one is available (`use_token_if_available`), and asked once (a GCS client)
  before `ray.init`, which would retry a refused token for minutes. A failure
  names the address given, the one Ray tried, and the usual fixes; a refused
  token, where Ray looks for one and the two ways to fix it.
  """
  import ray  # pylint: disable=g-import-not-at-top
  if ray.is_initialized():
    return
  if address is None:
    # Ray's own default: token authentication, with a token written to
    # ~/.ray/auth_token if there is none (docs/studies.md, "On a Ray cluster").
    # Its processes end with this one, even after a SIGKILL (local_ray).
    local_ray.start(include_dashboard=False, log_to_driver=False)
    return
  if _address_host(address) in LOOPBACK_HOSTS:
    # Read by services.get_node_ip_address at call time: the loopback address is
    # used as it is (as Ray does on macOS and Windows).
    ray._private.ray_constants.ENABLE_RAY_CLUSTER = False  # pylint: disable=protected-access
  mode = use_token_if_available()
  tried = address
  try:
    if not address.startswith("ray://"):
      tried = ray._private.services.canonicalize_bootstrap_address(address)  # pylint: disable=protected-access
      if tried:
        # ray.init retries an address where nothing listens for minutes.
        host, port = tried.rsplit(":", 1)
        socket.create_connection((host.strip("[]"), int(port)),
                                 timeout=CONNECT_TIMEOUT_SECONDS).close()
        ray._raylet.GcsClient(address=tried)  # pylint: disable=protected-access
    ray.init(address=address, include_dashboard=False, log_to_driver=False)
  except ray.exceptions.AuthenticationError as error:
    raise ConnectionError(_refused_message(address, tried, mode, error)) from None
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


def probe_storage(output_directory):
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


def run_ray(jobs, progress, address, num_cpus_per_model, num_gpus_per_model,
            output_directory, dependencies=None):
  """Runs the jobs as Ray tasks; a job that warm-starts from another job of this
  run is submitted once that one has finished (and not at all if it failed)."""
  import ray  # pylint: disable=g-import-not-at-top
  connect_ray(address)
  probe_storage(output_directory)
  # max_retries=0: a failed model is reported, not silently retried.
  remote_job = ray.remote(num_cpus=num_cpus_per_model, num_gpus=num_gpus_per_model,
                          max_retries=0)(model_process.run_job)
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
        outcome = job_spec.ModelOutcome(
            job.model_num, "failed", 0., os.path.join(job.model_dir, markers.LOG),
            "Ray task failed: {}".format(error))
      outcomes.append(outcome)
      progress.update(outcome)
      for dependent in [j for j in waiting
                        if dependencies[j.model_num] == job.model_num]:
        waiting.remove(dependent)
        if outcome.status == "failed":
          outcomes.append(job_spec.dependency_failed(dependent, job.model_num))
          progress.update(outcomes[-1])
        else:
          pending[remote_job.remote(dependent)] = dependent
  # study_dependencies allows one level only, so every waiting job was released.
  assert not waiting, [job.model_num for job in waiting]
  return sorted(outcomes, key=lambda o: o.model_num)

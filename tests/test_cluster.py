"""The sweep runner on a real Ray cluster: a head and a worker node on loopback.

Both nodes are started with `ray start --block` in their own process groups, on
127.0.0.1 only (Ray's rewrite of loopback addresses to the interface address is
switched off for them, see RAY), with ports of their own; the fixture stops exactly those process
groups, also when a test fails. Most tests run with token authentication off for
the nodes and the driver (RAY_AUTH_MODE=disabled, ENV); the token tests take Ray's
defaults instead (USER_ENV: no RAY_AUTH_* variable, a home directory of their own),
in the order a new user would: a local study, then `ray start`, then `--address`.
Every process imports this working tree's mine_plugin (PYTHONPATH), not the copy
installed in the virtualenv.
"""
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from mine_plugin import runner
import pytest
from test_faults import model_in_training  # tests/ is on sys.path under pytest
import ray  # pylint: disable=unused-import  # the Ray extra, which setup.sh installs

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# `ray start`, except that 127.0.0.1 stays 127.0.0.1: on Linux Ray rewrites a loopback
# --node-ip-address (and bootstrap address) to the machine's interface address
# (ray._private.services.resolve_ip_for_localhost), so every node would listen there.
RAY = [sys.executable, "-c",
       "import sys; import ray._private.services as services; "
       "services.resolve_ip_for_localhost = lambda host: host; "
       "from ray.scripts.scripts import main; sys.argv[0] = 'ray'; main()"]
# Ray's defaults, as a user has them: no RAY_AUTH_MODE, RAY_AUTH_TOKEN(_PATH).
USER_ENV = {k: v for k, v in os.environ.items() if not k.startswith("RAY_AUTH_")}
USER_ENV["PYTHONPATH"] = os.pathsep.join(
    p for p in (REPO, os.environ.get("PYTHONPATH")) if p)
ENV = dict(USER_ENV, RAY_AUTH_MODE="disabled")


def free_ports(count):
  sockets, ports = [], []
  for _ in range(count):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    sockets.append(s)
    ports.append(s.getsockname()[1])
  for s in sockets:
    s.close()
  return ports


def node_command(head_port, head, ports):
  (node_manager, object_manager, runtime_env, agent_listen, agent_grpc, metrics,
   client, worker_low) = ports
  command = RAY + ["start", "--block", "--node-ip-address=127.0.0.1",
             "--num-cpus=1", "--disable-usage-stats",
             "--node-manager-port={}".format(node_manager),
             "--object-manager-port={}".format(object_manager),
             "--runtime-env-agent-port={}".format(runtime_env),
             "--dashboard-agent-listen-port={}".format(agent_listen),
             "--dashboard-agent-grpc-port={}".format(agent_grpc),
             "--metrics-export-port={}".format(metrics),
             "--min-worker-port={}".format(worker_low),
             "--max-worker-port={}".format(worker_low + 20)]
  if head:
    command += ["--head", "--port={}".format(head_port),
                "--include-dashboard=false",
                "--ray-client-server-port={}".format(client)]
  else:
    command += ["--address=127.0.0.1:{}".format(head_port)]
  return command


def _worker_port_block():
  """A free block of 21 ports for a node's workers."""
  for _ in range(50):
    low = free_ports(1)[0]
    if low + 21 < 65535:
      try:
        probes = []
        for port in range(low, low + 21):
          s = socket.socket()
          s.bind(("127.0.0.1", port))
          probes.append(s)
        for s in probes:
          s.close()
        return low
      except OSError:
        for s in probes:
          s.close()
  raise RuntimeError("no free block of 21 ports")


def alive_nodes(address, env):
  """Number of alive nodes, asked in a fresh process (no Ray state here)."""
  completed = subprocess.run(
      [sys.executable, "-c",
       "import ray; from mine_plugin import runner; runner.connect_ray({!r}); "
       "print(sum(n['Alive'] for n in ray.nodes()))".format(address)],
      capture_output=True, text=True, env=env, timeout=120)
  try:
    return int(completed.stdout.strip().splitlines()[-1])
  except (IndexError, ValueError):
    return 0


class Cluster(object):
  """A head and a worker node on 127.0.0.1, each in its own process group."""

  def __init__(self, log_dir, env=None):
    self.env = ENV if env is None else env
    self.head_port = free_ports(1)[0]
    self.address = "127.0.0.1:{}".format(self.head_port)
    # Ray's socket paths must stay short: a temp dir under /tmp.
    self.temp_dir = tempfile.mkdtemp(prefix="rc", dir="/tmp")
    self.log_dir = log_dir
    self.processes = {}

  def start_node(self, name, head, hide=None, env=None):
    """Starts a node (with the cluster's environment, or `env`); with `hide`, in a
    mount namespace where a private tmpfs covers that directory (a node that does
    not share it). Returns its process."""
    ports = free_ports(7) + [_worker_port_block()]
    command = node_command(self.head_port, head, ports)
    if head:
      command.append("--temp-dir={}".format(self.temp_dir))
    if hide is not None:
      command = ["unshare", "--mount", "sh", "-c",
                 'mount -t tmpfs none "$0" && exec "$@"', hide] + command
    log = open(os.path.join(self.log_dir, name + ".log"), "w")
    self.processes[name] = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT,
        env=self.env if env is None else env, start_new_session=True)
    return self.processes[name]

  def stop_node(self, name):
    process = self.processes.pop(name)
    with contextlib.suppress(ProcessLookupError):
      os.killpg(process.pid, signal.SIGKILL)
    process.wait()

  def stop(self):
    for name in list(self.processes):
      self.stop_node(name)
    shutil.rmtree(self.temp_dir, ignore_errors=True)


@contextlib.contextmanager
def running_cluster(log_dir, hide_from_worker=None, env=None, worker_env=None):
  """A head and a worker node, both alive; `env` for the head (and the driver
  that counts nodes), `worker_env` for the worker (default: `env`)."""
  nodes = Cluster(str(log_dir), env)
  try:
    nodes.start_node("head", head=True)
    deadline = time.time() + 90
    while alive_nodes(nodes.address, nodes.env) < 1:
      assert time.time() < deadline, open(str(log_dir / "head.log")).read()[-3000:]
      time.sleep(2)
    nodes.start_node("worker", head=False, hide=hide_from_worker, env=worker_env)
    while alive_nodes(nodes.address, nodes.env) < 2:
      assert time.time() < deadline, open(str(log_dir / "worker.log")).read()[-3000:]
      time.sleep(2)
    yield nodes
  finally:
    nodes.stop()


@pytest.fixture
def cluster(tmp_path):
  with running_cluster(tmp_path) as nodes:
    yield nodes


RUN_STUDY = [sys.executable, os.path.join(REPO, "scripts", "run_study.py"),
             "--study=mine_plugin_smoke", "--backend=ray", "--no_visualize"]


def test_study_runs_on_a_head_and_a_worker_node_through_address(cluster,
                                                                 tmp_path):
  output = str(tmp_path / "study")
  completed = subprocess.run(
      RUN_STUDY + ["--output_directory=" + output, "--address=" + cluster.address],
      capture_output=True, text=True, env=ENV, timeout=900)
  assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
  assert "2/2 finished (2 run now, 0 skipped), 0 failed" in completed.stdout
  expected = runner.result_files(runner.load_study("mine_plugin_smoke"))
  for model_num in (0, 1):
    assert runner.is_finished(os.path.join(output, str(model_num)), expected)
  with open(os.path.join(output, runner.AGGREGATE)) as f:
    assert len(json.load(f)["path"]) == 8
  # The storage probe cleaned up after itself.
  assert not os.path.exists(os.path.join(output, ".storage_probe"))


def test_unreachable_address_names_it_and_the_fixes(tmp_path):
  port = free_ports(1)[0]  # nothing listens there
  completed = subprocess.run(
      RUN_STUDY + ["--output_directory=" + str(tmp_path / "study"),
                   "--address=127.0.0.1:{}".format(port)],
      capture_output=True, text=True, env=ENV, timeout=300)
  assert completed.returncode != 0
  message = completed.stderr.strip().splitlines()[-1]
  assert "ConnectionError: Could not connect to the Ray cluster" in message
  assert "--address='127.0.0.1:{}'".format(port) in message
  assert "resolved to '127.0.0.1:{}'".format(port) in message
  assert "ray start --head" in message


def test_a_model_on_a_lost_node_is_reported_and_redone_on_the_next_run(
    cluster, tmp_path):
  output = str(tmp_path / "study")
  # Long enough (a few seconds of training) for the node to die mid-model.
  longer = ["--gin_bindings=model.training_steps = 3000"]
  first = subprocess.Popen(
      RUN_STUDY + ["--output_directory=" + output, "--address=" + cluster.address]
      + longer, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
      env=ENV, start_new_session=True)
  try:
    deadline = time.time() + 300
    # One model per node (one CPU each): both start at once.
    while not (model_in_training(output, 0) and model_in_training(output, 1)):
      assert time.time() < deadline and first.poll() is None, "models did not start"
      time.sleep(0.5)
    cluster.stop_node("worker")  # its raylet, workers and the model they ran
    stdout, _ = first.communicate(timeout=900)
  finally:
    with contextlib.suppress(ProcessLookupError):
      os.killpg(first.pid, signal.SIGKILL)
  assert first.returncode == 1, stdout[-3000:]
  assert "1 failed" in stdout and "Ray task failed" in stdout, stdout[-3000:]
  expected = runner.result_files(runner.load_study("mine_plugin_smoke"))
  finished = [n for n in (0, 1)
              if runner.is_finished(os.path.join(output, str(n)), expected)]
  assert len(finished) == 1
  # The next run (the head alone now) redoes the lost model and skips the other.
  rerun = subprocess.run(
      RUN_STUDY + ["--output_directory=" + output, "--address=" + cluster.address]
      + longer, capture_output=True, text=True, env=ENV, timeout=900)
  assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
  assert "2/2 finished (1 run now, 1 skipped), 0 failed" in rerun.stdout
  for model_num in (0, 1):
    assert runner.is_finished(os.path.join(output, str(model_num)), expected)


def test_a_study_directory_a_node_cannot_see_fails_before_any_model(tmp_path):
  # The worker node runs in a mount namespace where a private tmpfs covers the
  # study's parent directory: the same path, other storage.
  shared = tmp_path / "not_shared"
  shared.mkdir()
  with running_cluster(tmp_path, hide_from_worker=str(shared)) as nodes:
    output = str(shared / "study")
    completed = subprocess.run(
        RUN_STUDY + ["--output_directory=" + output, "--address=" + nodes.address],
        capture_output=True, text=True, env=ENV, timeout=300)
  assert completed.returncode != 0
  message = completed.stderr.strip().splitlines()[-1]
  assert "The study directory {} is not shared by every Ray node".format(
      output) in message
  # Every node is on loopback (nothing listens on another address).
  assert "node 127.0.0.1" in message and "does not see" in message, message
  assert "mounts at the same path" in message
  assert sorted(os.listdir(output)) == [".runner.lock"]  # no model was started


# Ray's defaults after a local study: the token it leaves, and the cluster after it.

@pytest.fixture(scope="module")
def after_a_local_study(tmp_path_factory):
  """A local study on a fresh home directory, then a head started as the docs say
  (`ray start --head`, Ray's defaults) and a worker node started with
  RAY_AUTH_MODE=token (docs/studies.md); yields (nodes, user's env, home)."""
  root = tmp_path_factory.mktemp("token_auth")
  home = root / "home"
  home.mkdir()
  env = dict(USER_ENV, HOME=str(home))
  local = subprocess.run(
      RUN_STUDY + ["--output_directory=" + str(root / "local_study")],
      capture_output=True, text=True, env=env, timeout=900)
  assert local.returncode == 0, local.stdout[-3000:] + local.stderr[-3000:]
  assert "2/2 finished (2 run now, 0 skipped), 0 failed" in local.stdout
  with running_cluster(root, env=env,
                       worker_env=dict(env, RAY_AUTH_MODE="token")) as nodes:
    yield nodes, env, home


def test_a_local_study_leaves_ray_token_and_a_cluster_started_after_it_runs_a_study(
    after_a_local_study, tmp_path):
  nodes, env, home = after_a_local_study
  # The runner's local Ray is Ray's own default: token authentication, with a
  # token generated into the home directory.
  token = home / ".ray" / "auth_token"
  assert token.is_file() and token.stat().st_size > 0
  # `ray start --head` found it and requires it.
  with open(os.path.join(str(nodes.log_dir), "head.log")) as f:
    assert "Token authentication is enabled for this Ray cluster" in f.read()
  output = str(tmp_path / "study")
  completed = subprocess.run(
      RUN_STUDY + ["--output_directory=" + output, "--address=" + nodes.address],
      capture_output=True, text=True, env=env, timeout=900)
  assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
  assert ("RAY_AUTH_MODE is unset and a token was found" in completed.stdout
          and "{} (exists)".format(token) in completed.stdout), completed.stdout
  assert "2/2 finished (2 run now, 0 skipped), 0 failed" in completed.stdout
  expected = runner.result_files(runner.load_study("mine_plugin_smoke"))
  for model_num in (0, 1):
    assert runner.is_finished(os.path.join(output, str(model_num)), expected)


@pytest.mark.parametrize("token", ["missing", "wrong"])
def test_a_refused_token_names_authentication_where_ray_looks_and_the_fixes(
    after_a_local_study, tmp_path, token):
  nodes, env, _ = after_a_local_study
  if token == "missing":  # another home directory, without a token
    home = tmp_path / "other_home"
    home.mkdir()
    env = dict(env, HOME=str(home))
    where = "{} (missing)".format(home / ".ray" / "auth_token")
  else:
    wrong = tmp_path / "wrong_token"
    wrong.write_text("0" * 32)
    env = dict(env, RAY_AUTH_TOKEN_PATH=str(wrong))
    where = "RAY_AUTH_TOKEN_PATH ({!r}, exists)".format(str(wrong))
  started = time.time()
  completed = subprocess.run(
      RUN_STUDY + ["--output_directory=" + str(tmp_path / "study"),
                   "--address=" + nodes.address],
      capture_output=True, text=True, env=env, timeout=300)
  assert completed.returncode != 0
  message = completed.stderr.strip().splitlines()[-1]
  assert message.startswith("ConnectionError: The Ray cluster at --address={!r}"
                            .format(nodes.address)), message
  assert "refused this driver's authentication" in message
  assert "InvalidAuthToken" in message
  assert ("RAY_AUTH_MODE=disabled (Ray's default)" if token == "missing"
          else "RAY_AUTH_MODE=token,") in message
  assert "Ray reads the token from RAY_AUTH_TOKEN (unset)" in message
  assert where in message
  assert "same token" in message and "start worker nodes with RAY_AUTH_MODE=token" in message
  assert "run every node and this runner with RAY_AUTH_MODE=disabled" in message
  # Refused at the first try, not after ray.init's retries (20 s and more).
  assert time.time() - started < 60
  assert not os.path.exists(str(tmp_path / "study" / "0"))


def test_a_worker_node_with_ray_defaults_is_refused_by_a_token_head(
    after_a_local_study):
  # Why the docs start worker nodes with RAY_AUTH_MODE=token: `ray start
  # --address` does not turn token authentication on by itself, even with the
  # token in its home directory.
  nodes, env, _ = after_a_local_study
  worker = nodes.start_node("default_worker", head=False, env=env)
  assert worker.wait(timeout=180) != 0
  with open(os.path.join(str(nodes.log_dir), "default_worker.log")) as f:
    log = f.read()
  assert "InvalidAuthToken" in log and "RAY_AUTH_MODE is currently 'disabled'" in log
  nodes.processes.pop("default_worker")


def test_a_token_path_that_names_no_file_is_named_with_the_fix(tmp_path):
  missing = str(tmp_path / "no_token")
  completed = subprocess.run(
      [sys.executable, "-c", "from mine_plugin import runner; "
       "runner.connect_ray('127.0.0.1:1')"],
      capture_output=True, text=True, timeout=120,
      env=dict(USER_ENV, HOME=str(tmp_path), RAY_AUTH_TOKEN_PATH=missing))
  assert completed.returncode != 0
  message = completed.stderr.strip().splitlines()[-1]
  assert message.startswith("ValueError: Ray cannot read the token"), message
  assert missing in message and "Point RAY_AUTH_TOKEN_PATH at" in message

"""The sweep runner on a real Ray cluster: a head and a worker node on loopback.

Both nodes are started with `ray start --block` in their own process groups, on
127.0.0.1 only (Ray's rewrite of loopback addresses to the interface address is
switched off for them, see RAY), with ports of their own; the fixture stops exactly those process
groups, also when a test fails. Token authentication is off for these nodes and
the driver (RAY_AUTH_MODE=disabled): nothing listens beyond this machine's test.
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
ENV = dict(os.environ, RAY_AUTH_MODE="disabled")


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


def alive_nodes(address):
  """Number of alive nodes, asked in a fresh process (no Ray state here)."""
  completed = subprocess.run(
      [sys.executable, "-c",
       "import ray; from mine_plugin import runner; runner.connect_ray({!r}); "
       "print(sum(n['Alive'] for n in ray.nodes()))".format(address)],
      capture_output=True, text=True, env=ENV, timeout=120)
  try:
    return int(completed.stdout.strip().splitlines()[-1])
  except (IndexError, ValueError):
    return 0


class Cluster(object):
  """A head and a worker node on 127.0.0.1, each in its own process group."""

  def __init__(self, log_dir):
    self.head_port = free_ports(1)[0]
    self.address = "127.0.0.1:{}".format(self.head_port)
    # Ray's socket paths must stay short: a temp dir under /tmp.
    self.temp_dir = tempfile.mkdtemp(prefix="rc", dir="/tmp")
    self.log_dir = log_dir
    self.processes = {}

  def start_node(self, name, head, hide=None):
    """Starts a node; with `hide`, in a mount namespace where a private tmpfs
    covers that directory (a node that does not share it)."""
    ports = free_ports(7) + [_worker_port_block()]
    command = node_command(self.head_port, head, ports)
    if head:
      command.append("--temp-dir={}".format(self.temp_dir))
    if hide is not None:
      command = ["unshare", "--mount", "sh", "-c",
                 'mount -t tmpfs none "$0" && exec "$@"', hide] + command
    log = open(os.path.join(self.log_dir, name + ".log"), "w")
    self.processes[name] = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, env=ENV,
        start_new_session=True)

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
def running_cluster(log_dir, hide_from_worker=None):
  nodes = Cluster(str(log_dir))
  try:
    nodes.start_node("head", head=True)
    deadline = time.time() + 90
    while alive_nodes(nodes.address) < 1:
      assert time.time() < deadline, open(str(log_dir / "head.log")).read()[-3000:]
      time.sleep(2)
    nodes.start_node("worker", head=False, hide=hide_from_worker)
    while alive_nodes(nodes.address) < 2:
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

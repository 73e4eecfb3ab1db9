"""A killed runner takes its local Ray along (mine_plugin/runner/local_ray.py), and
never a cluster's processes.

The processes of a runner's Ray are found by session: the runner is started in a
session of its own (start_new_session), and Ray's processes stay in the session of
the process that started them (none calls setsid); the watchdog, in a session of its
own, is found as a child of the runner. PIDs are compared with their start times, so
that a PID given to a later process never counts.
"""
import os
import signal
import subprocess
import sys
import textwrap

from mine_plugin.runner import local_ray
from mine_plugin.utils import processes
import test_cluster  # tests/ is on sys.path under pytest
from test_faults import is_zombie
from test_faults import model_in_training
from test_faults import wait_for

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Seconds within which every process of a killed runner's Ray must be gone. Measured
# with the watchdog: 1.2 s on 2 busy cores; without it Ray's agents stay about 60 s.
DEADLINE = 20


def stat_fields(pid):
  """Fields 3.. of /proc/<pid>/stat (state, ppid, pgrp, session, ...), or None."""
  try:
    with open("/proc/{}/stat".format(pid)) as f:
      return f.read().rsplit(")", 1)[1].split()
  except OSError:
    return None


def name(pid):
  try:
    with open("/proc/{}/cmdline".format(pid), "rb") as f:
      return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
  except OSError:
    return ""


def in_session(session):
  """{pid: start ticks} of the processes of `session` (zombies excluded)."""
  found = {}
  for entry in os.listdir("/proc"):
    fields = entry.isdigit() and stat_fields(entry)
    if fields and int(fields[3]) == session and fields[0] != "Z":
      found[int(entry)] = processes.start_ticks(int(entry))
  return found


def still_running(recorded):
  """The recorded processes ({pid: start ticks}) that run now."""
  return {pid for pid, ticks in recorded.items()
          if processes.start_ticks(pid) == ticks and not is_zombie(pid)}


def kill_leftovers(recorded):
  """Ends what a failed test left of the recorded processes (and only those)."""
  for pid in still_running(recorded):
    try:
      os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
      pass


# A stand-in for a runner: it hands the watchdog a process tree shaped as Ray's
# (a parent that outlives the runner, with children, one started after the
# hand-over), and starts one more process that it does not hand over.
FAKE_RUNNER = textwrap.dedent("""
    import subprocess, sys, time
    from mine_plugin.runner import local_ray
    watchdog = local_ray.Watchdog()
    tree = subprocess.Popen(["sh", "-c", "sleep 600 & sleep 1; sleep 600 & wait"])
    other = subprocess.Popen(["sleep", "600"])
    watchdog.own([tree.pid])
    print(watchdog.process.pid, tree.pid, other.pid, flush=True)
    time.sleep(600)
""")


def test_the_watchdog_ends_what_it_was_handed_and_nothing_else(tmp_path):
  runner = subprocess.Popen([sys.executable, "-c", FAKE_RUNNER], cwd=REPO,
                            stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
  recorded = {}
  try:
    watchdog, tree, other = (int(p) for p in runner.stdout.readline().split())
    recorded = {pid: processes.start_ticks(pid) for pid in (watchdog, tree, other)}
    # The tree's second child starts a second after the hand-over.
    children = wait_for(lambda: len(local_ray.descendants(
        [tree], local_ray.process_table())) == 3 and local_ray.descendants(
            [tree], local_ray.process_table()), 30, "the tree's two children")
    recorded.update({pid: processes.start_ticks(pid) for pid in children})
    runner.send_signal(signal.SIGKILL)
    runner.wait()
    wait_for(lambda: still_running(recorded) == {other}, DEADLINE,
             "the tree and the watchdog to end, and only them")
  finally:
    kill_leftovers(recorded)
    runner.wait()


def test_a_process_with_another_start_time_is_not_recorded():
  watch = local_ray.Watch()
  watch.record({os.getpid(): processes.start_ticks(os.getpid()) + 1})
  assert watch.recorded == {}
  watch.record({os.getpid(): processes.start_ticks(os.getpid())})
  assert os.getpid() in watch.recorded


def watchdogs_of(runner_pid):
  """The watchdogs that `runner_pid` started (in sessions of their own)."""
  return [pid for pid, parent in local_ray.process_table().items()
          if parent == runner_pid and "local_ray.main" in name(pid)]


def start_runner(output, log_path, *flags, env=None):
  return subprocess.Popen(
      [sys.executable, os.path.join(REPO, "scripts", "run_study.py"),
       "--study=mine_plugin_smoke", "--backend=ray", "--no_visualize",
       "--output_directory=" + output,
       # Long enough to be killed mid-training.
       "--gin_bindings=model.training_steps = 3000"] + list(flags),
      stdout=open(log_path, "w"), stderr=subprocess.STDOUT, env=env,
      start_new_session=True)


def test_a_killed_runner_leaves_no_process_of_its_local_ray(tmp_path):
  output = str(tmp_path / "study")
  runner = start_runner(output, str(tmp_path / "runner.log"))
  recorded = {}
  try:
    wait_for(lambda: model_in_training(output, 0) or model_in_training(output, 1),
             300, "a model training")
    recorded = in_session(runner.pid)
    watchdogs = watchdogs_of(runner.pid)
    assert len(watchdogs) == 1
    recorded.update({pid: processes.start_ticks(pid) for pid in watchdogs})
    names = " ".join(name(pid) for pid in recorded)
    # Ray's processes, the agents that would outlive the runner among them.
    for process_name in ("gcs_server", "raylet", "ray::DashboardAgent",
                         "ray::RuntimeEnvAgent", "mine_plugin.runner --study"):
      assert process_name in names, names
    runner.send_signal(signal.SIGKILL)  # the runner alone, not its session
    runner.wait()
    wait_for(lambda: not still_running(recorded) and not in_session(runner.pid),
             DEADLINE, "every process of the runner's Ray to end")
  finally:
    kill_leftovers(recorded)
    kill_leftovers(in_session(runner.pid))
    runner.wait()


def test_a_killed_runner_leaves_the_cluster_it_was_connected_to_running(tmp_path):
  output = str(tmp_path / "study")
  with test_cluster.running_cluster(tmp_path) as cluster:
    runner = start_runner(output, str(tmp_path / "runner.log"),
                          "--address=" + cluster.address, env=test_cluster.ENV)
    try:
      wait_for(lambda: model_in_training(output, 0) and model_in_training(output, 1),
               300, "a model training on each node")
      # Each node's processes are in the session of its `ray start` (the
      # cluster's own process groups).
      nodes = {}
      for node in cluster.processes.values():
        nodes.update(in_session(node.pid))
      daemons = {pid: ticks for pid, ticks in nodes.items() if any(
          daemon in name(pid) for daemon in ("gcs_server", "raylet",
                                             "ray::DashboardAgent",
                                             "ray::RuntimeEnvAgent"))}
      assert len(daemons) == 7, [name(pid) for pid in daemons]  # gcs + 3 per node
      models = {pid: ticks for pid, ticks in nodes.items()
                if "mine_plugin.runner --study" in name(pid)}
      assert len(models) == 2
      assert not watchdogs_of(runner.pid)  # no local Ray, nothing to watch
      runner.send_signal(signal.SIGKILL)
      runner.wait()
      # Ray ends the dead driver's tasks, and the models' processes with them ...
      wait_for(lambda: not still_running(models), DEADLINE,
               "the killed runner's models to end")
      # ... and nothing of the cluster itself.
      assert still_running(daemons) == set(daemons)
      assert test_cluster.alive_nodes(cluster.address, cluster.env) == 2
    finally:
      kill_leftovers(in_session(runner.pid))
      runner.wait()

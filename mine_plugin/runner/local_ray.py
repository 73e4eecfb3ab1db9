"""The local Ray that a runner starts, owned by it: a killed runner takes it along.

Ray's dashboard and runtime-env agents outlive a SIGKILLed runner (Ray 2.60), so
`start` runs a `Watchdog` in its own session that records each second what `ray.init`
started and its descendants (with start times), and SIGKILLs those still running
once the runner is gone. A cluster reached with `--address` is never touched.
"""
import os
import select
import signal
import subprocess
import sys

from mine_plugin.utils import processes

POLL_SECONDS = 1.0
# The watchdog's program (`python -m` would run this module a second time: the
# package imports it).
WATCHDOG = ("import sys; from mine_plugin.runner import local_ray; "
            "local_ray.main(sys.argv[1:])")

_watchdogs = []  # Kept referenced for the runner's lifetime: their stdin is the pipe.


def process_table():
  """{pid: parent pid} of every process of this host (Linux's /proc)."""
  table = {}
  for name in os.listdir("/proc"):
    if not name.isdigit():
      continue
    try:
      with open("/proc/{}/stat".format(name)) as f:
        table[int(name)] = int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
      pass  # Ended while the table was read.
  return table


def descendants(roots, table):
  """`roots` and every process below them in `table` ({pid: parent pid})."""
  children = {}
  for pid, parent in table.items():
    children.setdefault(parent, []).append(pid)
  found, stack = set(), [pid for pid in roots if pid in table]
  while stack:
    pid = stack.pop()
    if pid not in found:
      found.add(pid)
      stack.extend(children.get(pid, ()))
  return found


class Watch(object):
  """The processes a watchdog will end: {pid: start time in clock ticks}."""

  def __init__(self):
    self.recorded = {}

  def record(self, roots):
    """Records `roots` ({pid: start ticks}) and the descendants of every recorded
    process; forgets those that ended (their PIDs may be given to others)."""
    running = {pid: ticks
               for pid, ticks in list(self.recorded.items()) + list(roots.items())
               if ticks is not None and processes.start_ticks(pid) == ticks}
    for pid in descendants(running, process_table()) - set(running):
      running[pid] = processes.start_ticks(pid)
    self.recorded = running

  def kill(self):
    """SIGKILLs every recorded process that still runs; returns their PIDs."""
    self.record({})  # Children started since the last poll, while parents live.
    killed = []
    for pid, ticks in sorted(self.recorded.items()):
      if ticks is None or processes.start_ticks(pid) != ticks:
        continue  # Ended, or its PID now names another process.
      try:
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)
      except (ProcessLookupError, PermissionError):
        pass
    return killed


def watch(fd, runner_pid, runner_ticks, poll_seconds=POLL_SECONDS):
  """The watchdog's loop: records the processes named on file descriptor `fd`
  ("<pid> <start ticks>" lines) and their descendants until the runner is gone,
  then kills them. Returns the PIDs killed."""
  owned, pending = Watch(), b""
  while True:
    # Once the runner is gone, what it wrote before is still read, without waiting.
    gone = processes.start_ticks(runner_pid) != runner_ticks
    readable, _, _ = select.select([fd], [], [], 0 if gone else poll_seconds)
    data = os.read(fd, 65536) if readable else b""
    *lines, pending = (pending + data).split(b"\n")
    owned.record({int(pid): int(ticks)
                  for pid, ticks in (line.split() for line in lines)})
    if not data and (gone or readable):  # gone, or its end of the pipe closed
      return owned.kill()


class Watchdog(object):
  """The runner's end of a watchdog (see the module docstring)."""

  def __init__(self):
    # The runner's PID on the command line: by the time the watchdog reads its
    # parent, a killed runner may already be gone.
    pid = os.getpid()
    self.process = subprocess.Popen(
        [sys.executable, "-c", WATCHDOG, str(pid), str(processes.start_ticks(pid))],
        stdin=subprocess.PIPE, text=True, start_new_session=True)
    _watchdogs.append(self)

  def own(self, pids):
    """Hands the processes `pids` (and, from now on, their descendants) over."""
    for pid in sorted(pids):
      ticks = processes.start_ticks(pid)
      if ticks is not None:
        self.process.stdin.write("{} {}\n".format(pid, ticks))
    self.process.stdin.flush()


def _children():
  return {pid for pid, parent in process_table().items() if parent == os.getpid()}


def start(**init_kwargs):
  """`ray.init(**init_kwargs)` for a new local Ray whose processes the watchdog ends
  with this process."""
  import ray  # pylint: disable=g-import-not-at-top
  if not os.path.isdir("/proc"):  # No /proc to follow processes in.
    ray.init(**init_kwargs)
    return
  watchdog = Watchdog()
  before = _children() | {watchdog.process.pid}
  try:
    ray.init(**init_kwargs)
  finally:
    # Also after a failed start: whatever it left running goes with the runner.
    watchdog.own(_children() - before)


def main(argv):
  """The watchdog: `argv` is [runner's PID, its start ticks] (`Watchdog`)."""
  if len(argv) != 2 or not all(arg.isdigit() for arg in argv):
    raise SystemExit("The watchdog takes the runner's PID and start ticks (as "
                     "local_ray.Watchdog passes them), not {}.".format(argv))
  watch(sys.stdin.fileno(), int(argv[0]), int(argv[1]))

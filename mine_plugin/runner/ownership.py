"""Who owns a study directory and a model directory, so that runs never collide.

`StudyLock`: `fcntl.flock` on `<output_directory>/.runner.lock`, held for the whole
run; a second runner is refused, a dead runner's lock taken over (across hosts only
where the filesystem supports flock, e.g. NFSv4). `OWNER_FILE`: PID, start time and
host of a model's process, touched every HEARTBEAT_SECONDS; a rerun leaves the model
alone while that PID lives (this host) or the file is fresher than STALE_SECONDS.
"""
import ctypes
import errno
import fcntl
import json
import os
import signal
import socket
import sys
import time

from mine_plugin.utils import atomic_write
from mine_plugin.utils import processes
from mine_plugin.utils.processes import process_alive

LOCK_FILE = ".runner.lock"
OWNER_FILE = "mine_plugin_owner.json"
HEARTBEAT_SECONDS = 30
STALE_SECONDS = 300

_PR_SET_PDEATHSIG = 1


def describe_owner(owner):
  """'PID <pid> on host <host> (since <time>)' of an owner record."""
  return "PID {} on host {} (since {})".format(
      owner.get("pid"), owner.get("host"), owner.get("started", "?"))


def _owner_record():
  return {"pid": os.getpid(), "host": socket.gethostname(),
          "started": time.strftime("%Y-%m-%d %H:%M:%S"),
          "command": " ".join(sys.argv)}


def _read_json(path):
  try:
    with open(path) as f:
      return json.load(f)
  except (OSError, ValueError):
    return None


class StudyLockedError(RuntimeError):
  """Another runner holds the study directory."""


class StudyLock(object):
  """The advisory lock of one study output directory (see the module docstring).

  Use as a context manager; `message` says whether a stale lock was taken over.
  """

  def __init__(self, output_directory):
    self.path = os.path.join(output_directory, LOCK_FILE)
    self.message = None
    self._file = None

  def acquire(self):
    os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
    handle = open(self.path, "a+")
    try:
      fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
      if error.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
        handle.close()
        raise
      handle.seek(0)
      try:
        owner = json.loads(handle.read() or "{}")
      except ValueError:
        owner = {}
      handle.close()
      raise StudyLockedError(
          "Another study runner is using {}: {}, running `{}`. Two runners on one "
          "output directory would move each other's models aside; wait for it to "
          "finish, stop it (kill {}), or give this run another "
          "--output_directory.".format(
              os.path.dirname(self.path), describe_owner(owner),
              owner.get("command", "?"), owner.get("pid", "<pid>")))
    handle.seek(0)
    try:
      previous = json.loads(handle.read() or "null")
    except ValueError:
      previous = None
    if previous:
      self.message = ("Took over the lock of {} left by a runner that is no longer "
                      "running ({}).".format(self.path, describe_owner(previous)))
    handle.seek(0)
    handle.truncate()
    json.dump(_owner_record(), handle)
    handle.flush()
    self._file = handle
    return self

  def release(self):
    if self._file is None:
      return
    self._file.seek(0)
    self._file.truncate()
    self._file.flush()
    fcntl.flock(self._file, fcntl.LOCK_UN)
    self._file.close()
    self._file = None

  def __enter__(self):
    return self.acquire()

  def __exit__(self, *unused_exc):
    self.release()


def write_owner(model_dir, pid):
  """Records that process `pid` of this host trains the model in `model_dir`."""
  record = dict(_owner_record(), pid=pid, start_ticks=processes.start_ticks(pid))
  atomic_write.write_json_atomically(os.path.join(model_dir, OWNER_FILE), record,
                              indent=None)


def release_owner(model_dir):
  """Removes the owner marker once the model's process has ended."""
  try:
    os.remove(os.path.join(model_dir, OWNER_FILE))
  except OSError:
    pass


def heartbeat(model_dir):
  """Marks the owner of `model_dir` as alive now (the marker's mtime)."""
  try:
    os.utime(os.path.join(model_dir, OWNER_FILE))
  except OSError:
    pass


def live_owner(model_dir, now=None):
  """The owner record of `model_dir` if its process may still run, else None.

  A process on another host cannot be checked from here: it counts as alive while
  its marker's heartbeat is fresher than STALE_SECONDS.
  """
  path = os.path.join(model_dir, OWNER_FILE)
  owner = _read_json(path)
  if not owner or not isinstance(owner.get("pid"), int):
    return None
  if owner.get("host") != socket.gethostname():
    try:
      age = (time.time() if now is None else now) - os.path.getmtime(path)
    except OSError:
      return None
    return owner if age < STALE_SECONDS else None
  pid = owner["pid"]
  if pid == os.getpid() or not process_alive(pid):
    return None
  recorded = owner.get("start_ticks")
  if recorded is not None and processes.start_ticks(pid) not in (None, recorded):
    return None  # The PID was reused by another process.
  return owner


def die_with_parent(parent_pid):
  """A subprocess `preexec_fn`: the child gets SIGKILL when its parent dies (Linux).

  `parent_pid` is the PID of the process that starts the child (os.getpid() there);
  if it died between fork and prctl, the child exits at once. Elsewhere (no prctl)
  the function does nothing.
  """

  def preexec():
    if not sys.platform.startswith("linux"):
      return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:
      os._exit(1)  # pylint: disable=protected-access

  return preexec

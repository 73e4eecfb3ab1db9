"""Processes of this host (Linux's /proc): a PID plus its start time names one."""
import os


def process_alive(pid):
  """Whether a process with this PID exists on this host."""
  try:
    os.kill(pid, 0)
  except ProcessLookupError:
    return False
  except PermissionError:  # Exists, owned by someone else.
    return True
  return True


def start_ticks(pid):
  """The process's start time in clock ticks since boot (/proc/<pid>/stat field
  22), which tells a reused PID from the original process; None if unknown."""
  try:
    with open("/proc/{}/stat".format(pid)) as f:
      return int(f.read().rsplit(")", 1)[1].split()[19])
  except (OSError, ValueError, IndexError):
    return None


def _boot_time():
  with open("/proc/stat") as f:
    for line in f:
      if line.startswith("btime "):
        return int(line.split()[1])
  raise ValueError("no btime in /proc/stat")


def running_since(pid, when):
  """Whether process `pid` runs and already ran at `when` (seconds since the epoch,
  to the second): False for an ended process and for a later one given its PID.

  Where the start time cannot be read (no /proc), a running PID counts as the same
  process.
  """
  if not process_alive(pid):
    return False
  ticks = start_ticks(pid)
  try:
    started = _boot_time() + ticks / os.sysconf("SC_CLK_TCK")
  except (OSError, ValueError, TypeError):
    return True
  return started <= when + 1  # `when` was truncated to the second

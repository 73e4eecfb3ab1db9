"""Atomic writes (`atomic_path`, `write_atomically`): no reader sees half a file."""
import contextlib
import json
import os



@contextlib.contextmanager
def atomic_path(path, suffix=".partial"):
  """Yields a temporary path; renames it to `path` if the block succeeds.

  For writers that need a path rather than a file object (zipfile, h5py). The
  temporary file is removed if the block raises.
  """
  temporary = path + suffix
  try:
    yield temporary
    os.replace(temporary, path)
  finally:
    if os.path.exists(temporary):
      os.remove(temporary)


def write_atomically(path, write, mode="w"):
  """Calls `write(file)` on a temporary file, syncs it, then renames it to `path`."""
  with atomic_path(path, suffix=".tmp") as temporary:
    with open(temporary, mode) as f:
      write(f)
      f.flush()
      os.fsync(f.fileno())


def write_json_atomically(path, content, indent=2):
  """Writes `content` as JSON to `path` atomically (see `write_atomically`)."""
  write_atomically(path, lambda f: json.dump(content, f, indent=indent))

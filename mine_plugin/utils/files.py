"""File helpers shared by every module that writes or parses files.

`atomic_path` / `write_atomically`: a file appears under its final name only once it
is complete, so a process killed mid-write leaves the previous file whole and a
reader never sees half a file. `read_npy_header` parses the header of a `.npy`
stream (numpy's format, NEP 1) without reading the array.
"""
import contextlib
import json
import os

import numpy as np


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


def read_npy_header(stream):
  """Returns (shape, fortran_order, dtype) of the `.npy` array starting at `stream`.

  Leaves `stream` at the first byte of the array's data. Raises ValueError for a
  stream that is not a `.npy` array.
  """
  version = np.lib.format.read_magic(stream)
  if version == (1, 0):
    return np.lib.format.read_array_header_1_0(stream)
  if version == (2, 0):
    return np.lib.format.read_array_header_2_0(stream)
  raise ValueError("Unsupported .npy format version {}; expected 1.0 or 2.0.".format(
      version))

"""Tests of mine_plugin/utils/atomic_write.py and of the .npy header reader of
mine_plugin/data/dataset_files.py."""
import io
import json
import os

import numpy as np
import pytest

from mine_plugin.data import dataset_files
from mine_plugin.utils import atomic_write


def test_write_json_atomically_replaces_the_file_and_leaves_no_temporary(tmp_path):
  path = str(tmp_path / "results.json")
  atomic_write.write_json_atomically(path, {"a": 1})
  atomic_write.write_json_atomically(path, {"a": 2})
  with open(path) as f:
    assert json.load(f) == {"a": 2}
  assert os.listdir(tmp_path) == ["results.json"]


def test_a_failed_write_keeps_the_previous_file_whole(tmp_path):
  path = str(tmp_path / "results.json")
  atomic_write.write_json_atomically(path, {"a": 1})

  def fail_halfway(f):
    f.write('{"a": ')
    raise RuntimeError("killed")

  with pytest.raises(RuntimeError, match="killed"):
    atomic_write.write_atomically(path, fail_halfway)
  with open(path) as f:
    assert json.load(f) == {"a": 1}
  assert os.listdir(tmp_path) == ["results.json"]


def test_atomic_path_publishes_only_on_success(tmp_path):
  path = str(tmp_path / "data.bin")
  with pytest.raises(ValueError):
    with atomic_write.atomic_path(path) as temporary:
      with open(temporary, "wb") as f:
        f.write(b"x")
      raise ValueError
  assert not os.listdir(tmp_path)
  with atomic_write.atomic_path(path) as temporary:
    with open(temporary, "wb") as f:
      f.write(b"xyz")
  with open(path, "rb") as f:
    assert f.read() == b"xyz"


@pytest.mark.parametrize("version", [(1, 0), (2, 0)])
def test_read_npy_header_reads_shape_and_dtype_and_stops_at_the_data(version):
  array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
  stream = io.BytesIO()
  np.lib.format.write_array(stream, array, version=version)
  stream.seek(0)
  shape, fortran_order, dtype = dataset_files.read_npy_header(stream)
  assert (shape, fortran_order, dtype) == ((2, 3, 4), False, np.dtype(np.uint8))
  assert stream.read() == array.tobytes()


def test_read_npy_header_refuses_what_is_not_npy():
  with pytest.raises(ValueError):
    dataset_files.read_npy_header(io.BytesIO(b"PK\x03\x04 not an npy file"))

"""Reads PyTorch `.pth` state_dicts into numpy arrays, without PyTorch.

Both `torch.save` formats, zip (>= 1.6) and legacy (torch/serialization.py;
https://pytorch.org/docs/stable/notes/serialization.html). Only tensors in dicts,
lists and tuples are accepted; no code from the file runs.
"""
import collections
import pickle
import zipfile

import numpy as np

_LEGACY_MAGIC = 0x1950a86a20f9469cfc6c
_LEGACY_PROTOCOL = 1001
_STORAGE_DTYPES = {
    "DoubleStorage": np.float64, "FloatStorage": np.float32,
    "HalfStorage": np.float16, "LongStorage": np.int64, "IntStorage": np.int32,
    "ShortStorage": np.int16, "CharStorage": np.int8, "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class _StorageType(object):

  def __init__(self, name):
    self.dtype = np.dtype(_STORAGE_DTYPES[name])


class _StorageRef(collections.namedtuple("_StorageRef", ["key", "dtype"])):
  """A storage named by the pickle; its bytes are read when the object is built."""


_TensorRef = collections.namedtuple("_TensorRef",
                                    ["storage", "offset", "size", "stride"])


def _rebuild_tensor(storage, storage_offset, size, stride, *unused_args):
  return _TensorRef(storage, storage_offset, tuple(size), tuple(stride))


def _rebuild_parameter(data, *unused_args):
  return data


class _Unpickler(pickle.Unpickler):
  """Builds tensors as _TensorRef; refuses every global that is not a tensor's."""

  def __init__(self, stream, path):
    super().__init__(stream)
    self.path = path

  def find_class(self, module, name):
    if module == "collections" and name == "OrderedDict":
      return collections.OrderedDict
    if module == "torch._utils" and name == "_rebuild_tensor_v2":
      return _rebuild_tensor
    if module == "torch._utils" and name == "_rebuild_parameter":
      return _rebuild_parameter
    if module == "torch" and name in _STORAGE_DTYPES:
      return _StorageType(name)
    raise ValueError(
        "{} holds {}.{}, which is not part of a tensor state_dict; expected a "
        "dict of tensors saved with torch.save (storages {}).".format(
            self.path, module, name, ", ".join(sorted(_STORAGE_DTYPES))))

  def persistent_load(self, pid):
    if not isinstance(pid, tuple) or not pid or pid[0] != "storage":
      raise ValueError("{}: unexpected persistent id {!r}; expected a tensor "
                       "storage.".format(self.path, pid))
    storage_type, key = pid[1], str(pid[2])
    if not isinstance(storage_type, _StorageType):
      raise ValueError("{}: storage {} has type {!r}; supported: {}.".format(
          self.path, key, storage_type, ", ".join(sorted(_STORAGE_DTYPES))))
    return _StorageRef(key, storage_type.dtype)


def _build(value, storages):
  """Replaces every _TensorRef in nested containers by its numpy array."""
  if isinstance(value, _TensorRef):
    storage = storages[value.storage.key]
    itemsize = storage.dtype.itemsize
    return np.lib.stride_tricks.as_strided(
        storage[value.offset:], shape=value.size,
        strides=[s * itemsize for s in value.stride]).copy()
  if isinstance(value, dict):
    return type(value)((k, _build(v, storages)) for k, v in value.items())
  if isinstance(value, (list, tuple)):
    return type(value)(_build(v, storages) for v in value)
  return value


def _storage_refs(value, found):
  if isinstance(value, _TensorRef):
    found[value.storage.key] = value.storage.dtype
  elif isinstance(value, dict):
    for item in value.values():
      _storage_refs(item, found)
  elif isinstance(value, (list, tuple)):
    for item in value:
      _storage_refs(item, found)
  return found


def _load_zip(path):
  with zipfile.ZipFile(path) as archive:
    names = archive.namelist()
    pickles = [n for n in names if n.endswith("/data.pkl")]
    if len(pickles) != 1:
      raise ValueError("{} is a zip file but not a torch.save file: expected one "
                       "<folder>/data.pkl, found {}.".format(path, pickles or "none"))
    prefix = pickles[0][:-len("data.pkl")]
    byteorder = "little"
    if prefix + "byteorder" in names:
      byteorder = archive.read(prefix + "byteorder").decode().strip()
    with archive.open(pickles[0]) as stream:
      obj = _Unpickler(stream, path).load()
    storages = {}
    for key, dtype in _storage_refs(obj, {}).items():
      dtype = dtype.newbyteorder("<" if byteorder == "little" else ">")
      storages[key] = np.frombuffer(archive.read(prefix + "data/" + key), dtype)
  return obj, storages


def _load_legacy(path):
  with open(path, "rb") as stream:
    # Every pickle of the stream goes through _Unpickler, which builds no object
    # from the file other than containers and tensors.
    try:
      magic = _Unpickler(stream, path).load()
    except Exception:  # pylint: disable=broad-except
      magic = None
    if magic != _LEGACY_MAGIC:
      raise ValueError("{} is not a PyTorch file: neither a zip archive nor a legacy "
                       "torch.save stream (magic number {:#x}).".format(
                           path, _LEGACY_MAGIC))
    protocol = _Unpickler(stream, path).load()
    if protocol != _LEGACY_PROTOCOL:
      raise ValueError("{}: legacy torch.save protocol {!r}, expected {}.".format(
          path, protocol, _LEGACY_PROTOCOL))
    _Unpickler(stream, path).load()  # System information (endianness, sizes).
    obj = _Unpickler(stream, path).load()
    keys = _Unpickler(stream, path).load()
    dtypes = _storage_refs(obj, {})
    storages = {}
    for key in keys:
      count = int(np.frombuffer(stream.read(8), "<i8")[0])
      dtype = np.dtype(dtypes.get(str(key), np.uint8)).newbyteorder("<")
      data = stream.read(count * dtype.itemsize)
      if len(data) != count * dtype.itemsize:
        raise ValueError("{} ends inside storage {}.".format(path, key))
      storages[str(key)] = np.frombuffer(data, dtype)
  return obj, storages


def load_state_dict(path):
  """The tensors of a `.pth` file as {name: numpy array} (nested containers kept).

  Raises:
    ValueError: if the file is not a torch.save file of tensors.
  """
  if zipfile.is_zipfile(path):
    obj, storages = _load_zip(path)
  else:
    obj, storages = _load_legacy(path)
  return _build(obj, storages)

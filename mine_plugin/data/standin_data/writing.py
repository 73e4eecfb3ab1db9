"""Stand-in writing: never replace others' files, mark ours, write .npz files whole."""
import contextlib
import os
import zipfile

import numpy as np

from mine_plugin.data import dataset_files
from mine_plugin.utils import atomic_write

# What the marker (`dataset_files.STANDIN_MARKER`) and the README next to the file say.
STANDIN_NOTE = ("PROCEDURAL STAND-IN written by mine_plugin.data.standin_data; NOT the "
                "real {name} data set. Scores on it are not comparable with "
                "published results.")


def check_target(path, overwrite, title):
  """Refuses to replace any file but one of our own stand-ins with overwrite=True."""
  if not os.path.exists(path):
    return
  try:
    ours = dataset_files.is_standin(path)
  except Exception:  # pylint: disable=broad-except
    ours = False  # Unreadable: not provably ours, so never touch it.
  if not ours:
    raise FileExistsError(
        "{} already exists and is not a mine_plugin stand-in (it may be the real {} "
        "data): refusing to overwrite it. Move it away first if you really want a "
        "stand-in there.".format(path, title))
  if not overwrite:
    raise FileExistsError(
        "{} already exists (a mine_plugin stand-in of {}). Pass --overwrite "
        "(overwrite=True) to write it again.".format(path, title))


def write_readme(path, title, details):
  """Writes the text file that says the data file `path` is a stand-in."""
  with open(dataset_files.standin_readme_path(path), "w") as f:
    f.write("{}\n\nFile: {}\n\n{}\n".format(
        STANDIN_NOTE.format(name=title), os.path.basename(path), details))


@contextlib.contextmanager
def npz_writer(path, compress):
  """Yields `add(name, array_or_chunks, shape=None, dtype=None)` writing into `path`.

  An .npz is a zip of .npy files (numpy.lib.format); members are streamed so a
  multi-GB array never sits in memory. The file appears under `path` only once it
  is complete (`atomic_write.atomic_path`).
  """
  compression = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
  with atomic_write.atomic_path(path) as partial:
    with zipfile.ZipFile(partial, "w", compression=compression, allowZip64=True,
                         compresslevel=1 if compress else None) as zip_file:

      def add(name, data, shape=None, dtype=None):
        with zip_file.open(name + ".npy", "w", force_zip64=True) as member:
          if shape is None:  # A whole (small) array, possibly of objects.
            np.lib.format.write_array(member, np.asanyarray(data), allow_pickle=True)
            return
          header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                    "fortran_order": False, "shape": tuple(shape)}
          np.lib.format.write_array_header_2_0(member, header)
          written = 0
          for chunk in data:
            chunk = np.ascontiguousarray(chunk, dtype=dtype)
            member.write(chunk.tobytes())
            written += chunk.size
          if written != int(np.prod(shape)):
            raise RuntimeError("Wrote {} elements to {}, expected {}.".format(
                written, name, int(np.prod(shape))))

      yield add


def subgrid(values, size):
  """`size` values of `values`, evenly spaced and including both ends."""
  if not 1 <= size <= len(values):
    raise ValueError("A reduced grid needs between 1 and {} values for this factor, "
                     "got {}.".format(len(values), size))
  return values[np.round(np.linspace(0, len(values) - 1, size)).astype(int)]


def factor_grid(factor_values):
  """(prod(sizes), num_factors) classes and values, last factor fastest."""
  sizes = [len(v) for v in factor_values]
  classes = np.stack(np.meshgrid(*[np.arange(s) for s in sizes], indexing="ij"),
                     axis=-1).reshape(-1, len(sizes))
  values = np.stack([v[classes[:, j]] for j, v in enumerate(factor_values)], axis=1)
  return classes.astype(np.int64), values.astype(np.float64)

"""The data files: where each one lies, what it holds, how a stand-in is marked.

Under $DISENTANGLEMENT_LIB_DATA (default '.'), read when asked; no TensorFlow.
dSprites (Matthey et al. 2017, https://github.com/deepmind/dsprites-dataset):
`dsprites/dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz`. Shapes3D (Burgess & Kim
2018, https://github.com/deepmind/3d-shapes): dlib's `3dshapes/look-at-object-room_
floor-hueXwall-hueXobj-hueXobj-sizeXobj-shapeXview-azi.npz` or the official
`3dshapes/3dshapes.h5` (keys, dtypes, shapes as dlib reads them). A stand-in holds
`STANDIN_MARKER` and has a `<file>` + `STANDIN_README_SUFFIX` beside it.
"""
import math
import os
import warnings
import zipfile

import numpy as np

DATA_ENV = "DISENTANGLEMENT_LIB_DATA"

# dSprites: the official file, which dlib reads.
DSPRITES_URL = ("https://github.com/deepmind/dsprites-dataset (file "
                "https://github.com/deepmind/dsprites-dataset/raw/master/"
                "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz)")
DSPRITES_RELATIVE_PATH = os.path.join(
    "dsprites", "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz")
# The file's latents (Matthey et al. 2017), in its order; colour has one value.
DSPRITES_FACTOR_NAMES = ("color", "shape", "scale", "orientation", "posX", "posY")
DSPRITES_FACTOR_SIZES = (1, 3, 6, 40, 32, 32)
DSPRITES_NUM_IMAGES = math.prod(DSPRITES_FACTOR_SIZES)
DSPRITES_IMAGE_SHAPE = (64, 64)

# Shapes3D: dlib's npz (factor axes kept), else the official h5 (flat).
SHAPES3D_URL = ("https://github.com/deepmind/3d-shapes (file "
                "https://storage.googleapis.com/3d-shapes/3dshapes.h5)")
SHAPES3D_NPZ_RELATIVE_PATH = os.path.join(
    "3dshapes", "look-at-object-room_floor-hueXwall-hueXobj-hueXobj-sizeXobj-"
    "shapeXview-azi.npz")
SHAPES3D_H5_RELATIVE_PATH = os.path.join("3dshapes", "3dshapes.h5")
# The `labels` columns (Burgess & Kim 2018), in their order, and the full grid.
SHAPES3D_FACTOR_NAMES = ("floor_hue", "wall_hue", "object_hue", "scale", "shape",
                         "orientation")
SHAPES3D_FACTOR_SIZES = (10, 10, 10, 8, 4, 15)
SHAPES3D_NUM_IMAGES = math.prod(SHAPES3D_FACTOR_SIZES)
SHAPES3D_IMAGE_SHAPE = (64, 64, 3)

# CelebA (Liu et al. 2015, "Deep Learning Face Attributes in the Wild"), the aligned
# and cropped images with the official attribute and partition files, in the layout
# torchvision's `CelebA` documents. All three are needed (mine_plugin.data.ground_truth.celeba).
CELEBA_URL = ("https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html (the 'Align&Cropped "
              "Images' img_align_celeba.zip and the 'Anno' and 'Eval' text files)")
CELEBA_DIR = "celeba"
CELEBA_IMAGE_DIR = "img_align_celeba"
CELEBA_ATTRIBUTE_FILE = "list_attr_celeba.txt"
CELEBA_PARTITION_FILE = "list_eval_partition.txt"
CELEBA_IMAGE_SIZE = (178, 218)  # (width, height) of every aligned JPEG.
CELEBA_NUM_ATTRIBUTES = 40

# Weights for the image-quality metrics (mine_plugin.evaluation.metrics): the
# user's files, looked for under the data root unless a gin setting names them.
INCEPTION_RELATIVE_PATH = os.path.join("inception", "classify_image_graph_def.pb")
INCEPTION_URL = ("http://download.tensorflow.org/models/image/imagenet/"
                 "inception-2015-12-05.tgz (the graph TTUR's fid.py uses; unpack "
                 "classify_image_graph_def.pb)")
LPIPS_BACKBONE_RELATIVE_PATH = os.path.join("lpips", "alexnet-owt-7be5be79.pth")
LPIPS_BACKBONE_URL = ("https://download.pytorch.org/models/alexnet-owt-7be5be79.pth "
                      "(torchvision's ImageNet AlexNet)")
LPIPS_HEAD_RELATIVE_PATH = os.path.join("lpips", "alex.pth")
LPIPS_HEAD_URL = ("the `lpips` wheel on PyPI (BSD licence), file "
                  "lpips/weights/v0.1/alex.pth, or https://github.com/richzhang/"
                  "PerceptualSimilarity (lpips/weights/v0.1/alex.pth)")

# Each file-backed data set: its files relative to the data root, in the order the
# loader looks for them (it reads the first that exists; a stand-in is written to
# the first unless asked otherwise), and where the real data is.
_FILE_DATA_SETS = {
    "dsprites": ((DSPRITES_RELATIVE_PATH,), DSPRITES_URL),
    "shapes3d": ((SHAPES3D_NPZ_RELATIVE_PATH, SHAPES3D_H5_RELATIVE_PATH),
                 SHAPES3D_URL),
    # A directory: the loader names whichever of its three parts is missing. There
    # is no procedural stand-in for it.
    "celeba": ((CELEBA_DIR,), CELEBA_URL),
}
# `dataset.name` -> the file-backed data set it reads, None if it reads no file.
# Names of dlib's other data sets (cars3d, smallnorb, mpi3d_*, scream_dsprites)
# are left to dlib's own loaders and are not listed.
_FILE_DATA_SET_OF_NAME = {
    "synthetic_squares": None,  # Rendered in memory.
    "synthetic_squares_32": None,
    "dummy_data": None,  # dlib's random data.
    "dsprites_full": "dsprites",
    "dsprites_noshape": "dsprites",
    "color_dsprites": "dsprites",
    "noisy_dsprites": "dsprites",
    "shapes3d": "shapes3d",
    "celeba": "celeba",
}

# Key (npz member) / root attribute (h5) that marks a file as a procedural stand-in.
STANDIN_MARKER = "mine_plugin_standin"
# Suffix of the text file written next to each stand-in data file.
STANDIN_README_SUFFIX = ".MINE_PLUGIN_STANDIN_README.txt"
_STANDIN_COMMAND = ("python scripts/make_standin_data.py --dataset={name} "
                    "--data_dir={root}")


class StandinDataWarning(UserWarning):
  """A procedural stand-in, not the real data set, was loaded."""


def data_dir():
  """The data root dlib uses, read now (dlib's modules read it once, at import)."""
  return os.environ.get(DATA_ENV, ".")


def _under(root, relative_path):
  return os.path.join(data_dir() if root is None else root, relative_path)


def dsprites_path(root=None):
  """dSprites' npz under `root` (default: the data root of now)."""
  return _under(root, DSPRITES_RELATIVE_PATH)


def shapes3d_npz_path(root=None):
  """dlib's Shapes3D npz under `root` (default: the data root of now)."""
  return _under(root, SHAPES3D_NPZ_RELATIVE_PATH)


def shapes3d_h5_path(root=None):
  """The official 3dshapes.h5 under `root` (default: the data root of now)."""
  return _under(root, SHAPES3D_H5_RELATIVE_PATH)


def celeba_dir(root=None):
  """CelebA's directory under `root` (default: the data root of now)."""
  return _under(root, CELEBA_DIR)


def user_file(setting, path, relative_path, url, needed_by):
  """A file the user supplies: `path` if set, else `relative_path` under the data root.

  Raises FileNotFoundError naming the gin `setting`, the path looked at and `url`.
  """
  if path is None:
    path = _under(None, relative_path)
    if not os.path.isfile(path):
      raise FileNotFoundError(
          "{needed_by} needs {name}: {setting} is not set and {path!r} ({root}) does "
          "not exist. Get it from {url} and put it there, or set {setting} to its "
          "path.".format(needed_by=needed_by, name=os.path.basename(relative_path),
                         setting=setting, path=path, root=data_root_description(),
                         url=url))
  elif not os.path.isfile(path):
    raise FileNotFoundError("{} = {!r} does not exist. It must be {} from {}.".format(
        setting, path, os.path.basename(relative_path), url))
  return path


def file_data_set(dataset_name):
  """'dsprites' or 'shapes3d': the files `dataset.name = dataset_name` reads.

  Returns None for a data set that reads no file (synthetic squares are rendered in
  memory). The result is also the `--dataset` of `scripts/make_standin_data.py`.

  Raises:
    ValueError: for a name whose files the plugin does not know.
  """
  if dataset_name not in _FILE_DATA_SET_OF_NAME:
    raise ValueError(
        "No data files known for dataset.name={!r}. Known names: {}. dlib's cars3d, "
        "smallnorb, mpi3d_* and scream_dsprites read files that only dlib's own "
        "loaders know (disentanglement_lib/data/ground_truth/).".format(
            dataset_name, ", ".join(sorted(_FILE_DATA_SET_OF_NAME))))
  return _FILE_DATA_SET_OF_NAME[dataset_name]


def dataset_files(dataset_name, root=None):
  """The data files that `dataset.name = dataset_name` reads, under `root`.

  Args:
    dataset_name: a dlib `dataset.name`, e.g. 'dsprites_full' or 'shapes3d'.
    root: data root; defaults to $DISENTANGLEMENT_LIB_DATA (or '.'), read now.

  Returns:
    A tuple of alternative paths in the order the loader looks for them; it reads
    the first that exists (Shapes3D: dlib's npz, else the official 3dshapes.h5).
    An empty tuple for a data set that needs no file (e.g. synthetic squares).

  Raises:
    ValueError: for a name whose files the plugin does not know (see
      `file_data_set`).
  """
  data_set = file_data_set(dataset_name)
  if data_set is None:
    return ()
  relative_paths, _ = _FILE_DATA_SETS[data_set]
  return tuple(_under(root, relative_path) for relative_path in relative_paths)


def data_root_description():
  """Where data files are looked for, in words, for error messages."""
  value = os.environ.get(DATA_ENV)
  if value is None:
    return ("the directory in ${}, which is not set, so the current directory "
            "{!r}".format(DATA_ENV, os.path.abspath(".")))
  return "the directory in ${}={!r}".format(DATA_ENV, value)


def missing_data_message(dataset_name):
  """The one message for a data set whose file is not there."""
  data_set = file_data_set(dataset_name)
  _, url = _FILE_DATA_SETS[data_set]
  return (
      "Data set {name!r} needs {files}, which does not exist. Data files are "
      "looked up under {root}. Either download the real data from {url} and put it "
      "there, or write a procedural stand-in (NOT the real data; fine for smoke "
      "tests) with:\n  {command}".format(
          name=dataset_name,
          files=" or ".join(repr(p) for p in dataset_files(dataset_name)),
          root=data_root_description(), url=url,
          command=_STANDIN_COMMAND.format(name=data_set,
                                          root=os.path.abspath(data_dir()))))


def standin_readme_path(path):
  """The text file that says the data file `path` is a stand-in."""
  return path + STANDIN_README_SUFFIX


def is_standin(path):
  """True if `path` is a stand-in written by the plugin (reads the marker only)."""
  if path.endswith(".h5"):
    import h5py  # pylint: disable=g-import-not-at-top
    with h5py.File(path, "r") as h5_file:
      return STANDIN_MARKER in h5_file.attrs
  with zipfile.ZipFile(path) as zip_file:
    return STANDIN_MARKER + ".npy" in zip_file.namelist()


def warn_if_standin(path, title):
  """Emits a `StandinDataWarning` if `path` is a stand-in of data set `title`."""
  if is_standin(path):
    warnings.warn(
        "{} is a PROCEDURAL STAND-IN for {} written by mine_plugin, not the real "
        "data: results on it are not comparable with published ones.".format(
            path, title), StandinDataWarning, stacklevel=3)


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

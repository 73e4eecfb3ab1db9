"""Shapes3D as uint8 in memory, also from 3dshapes.h5; replaces dlib's `shapes3d`."""
import os
import zipfile

from disentanglement_lib.data.ground_truth import ground_truth_data
from disentanglement_lib.data.ground_truth import util
import numpy as np

from mine_plugin.data import dataset_files
from mine_plugin.utils import atomic_write

_IMAGE_SHAPE = dataset_files.SHAPES3D_IMAGE_SHAPE
_NUM_FACTORS = len(dataset_files.SHAPES3D_FACTOR_NAMES)

class Shapes3D(ground_truth_data.GroundTruthData):
  """Shapes3D (Kim & Mnih 2018, "Disentangling by Factorising"; Burgess & Kim 2018).

  Same factors, factor order and observations as dlib's `shapes3d.Shapes3D`
  (0 floor hue, 1 wall hue, 2 object hue, 3 scale, 4 shape, 5 orientation; values
  `images[i].astype(float32) / 255.`), but the images stay uint8 in memory
  (480000 x 64 x 64 x 3 = 5.9 GB) and are converted per batch; dlib converts the
  whole set up front (23.6 GB, with a second 23.6 GB temporary).

  Reads dlib's file (`3dshapes/look-at-object-room_...npz`) or, if that is absent,
  the official `3dshapes/3dshapes.h5`. The factor grid is read from `labels`: each
  factor's classes are its sorted distinct label values, and the row of every
  factor combination is looked up (util.StateSpaceAtomIndex), so the file's row
  order does not matter and reduced grids (tests) work.
  """

  def __init__(self, path=None):
    if path is None:
      path = find_shapes3d_file()
    images, labels = _read_shapes3d(path)  # Clear errors for a bad file first.
    dataset_files.warn_if_standin(path, "Shapes3D")
    classes = np.empty(labels.shape, dtype=np.int64)
    self.factor_values = []
    for j in range(labels.shape[1]):
      # Rounded so that float noise in stored labels cannot split a value.
      values, classes[:, j] = np.unique(np.round(labels[:, j], 6),
                                        return_inverse=True)
      self.factor_values.append(values)
    self.factor_sizes = [len(v) for v in self.factor_values]
    if int(np.prod(self.factor_sizes)) != len(images):
      raise ValueError(
          "{}: labels have {} distinct values per factor (product {}), but there "
          "are {} images; expected one image per factor combination, e.g. the full "
          "grid {} = {} images.".format(path, self.factor_sizes,
                                        int(np.prod(self.factor_sizes)),
                                        len(images),
                                        list(dataset_files.SHAPES3D_FACTOR_SIZES),
                                        dataset_files.SHAPES3D_NUM_IMAGES))
    self.index = util.StateSpaceAtomIndex(self.factor_sizes, classes)
    self.images = images
    self.latent_factor_indices = list(range(_NUM_FACTORS))
    self.state_space = util.SplitDiscreteStateSpace(self.factor_sizes,
                                                    self.latent_factor_indices)

  @property
  def num_factors(self):
    return self.state_space.num_latent_factors

  @property
  def factors_num_values(self):
    return self.factor_sizes

  @property
  def observation_shape(self):
    return list(_IMAGE_SHAPE)

  def sample_factors(self, num, random_state):
    """Sample a batch of factors Y."""
    return self.state_space.sample_latent_factors(num, random_state)

  def sample_observations_from_factors(self, factors, random_state):
    """Sample a batch of observations X given a batch of factors Y."""
    all_factors = self.state_space.sample_all_factors(factors, random_state)
    indices = self.index.features_to_index(all_factors)
    # The same float32 arithmetic as dlib's whole-array conversion.
    return self.images[indices].astype(np.float32) / 255.


def find_shapes3d_file():
  """dlib's Shapes3D npz if present, else the official 3dshapes.h5."""
  for path in dataset_files.dataset_files("shapes3d"):
    if os.path.exists(path):
      return path
  raise FileNotFoundError(dataset_files.missing_data_message("shapes3d"))


def _shape_error(path, what):
  grid, flat = dataset_files.SHAPES3D_FACTOR_SIZES, (dataset_files.SHAPES3D_NUM_IMAGES,)
  return ValueError(
      "{} is not a valid Shapes3D file ({}). Expected dlib's npz with 'images' uint8 "
      "{} and 'labels' {}, or the official 3dshapes.h5 with 'images' uint8 {} and "
      "'labels' float64 {}. Download it again from {} or rewrite the stand-in with "
      "--overwrite.".format(path, what, grid + _IMAGE_SHAPE, grid + (_NUM_FACTORS,),
                            flat + _IMAGE_SHAPE, flat + (_NUM_FACTORS,),
                            dataset_files.SHAPES3D_URL))


def _read_stored_npz_member(path, member_name):
  """Reads an uncompressed .npy member of an .npz straight into one array.

  `np.load` streams a member through zipfile (256 KB reads, each copied, plus a
  CRC); for a 5.9 GB array one `readinto` at the member's offset is much cheaper.
  Returns None (np.load then reads it) if the member is compressed, of objects,
  Fortran-ordered or in a .npy version other than 1.0/2.0.
  """
  with zipfile.ZipFile(path) as zip_file:
    info = zip_file.getinfo(member_name)
  if info.compress_type != zipfile.ZIP_STORED:
    return None
  with open(path, "rb") as f:
    # Local file header (PKWARE APPNOTE 4.3.7): 30 bytes, then name and extra field,
    # whose lengths are at offsets 26 and 28.
    f.seek(info.header_offset)
    local_header = f.read(30)
    name_length = int.from_bytes(local_header[26:28], "little")
    extra_length = int.from_bytes(local_header[28:30], "little")
    f.seek(info.header_offset + 30 + name_length + extra_length)
    try:
      shape, fortran_order, dtype = dataset_files.read_npy_header(f)
    except ValueError:  # A .npy version read_npy_header does not parse.
      return None
    if fortran_order or dtype.hasobject:
      return None
    array = np.empty(shape, dtype)
    buffer = memoryview(array.reshape(-1)).cast("B")
    position, chunk = 0, 1 << 28  # One read() moves at most ~2 GB on Linux.
    while position < array.nbytes:
      count = f.readinto(buffer[position:position + chunk])
      if not count:
        raise EOFError("{} ends inside {}.".format(path, member_name))
      position += count
  return array


def _read_shapes3d(path):
  """(images uint8 (N, 64, 64, 3), labels float64 (N, 6)), read once into memory."""
  ndim = len(_IMAGE_SHAPE)
  try:
    if path.endswith(".h5"):
      import h5py  # pylint: disable=g-import-not-at-top
      with h5py.File(path, "r") as h5_file:
        image_set, label_set = h5_file["images"], h5_file["labels"]
        if (image_set.dtype != np.uint8 or image_set.shape[1:] != _IMAGE_SHAPE or
            label_set.shape != (image_set.shape[0], _NUM_FACTORS)):
          raise _shape_error(path, "images {} {}, labels {}".format(
              image_set.dtype, image_set.shape, label_set.shape))
        images = np.empty(image_set.shape, np.uint8)
        image_set.read_direct(images)  # No second copy.
        labels = np.asarray(label_set, dtype=np.float64)
    else:
      if not zipfile.is_zipfile(path):
        raise _shape_error(path, "unreadable: not an npz (zip) file")
      with np.load(path, encoding="latin1") as data:
        labels = data["labels"]
        images = _read_stored_npz_member(path, "images.npy")
        if images is None:  # Compressed: let numpy inflate it.
          images = data["images"]
      if (images.dtype != np.uint8 or images.shape[-ndim:] != _IMAGE_SHAPE or
          labels.shape[-1:] != (_NUM_FACTORS,) or
          int(np.prod(labels.shape[:-1])) != int(np.prod(images.shape[:-ndim]))):
        raise _shape_error(path, "images {} {}, labels {}".format(
            images.dtype, images.shape, labels.shape))
      images = images.reshape((-1,) + _IMAGE_SHAPE)
      labels = labels.reshape(-1, _NUM_FACTORS).astype(np.float64)
  except (OSError, KeyError, zipfile.BadZipFile, EOFError) as error:
    raise _shape_error(path, "unreadable: {}".format(error)) from error
  return images, labels


def shapes3d():
  """`dataset.name = 'shapes3d'`: the plugin's uint8 `Shapes3D`."""
  return Shapes3D()

"""The plugin's ground-truth data sets, usable by name through dlib's `dataset.name`.

Registered in `mine_plugin/__init__.py` through `compat.PLUGIN_DATASETS`:

==========================  ===================================================
`dataset.name`              returns
==========================  ===================================================
`synthetic_squares`         `SyntheticSquares(image_size=64)`: 64x64x1, for dlib's
                            `conv_encoder`/`deconv_decoder`.
`synthetic_squares_32`      `SyntheticSquares(image_size=32)`: 32x32x1, for
                            `conv_encoder_32`/`deconv_decoder_32`.
`shapes3d`                  `Shapes3D`: dlib's Shapes3D factors and observations,
                            kept as uint8 in memory (~5.9 GB instead of ~23.6 GB).
`dsprites_full`,            dlib's own `dsprites.DSprites`/`ColorDSprites`/
`dsprites_noshape`,         `NoisyDSprites`, unchanged, after checking that the
`color_dsprites`,           file exists and has the expected shapes (one clear
`noisy_dsprites`            message otherwise).
==========================  ===================================================

Data files are looked up under $DISENTANGLEMENT_LIB_DATA read when a data set is
built (dlib's modules read it once, at import). Procedural stand-ins for dSprites and
Shapes3D are written by `python scripts/make_standin_data.py`
(`mine_plugin.data.standin_data`); loading one emits a `StandinDataWarning`.
"""
import os
import warnings
import zipfile

from disentanglement_lib.data.ground_truth import dsprites
from disentanglement_lib.data.ground_truth import ground_truth_data
from disentanglement_lib.data.ground_truth import util
import gin
import numpy as np

from mine_plugin.data import standin_data

DSPRITES_URL = ("https://github.com/deepmind/dsprites-dataset (file "
                "https://github.com/deepmind/dsprites-dataset/raw/master/"
                "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz)")
SHAPES3D_URL = ("https://github.com/deepmind/3d-shapes (file "
                "https://storage.googleapis.com/3d-shapes/3dshapes.h5)")
_STANDIN_COMMAND = ("python scripts/make_standin_data.py --dataset={name} "
                    "--data_dir={root}")


class StandinDataWarning(UserWarning):
  """A procedural stand-in, not the real data set, was loaded."""


def _warn_if_standin(path, name):
  if standin_data.is_standin(path):
    warnings.warn(
        "{} is a PROCEDURAL STAND-IN for {} written by mine_plugin, not the real "
        "data: results on it are not comparable with published ones.".format(
            path, name), StandinDataWarning, stacklevel=3)


def _data_root_description():
  value = os.environ.get(standin_data.DATA_ENV)
  if value is None:
    return ("the directory in $DISENTANGLEMENT_LIB_DATA, which is not set, so the "
            "current directory {!r}".format(os.path.abspath(".")))
  return "the directory in $DISENTANGLEMENT_LIB_DATA={!r}".format(value)


def missing_data_message(name, paths, url, standin_name):
  """The one message for a data file that is not there."""
  return (
      "Data set {name!r} needs {files}, which does not exist. Data files are "
      "looked up under {root}. Either download the real data from {url} and put it "
      "there, or write a procedural stand-in (NOT the real data; fine for smoke "
      "tests) with:\n  {command}".format(
          name=name, files=" or ".join(repr(p) for p in paths),
          root=_data_root_description(), url=url,
          command=_STANDIN_COMMAND.format(
              name=standin_name, root=os.path.abspath(standin_data.data_dir()))))


# ----------------------------------------------------------------------------
# Synthetic squares.


@gin.configurable("synthetic_squares", denylist=["image_size"])
class SyntheticSquares(ground_truth_data.GroundTruthData):
  """A centred grey square on black: size, intensity and rotation.

  Factors of variation (all discrete, as dlib's metrics need):
  0 - size: side length as a fraction of the image side, `num_sizes` values evenly
      spaced over `size_range` (default 12 values in [0.2, 0.65]).
  1 - intensity: grey level of the square, `num_intensities` values evenly spaced
      over `intensity_range` (default 12 values in [0.3, 1.0]).
  2 - rotation: one of `angles` in degrees (default 0, 22.5, 45, 67.5). A square is
      symmetric under a quarter turn, so angles must lie in [0, 90) to give
      distinct images.

  The (default 12 x 12 x 4 = 576) images are rendered once, anti-aliased by
  `supersampling` x `supersampling` samples per pixel (the pixel value is the
  covered area times the intensity), and kept in memory as float32 (2.4 MB at
  32x32, 9.4 MB at 64x64). With `noise_std > 0`, independent Gaussian noise of that
  standard deviation, drawn from the `random_state` given to
  `sample_observations_from_factors`, is added and the result clipped to [0, 1];
  with the default 0 observations are exact renderings.
  """

  def __init__(self, image_size=64, num_sizes=12, size_range=(0.2, 0.65),
               num_intensities=12, intensity_range=(0.3, 1.0),
               angles=(0., 22.5, 45., 67.5), noise_std=0., supersampling=8):
    self.image_size = _check_int("image_size", image_size, 8)
    num_sizes = _check_int("synthetic_squares.num_sizes", num_sizes, 2)
    num_intensities = _check_int("synthetic_squares.num_intensities",
                                 num_intensities, 2)
    self.supersampling = _check_int("synthetic_squares.supersampling",
                                    supersampling, 1)
    angles = np.asarray(angles, dtype=np.float64).reshape(-1)
    if (angles.size < 2 or np.any(angles < 0.) or np.any(angles >= 90.) or
        np.unique(angles).size != angles.size):
      raise ValueError(
          "synthetic_squares.angles must be at least 2 distinct angles in degrees "
          "within [0, 90), got {}. A square rotated by 90 degrees is the same image, "
          "so e.g. use (0, 22.5, 45, 67.5).".format(list(angles)))
    low, high = _check_range("synthetic_squares.size_range", size_range)
    # A square of side s rotated by a covers s (|cos a| + |sin a|) of each axis.
    extent = np.max(np.abs(np.cos(np.deg2rad(angles))) +
                    np.abs(np.sin(np.deg2rad(angles))))
    if low <= 0. or high * extent > 1.:
      raise ValueError(
          "synthetic_squares.size_range={} does not fit the image: sizes are "
          "fractions of the image side, must be > 0, and at the widest angle the "
          "square spans size * {:.3f}, so the largest size must be <= {:.3f}. "
          "Shrink size_range or the angles.".format(tuple(size_range), extent,
                                                   1. / extent))
    intensity_low, intensity_high = _check_range(
        "synthetic_squares.intensity_range", intensity_range)
    if intensity_low <= 0. or intensity_high > 1.:
      raise ValueError(
          "synthetic_squares.intensity_range={} must lie within (0, 1] (an "
          "intensity of 0 would hide the square on the black background).".format(
              tuple(intensity_range)))
    if not noise_std >= 0.:
      raise ValueError("synthetic_squares.noise_std must be >= 0, got {}.".format(
          noise_std))
    self.noise_std = float(noise_std)
    self.sizes = np.linspace(low, high, num_sizes)
    self.intensities = np.linspace(intensity_low, intensity_high, num_intensities)
    self.angles = angles
    self.factor_sizes = [num_sizes, num_intensities, angles.size]
    self.state_space = util.SplitDiscreteStateSpace(self.factor_sizes,
                                                    list(range(3)))
    # Row-major index of a factor triple, as dlib's dsprites/shapes3d use.
    self.factor_bases = np.prod(self.factor_sizes) // np.cumprod(self.factor_sizes)
    coverage = np.stack([
        np.stack([square_coverage(self.image_size, size, angle, self.supersampling)
                  for angle in self.angles]) for size in self.sizes])
    # images[size, intensity, angle] = intensity * coverage[size, angle].
    images = (self.intensities[None, :, None, None, None] *
              coverage[:, None, :, :, :])
    self.images = images.reshape(-1, self.image_size, self.image_size,
                                 1).astype(np.float32)

  @property
  def num_factors(self):
    return self.state_space.num_latent_factors

  @property
  def factors_num_values(self):
    return list(self.factor_sizes)

  @property
  def observation_shape(self):
    return [self.image_size, self.image_size, 1]

  def sample_factors(self, num, random_state):
    """Sample a batch of factors Y."""
    return self.state_space.sample_latent_factors(num, random_state)

  def sample_observations_from_factors(self, factors, random_state):
    """Sample a batch of observations X given a batch of factors Y."""
    factors = np.asarray(factors)
    if (factors.ndim != 2 or factors.shape[1] != 3 or np.any(factors < 0) or
        np.any(factors >= np.array(self.factor_sizes))):
      raise ValueError(
          "factors must be an integer array (batch, 3) with values below {}, got "
          "shape {}.".format(self.factor_sizes, factors.shape))
    observations = self.images[np.dot(factors, self.factor_bases).astype(np.int64)]
    if self.noise_std > 0.:
      noise = random_state.normal(0., self.noise_std, observations.shape)
      observations = np.clip(observations + noise, 0., 1.).astype(np.float32)
    return observations


def _check_int(name, value, minimum):
  if int(value) != value or value < minimum:
    raise ValueError("{} must be an integer >= {}, got {!r}.".format(
        name, minimum, value))
  return int(value)


def _check_range(name, value):
  try:
    low, high = (float(v) for v in value)
  except (TypeError, ValueError):
    raise ValueError("{} must be a pair (low, high), got {!r}.".format(
        name, value)) from None
  if not low < high:
    raise ValueError("{} must have low < high, got {!r}.".format(name, value))
  return low, high


def square_coverage(image_size, size, angle_degrees, supersampling):
  """Fraction of each pixel covered by a centred square, by supersampling.

  Args:
    image_size: side of the (square) image in pixels.
    size: side of the square as a fraction of the image side.
    angle_degrees: rotation of the square.
    supersampling: samples per pixel along each axis (a regular grid).

  Returns:
    float64 array (image_size, image_size) in [0, 1].
  """
  num = image_size * supersampling
  # Sample positions in units of the image side, centred on the image centre.
  coords = (np.arange(num) + 0.5) / num - 0.5
  x, y = np.meshgrid(coords, coords, indexing="xy")
  angle = np.deg2rad(angle_degrees)
  # Rotate the samples by -angle into the square's frame, where it is axis-aligned.
  u = np.cos(angle) * x + np.sin(angle) * y
  v = -np.sin(angle) * x + np.cos(angle) * y
  inside = (np.abs(u) <= size / 2.) & (np.abs(v) <= size / 2.)
  return inside.reshape(image_size, supersampling, image_size,
                        supersampling).mean(axis=(1, 3))


def synthetic_squares():
  """`dataset.name = 'synthetic_squares'`: 64x64x1."""
  return SyntheticSquares(image_size=64)


def synthetic_squares_32():
  """`dataset.name = 'synthetic_squares_32'`: 32x32x1."""
  return SyntheticSquares(image_size=32)


# ----------------------------------------------------------------------------
# Shapes3D, kept as uint8.


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
    _warn_if_standin(path, "Shapes3D")
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
          "grid {} = 480000 images.".format(path, self.factor_sizes,
                                            int(np.prod(self.factor_sizes)),
                                            len(images),
                                            list(standin_data.SHAPES3D_FACTOR_SIZES)))
    self.index = util.StateSpaceAtomIndex(self.factor_sizes, classes)
    self.images = images
    self.latent_factor_indices = list(range(6))
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
    return [64, 64, 3]

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
  candidates = [standin_data.shapes3d_npz_path(), standin_data.shapes3d_h5_path()]
  for path in candidates:
    if os.path.exists(path):
      return path
  raise FileNotFoundError(missing_data_message("shapes3d", candidates, SHAPES3D_URL,
                                               "shapes3d"))


def _shape_error(path, what):
  return ValueError(
      "{} is not a valid Shapes3D file ({}). Expected dlib's npz with 'images' uint8 "
      "(10, 10, 10, 8, 4, 15, 64, 64, 3) and 'labels' (10, 10, 10, 8, 4, 15, 6), or "
      "the official 3dshapes.h5 with 'images' uint8 (480000, 64, 64, 3) and 'labels' "
      "float64 (480000, 6). Download it again from {} or rewrite the stand-in with "
      "--overwrite.".format(path, what, SHAPES3D_URL))


def _read_stored_npz_member(path, member_name):
  """Reads an uncompressed .npy member of an .npz straight into one array.

  `np.load` streams a member through zipfile (256 KB reads, each copied, plus a
  CRC); for a 5.9 GB array one `readinto` at the member's offset is much cheaper.
  Returns None if the member is compressed.
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
    version = np.lib.format.read_magic(f)
    read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                   else np.lib.format.read_array_header_2_0)
    shape, fortran_order, dtype = read_header(f)
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
  try:
    if path.endswith(".h5"):
      import h5py  # pylint: disable=g-import-not-at-top
      with h5py.File(path, "r") as h5_file:
        image_set, label_set = h5_file["images"], h5_file["labels"]
        if (image_set.dtype != np.uint8 or image_set.shape[1:] != (64, 64, 3) or
            label_set.shape != (image_set.shape[0], 6)):
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
      if (images.dtype != np.uint8 or images.shape[-3:] != (64, 64, 3) or
          labels.shape[-1:] != (6,) or
          int(np.prod(labels.shape[:-1])) != int(np.prod(images.shape[:-3]))):
        raise _shape_error(path, "images {} {}, labels {}".format(
            images.dtype, images.shape, labels.shape))
      images = images.reshape(-1, 64, 64, 3)
      labels = labels.reshape(-1, 6).astype(np.float64)
  except (OSError, KeyError, zipfile.BadZipFile, EOFError) as error:
    raise _shape_error(path, "unreadable: {}".format(error)) from error
  return images, labels


def shapes3d():
  """`dataset.name = 'shapes3d'`: the plugin's uint8 `Shapes3D`."""
  return Shapes3D()


# ----------------------------------------------------------------------------
# dSprites: dlib's own loaders, after checking the file.


def check_dsprites_file(name="dsprites_full"):
  """Checks the dSprites file that dlib reads; returns its path.

  Reads only the npz's member headers, not the 737280 images.
  """
  path = standin_data.dsprites_path()
  if not os.path.exists(path):
    raise FileNotFoundError(missing_data_message(name, [path], DSPRITES_URL,
                                                 "dsprites"))
  expected = ("Expected the official npz with 'imgs' uint8 (737280, 64, 64), "
              "'latents_values' (737280, 6), 'latents_classes' (737280, 6) and "
              "'metadata' with latents_sizes [1, 3, 6, 40, 32, 32]. Download it again "
              "from {} or rewrite the stand-in with --overwrite.".format(DSPRITES_URL))
  try:
    with zipfile.ZipFile(path) as zip_file:
      with zip_file.open("imgs.npy") as member:
        version = np.lib.format.read_magic(member)
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        shape, _, dtype = read_header(member)
  except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
    raise ValueError("{} is not a valid dSprites file ({}). {}".format(
        path, error, expected)) from error
  if dtype != np.uint8 or tuple(shape) != (standin_data.DSPRITES_NUM_IMAGES, 64, 64):
    raise ValueError("{} has 'imgs' {} {}. {}".format(path, dtype, shape, expected))
  _warn_if_standin(path, "dSprites")
  return path


def _dsprites(dsprites_class, latent_factor_indices, name):
  path = check_dsprites_file(name)
  # dlib fixed DSPRITES_PATH when it was imported; use the data root of now.
  saved_path = dsprites.DSPRITES_PATH
  dsprites.DSPRITES_PATH = path
  try:
    return dsprites_class(latent_factor_indices)
  except (EOFError, OSError, ValueError, zipfile.BadZipFile) as error:
    # A file whose headers are valid but whose data is cut short fails inside
    # dlib's np.load, with a message that names neither the file nor the fix.
    raise ValueError(
        "{} could not be read by dlib's dSprites loader ({}: {}); the file may "
        "be truncated or not the official one. Download it again from {} or "
        "rewrite the stand-in with --overwrite.".format(path, type(error).__name__, error,
                                   DSPRITES_URL)) from error
  finally:
    dsprites.DSPRITES_PATH = saved_path


def dsprites_full():
  """dlib's `dsprites.DSprites([1, 2, 3, 4, 5])`."""
  return _dsprites(dsprites.DSprites, [1, 2, 3, 4, 5], "dsprites_full")


def dsprites_noshape():
  """dlib's `dsprites.DSprites([2, 3, 4, 5])`."""
  return _dsprites(dsprites.DSprites, [2, 3, 4, 5], "dsprites_noshape")


def color_dsprites():
  """dlib's `dsprites.ColorDSprites([1, 2, 3, 4, 5])`."""
  return _dsprites(dsprites.ColorDSprites, [1, 2, 3, 4, 5], "color_dsprites")


def noisy_dsprites():
  """dlib's `dsprites.NoisyDSprites([1, 2, 3, 4, 5])`."""
  return _dsprites(dsprites.NoisyDSprites, [1, 2, 3, 4, 5], "noisy_dsprites")

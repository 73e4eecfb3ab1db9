"""dSprites by dlib's own loaders, after checking the file, from today's data root."""
import os
import zipfile

from disentanglement_lib.data.ground_truth import dsprites as dlib_dsprites
import numpy as np

from mine_plugin.data import dataset_files
from mine_plugin.utils import atomic_write

# The latent factors of each name, as indices into `dataset_files.DSPRITES_FACTOR_NAMES`
# (colour, which has one value in dSprites, is never latent); dlib's `named_data`.
LATENT_FACTOR_INDICES = {
    "dsprites_full": [1, 2, 3, 4, 5],
    "dsprites_noshape": [2, 3, 4, 5],
    "color_dsprites": [1, 2, 3, 4, 5],
    "noisy_dsprites": [1, 2, 3, 4, 5],
}

_IMAGES_SHAPE = (dataset_files.DSPRITES_NUM_IMAGES,) + dataset_files.DSPRITES_IMAGE_SHAPE


def check_dsprites_file(name="dsprites_full"):
  """Checks the dSprites file that dlib reads; returns its path.

  Reads only the npz's member headers, not the 737280 images.
  """
  path, = dataset_files.dataset_files(name)
  if not os.path.exists(path):
    raise FileNotFoundError(dataset_files.missing_data_message(name))
  num_factors = len(dataset_files.DSPRITES_FACTOR_NAMES)
  expected = ("Expected the official npz with 'imgs' uint8 {}, 'latents_values' "
              "{}, 'latents_classes' {} and 'metadata' with latents_sizes {}. "
              "Download it again from {} or rewrite the stand-in with "
              "--overwrite.".format(
                  _IMAGES_SHAPE, (dataset_files.DSPRITES_NUM_IMAGES, num_factors),
                  (dataset_files.DSPRITES_NUM_IMAGES, num_factors),
                  list(dataset_files.DSPRITES_FACTOR_SIZES), dataset_files.DSPRITES_URL))
  try:
    with zipfile.ZipFile(path) as zip_file:
      with zip_file.open("imgs.npy") as member:
        shape, _, dtype = dataset_files.read_npy_header(member)
  except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
    raise ValueError("{} is not a valid dSprites file ({}). {}".format(
        path, error, expected)) from error
  if dtype != np.uint8 or tuple(shape) != _IMAGES_SHAPE:
    raise ValueError("{} has 'imgs' {} {}. {}".format(path, dtype, shape, expected))
  dataset_files.warn_if_standin(path, "dSprites")
  return path


def _dsprites(dsprites_class, name):
  path = check_dsprites_file(name)
  # dlib fixed DSPRITES_PATH when it was imported; use the data root of now.
  saved_path = dlib_dsprites.DSPRITES_PATH
  dlib_dsprites.DSPRITES_PATH = path
  try:
    return dsprites_class(LATENT_FACTOR_INDICES[name])
  except (EOFError, OSError, ValueError, zipfile.BadZipFile) as error:
    # A file whose headers are valid but whose data is cut short fails inside
    # dlib's np.load, with a message that names neither the file nor the fix.
    raise ValueError(
        "{} could not be read by dlib's dSprites loader ({}: {}); the file may "
        "be truncated or not the official one. Download it again from {} or "
        "rewrite the stand-in with --overwrite.".format(
            path, type(error).__name__, error, dataset_files.DSPRITES_URL)) from error
  finally:
    dlib_dsprites.DSPRITES_PATH = saved_path


def dsprites_full():
  """dlib's `dsprites.DSprites([1, 2, 3, 4, 5])`."""
  return _dsprites(dlib_dsprites.DSprites, "dsprites_full")


def dsprites_noshape():
  """dlib's `dsprites.DSprites([2, 3, 4, 5])`."""
  return _dsprites(dlib_dsprites.DSprites, "dsprites_noshape")


def color_dsprites():
  """dlib's `dsprites.ColorDSprites([1, 2, 3, 4, 5])`."""
  return _dsprites(dlib_dsprites.ColorDSprites, "color_dsprites")


def noisy_dsprites():
  """dlib's `dsprites.NoisyDSprites([1, 2, 3, 4, 5])`."""
  return _dsprites(dlib_dsprites.NoisyDSprites, "noisy_dsprites")

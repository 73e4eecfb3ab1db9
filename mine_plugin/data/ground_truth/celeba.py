"""CelebA at 64x64 with its 40 attributes as factors: `dataset.name = 'celeba'`.

Liu et al. 2015 (https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html), from the user's
`$DISENTANGLEMENT_LIB_DATA/celeba/` (torchvision's layout). `celeba.split`: "train"
(default), "valid", "test" or "all"; `celeba.preprocessing`: "crop148" (centre 148x148;
default) or "resize", to 64x64. First use caches `<split>_<preprocessing>_64.npy`
(uint8) in `celeba.cache_dir` (default `<celeba dir>/mine_plugin_cache/`). Factors:
the 40 attributes (0 absent, 1 present), NOT independent: `sample_factors` draws real
images' attributes; `sample_observations_from_factors` an image with exactly those,
else one nearest in Hamming distance.
"""
import os
import sys
import time

from disentanglement_lib.data.ground_truth import ground_truth_data
import gin
import numpy as np
from PIL import Image

from mine_plugin.data import dataset_files
from mine_plugin.utils import atomic_write

SPLITS = {"train": (0,), "valid": (1,), "test": (2,), "all": (0, 1, 2)}
PREPROCESSINGS = ("crop148", "resize")
IMAGE_SIZE = 64
CROP_SIZE = 148
OBSERVATION_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 3)
CACHE_DIR_NAME = "mine_plugin_cache"
# Popcount of every byte, for Hamming distances between packed attribute vectors.
_BYTE_POPCOUNT = np.array([bin(b).count("1") for b in range(256)], dtype=np.uint8)


def missing_files_message(directory, missing):
  """The one message for a missing or partial CelebA directory."""
  return (
      "Data set 'celeba' needs {missing}, which {verb} not exist. CelebA is looked "
      "up in {directory!r}, the 'celeba' directory under {root}. Download it from "
      "{url} and put img_align_celeba/ (the unzipped JPEGs), {attributes} and "
      "{partition} there.".format(
          missing=", ".join(repr(m) for m in missing),
          verb="does" if len(missing) == 1 else "do", directory=directory,
          root=dataset_files.data_root_description(), url=dataset_files.CELEBA_URL,
          attributes=dataset_files.CELEBA_ATTRIBUTE_FILE,
          partition=dataset_files.CELEBA_PARTITION_FILE))


def read_attributes(path):
  """(attribute names [40], file names [N], attributes int8 (N, 40) of -1/1)."""
  with open(path) as f:
    lines = f.read().splitlines()
  try:
    count = int(lines[0])
    names = lines[1].split()
  except (IndexError, ValueError):
    raise ValueError("{} is not CelebA's attribute file: expected the image count "
                     "on line 1 and the {} attribute names on line 2.".format(
                         path, dataset_files.CELEBA_NUM_ATTRIBUTES)) from None
  rows = [line.split() for line in lines[2:] if line.strip()]
  if (len(names) != dataset_files.CELEBA_NUM_ATTRIBUTES or len(rows) != count or
      any(len(row) != len(names) + 1 for row in rows)):
    raise ValueError(
        "{} is not CelebA's attribute file: expected {} attribute names and {} rows "
        "of a file name and {} values -1/1, got {} names and {} rows.".format(
            path, dataset_files.CELEBA_NUM_ATTRIBUTES, count, dataset_files.CELEBA_NUM_ATTRIBUTES,
            len(names), len(rows)))
  values = np.array([row[1:] for row in rows], dtype=np.int8)
  if not np.all(np.abs(values) == 1):
    raise ValueError("{}: attribute values must be -1 or 1.".format(path))
  return names, [row[0] for row in rows], values


def read_partition(path):
  """{file name: partition 0/1/2}."""
  partition = {}
  with open(path) as f:
    for number, line in enumerate(f, 1):
      fields = line.split()
      if not fields:
        continue
      if len(fields) != 2 or fields[1] not in ("0", "1", "2"):
        raise ValueError("{}, line {}: expected '<file name> <0|1|2>', got {!r}.".format(
            path, number, line.rstrip()))
      partition[fields[0]] = int(fields[1])
  return partition


def preprocess(image, preprocessing):
  """A 178x218 PIL image -> uint8 (64, 64, 3): centre crop 148 then resize, or resize.

  Resizing uses Pillow's bilinear filter, which widens its support when it shrinks
  (antialiasing), as torchvision's Resize does on PIL images.
  """
  image = image.convert("RGB")
  if preprocessing == "crop148":
    width, height = image.size
    left, top = (width - CROP_SIZE) // 2, (height - CROP_SIZE) // 2
    image = image.crop((left, top, left + CROP_SIZE, top + CROP_SIZE))
  image = image.resize((IMAGE_SIZE, IMAGE_SIZE), Image.BILINEAR)
  return np.asarray(image, dtype=np.uint8)


def _progress(done, total, start, label):
  elapsed = time.time() - start
  bar = "#" * int(30 * done / total)
  sys.stderr.write("\r{}: [{:<30}] {}/{} images, {:.0f} s".format(
      label, bar, done, total, elapsed))
  if done == total:
    sys.stderr.write("\n")
  sys.stderr.flush()


def build_cache(image_dir, file_names, preprocessing, path):
  """Decodes, checks and pre-processes every image once into a uint8 .npy at `path`."""
  label = "celeba: caching {} images as {}x{} ({})".format(
      len(file_names), IMAGE_SIZE, IMAGE_SIZE, preprocessing)
  os.makedirs(os.path.dirname(path), exist_ok=True)
  start, step = time.time(), max(1, len(file_names) // 200)
  with atomic_write.atomic_path(path) as temporary:
    cache = np.lib.format.open_memmap(
        temporary, mode="w+", dtype=np.uint8,
        shape=(len(file_names),) + OBSERVATION_SHAPE)
    for i, name in enumerate(file_names):
      with Image.open(os.path.join(image_dir, name)) as image:
        if image.size != dataset_files.CELEBA_IMAGE_SIZE:
          raise ValueError(
              "{} is {}x{} (width x height), but CelebA's aligned images are all "
              "{}x{}: the directory holds other images (the unaligned 'In-The-Wild' "
              "set?). Use img_align_celeba from {}.".format(
                  os.path.join(image_dir, name), *image.size,
                  *dataset_files.CELEBA_IMAGE_SIZE, dataset_files.CELEBA_URL))
        cache[i] = preprocess(image, preprocessing)
      if (i + 1) % step == 0 or i + 1 == len(file_names):
        _progress(i + 1, len(file_names), start, label)
    cache.flush()
    del cache


def _packed_codes(attributes):
  """Each row of 0/1 attributes as one uint64 (bit j = attribute j)."""
  packed = np.packbits(attributes.astype(np.uint8), axis=1, bitorder="little")
  padded = np.zeros((len(packed), 8), dtype=np.uint8)
  padded[:, :packed.shape[1]] = packed
  return padded.view("<u8")[:, 0]


def hamming_distances(code, codes):
  """Number of differing bits between one uint64 `code` and each of `codes`."""
  different = np.bitwise_xor(codes, np.uint64(code)).astype("<u8")
  return _BYTE_POPCOUNT[different.view(np.uint8).reshape(-1, 8)].sum(axis=1)


class AttributeIndex(object):
  """Finds images by attribute vector: exact match, else nearest in Hamming distance."""

  def __init__(self, attributes):
    codes = _packed_codes(attributes)
    self.codes, inverse = np.unique(codes, return_inverse=True)
    self.order = np.argsort(inverse, kind="stable")  # Image numbers by code.
    self.starts = np.searchsorted(inverse[self.order], np.arange(len(self.codes)))
    self.ends = np.append(self.starts[1:], len(inverse))

  def sample(self, attributes, random_state):
    """One image number per row of `attributes` (0/1), drawn as the module says."""
    queries = _packed_codes(np.asarray(attributes))
    positions = np.searchsorted(self.codes, queries)
    positions = np.minimum(positions, len(self.codes) - 1)
    for i in np.flatnonzero(self.codes[positions] != queries):
      distances = hamming_distances(queries[i], self.codes)
      positions[i] = random_state.choice(np.flatnonzero(distances == distances.min()))
    counts = self.ends[positions] - self.starts[positions]
    offsets = (random_state.random_sample(len(queries)) * counts).astype(np.int64)
    return self.order[self.starts[positions] + offsets]


@gin.configurable("celeba", allowlist=["split", "preprocessing", "cache_dir"])
class CelebA(ground_truth_data.GroundTruthData):
  """CelebA 64x64x3, 40 binary attribute factors; see the module docstring."""

  def __init__(self, split="train", preprocessing="crop148", cache_dir=None,
               directory=None):
    if split not in SPLITS:
      raise ValueError("celeba.split must be one of {}, got {!r}.".format(
          ", ".join(repr(s) for s in SPLITS), split))
    if preprocessing not in PREPROCESSINGS:
      raise ValueError("celeba.preprocessing must be one of {}, got {!r}.".format(
          ", ".join(repr(p) for p in PREPROCESSINGS), preprocessing))
    directory = dataset_files.celeba_dir() if directory is None else directory
    image_dir = os.path.join(directory, dataset_files.CELEBA_IMAGE_DIR)
    attribute_path = os.path.join(directory, dataset_files.CELEBA_ATTRIBUTE_FILE)
    partition_path = os.path.join(directory, dataset_files.CELEBA_PARTITION_FILE)
    missing = [p for p in (image_dir + os.sep, attribute_path, partition_path)
               if not os.path.exists(p)]
    if missing:
      raise FileNotFoundError(missing_files_message(directory, missing))
    self.attribute_names, names, values = read_attributes(attribute_path)
    partition = read_partition(partition_path)
    unpartitioned = [n for n in names if n not in partition]
    if unpartitioned:
      raise ValueError("{} has no partition for {} of the images in {}, e.g. {}; "
                       "the two files must list the same images.".format(
                           partition_path, len(unpartitioned), attribute_path,
                           unpartitioned[:3]))
    rows = np.array([partition[n] in SPLITS[split] for n in names])
    if not rows.any():
      raise ValueError("{} lists no image of split {!r}.".format(partition_path, split))
    self.file_names = [n for n, keep in zip(names, rows) if keep]
    self.attributes = (values[rows] > 0).astype(np.int64)
    cache_dir = (os.path.join(directory, CACHE_DIR_NAME) if cache_dir is None
                 else cache_dir)
    cache_path = os.path.join(cache_dir, "{}_{}_{}.npy".format(
        split, preprocessing, IMAGE_SIZE))
    if not self._cache_is_valid(cache_path):
      absent = [n for n in self.file_names
                if not os.path.isfile(os.path.join(image_dir, n))]
      if absent:
        raise FileNotFoundError(missing_files_message(directory, [
            "{} of the {} {} images listed in {}, e.g. {}".format(
                len(absent), len(self.file_names), split, partition_path,
                ", ".join(os.path.join(image_dir, n) for n in absent[:3]))]))
      build_cache(image_dir, self.file_names, preprocessing, cache_path)
    self.images = np.load(cache_path, mmap_mode="r")
    self.index = AttributeIndex(self.attributes)

  def _cache_is_valid(self, path):
    if not os.path.isfile(path):
      return False
    images = np.load(path, mmap_mode="r")
    return images.dtype == np.uint8 and images.shape == (
        (len(self.file_names),) + OBSERVATION_SHAPE)

  @property
  def num_factors(self):
    return dataset_files.CELEBA_NUM_ATTRIBUTES

  @property
  def factors_num_values(self):
    return [2] * dataset_files.CELEBA_NUM_ATTRIBUTES

  @property
  def observation_shape(self):
    return list(OBSERVATION_SHAPE)

  def _observations(self, indices):
    # Sorted reads from the memory map, then back to the requested order.
    order = np.argsort(indices)
    observations = np.empty((len(indices),) + OBSERVATION_SHAPE, dtype=np.float32)
    observations[order] = self.images[np.asarray(indices)[order]]
    return observations / 255.

  def sample_factors(self, num, random_state):
    """Attribute vectors of `num` images drawn uniformly (empirical joint)."""
    return self.attributes[random_state.randint(len(self.attributes), size=num)]

  def sample_observations_from_factors(self, factors, random_state):
    """Images with the requested attributes (exact, else nearest in Hamming)."""
    return self._observations(self.index.sample(factors, random_state))

  def sample(self, num, random_state):
    """(factors, observations) of `num` images drawn uniformly."""
    indices = random_state.randint(len(self.attributes), size=num)
    return self.attributes[indices], self._observations(indices)


def celeba():
  """`dataset.name = 'celeba'`: `CelebA` with its `celeba.*` settings."""
  return CelebA()

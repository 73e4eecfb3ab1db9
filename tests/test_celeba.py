"""The CelebA data set (mine_plugin/data/ground_truth/celeba.py) on a miniature tree."""
import os
import sys

import numpy as np
from PIL import Image
import pytest

from mine_plugin.data.ground_truth import celeba

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures"))
import celeba_tree  # pylint: disable=g-import-not-at-top,wrong-import-position

NUM_IMAGES = 36


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
  return celeba_tree.write_celeba_tree(str(tmp_path_factory.mktemp("data")),
                                       NUM_IMAGES)


def test_splits_follow_the_partition_file(tree):
  directory, attributes = tree
  expected = {"train": 24, "valid": 6, "test": 6, "all": 36}
  for split, count in expected.items():
    data = celeba.CelebA(split=split, directory=directory)
    assert len(data.file_names) == count
    assert data.images.shape == (count, 64, 64, 3)
    assert data.images.dtype == np.uint8
  test = celeba.CelebA(split="test", directory=directory)
  assert test.file_names[0] == "{:06d}.jpg".format(31)
  np.testing.assert_array_equal(test.attributes, attributes[30:])
  assert test.num_factors == 40 and test.factors_num_values == [2] * 40
  assert test.observation_shape == [64, 64, 3]


def test_crop_then_resize_and_resize_alone(tree):
  directory, _ = tree
  with Image.open(os.path.join(directory, "img_align_celeba", "000001.jpg")) as jpeg:
    jpeg.load()
    cropped = np.asarray(jpeg.crop((15, 35, 163, 183)).resize((64, 64), Image.BILINEAR))
    resized = np.asarray(jpeg.resize((64, 64), Image.BILINEAR))
  crop = celeba.CelebA(split="train", directory=directory)
  whole = celeba.CelebA(split="train", preprocessing="resize", directory=directory)
  np.testing.assert_array_equal(crop.images[0], cropped)
  np.testing.assert_array_equal(whole.images[0], resized)
  assert not np.array_equal(cropped, resized)
  # Observations are dlib's float32 in [0, 1].
  observation = crop.sample_observations_from_factors(
      crop.attributes[:1], np.random.RandomState(0))
  assert observation.dtype == np.float32
  np.testing.assert_allclose(observation[0], cropped / 255., atol=1e-7)


def test_cache_is_written_once_and_reused(tree, capfd):
  directory, _ = tree
  cache_dir = os.path.join(directory, "fresh_cache")
  celeba.CelebA(split="valid", directory=directory, cache_dir=cache_dir)
  assert "celeba: caching 6 images as 64x64 (crop148)" in capfd.readouterr().err
  path = os.path.join(cache_dir, "valid_crop148_64.npy")
  modified = os.path.getmtime(path)
  celeba.CelebA(split="valid", directory=directory, cache_dir=cache_dir)
  assert os.path.getmtime(path) == modified
  assert "caching" not in capfd.readouterr().err


def test_factors_return_images_with_those_attributes(tree):
  directory, _ = tree
  data = celeba.CelebA(split="all", directory=directory)
  random_state = np.random.RandomState(0)
  factors = data.sample_factors(50, random_state)
  indices = data.index.sample(factors, random_state)
  # Every sampled vector is some image's: an exact match always exists.
  np.testing.assert_array_equal(data.attributes[indices], factors)


def test_missing_combination_gives_the_nearest_image(tree):
  directory, attributes = tree
  data = celeba.CelebA(split="all", directory=directory)
  query = attributes[5].copy()
  query[7] = 1 - query[7]  # One flipped bit: no image of 36 random ones has it.
  distances = np.abs(attributes - query).sum(axis=1)
  assert distances.min() == 1
  nearest = set(np.flatnonzero(distances == 1))
  chosen = data.index.sample(np.repeat(query[None], 40, axis=0),
                             np.random.RandomState(1))
  assert set(chosen) <= nearest and 5 in nearest


def test_hamming_distance_counts_bits():
  codes = np.array([0, 1, 3, 2 ** 39 + 1, 2 ** 40 - 1], dtype=np.uint64)
  np.testing.assert_array_equal(celeba.hamming_distances(1, codes), [1, 0, 1, 1, 39])


def test_missing_files_are_named_with_where_to_get_them(tmp_path):
  directory = str(tmp_path / "celeba")
  os.makedirs(os.path.join(directory, "img_align_celeba"))
  with pytest.raises(FileNotFoundError) as error:
    celeba.CelebA(directory=directory)
  message = str(error.value)
  assert "list_attr_celeba.txt" in message and "list_eval_partition.txt" in message
  # The image directory exists, so only the two text files are named as missing.
  assert "needs {!r}, {!r}, which do not".format(
      os.path.join(directory, "list_attr_celeba.txt"),
      os.path.join(directory, "list_eval_partition.txt")) in message
  assert directory in message and "mmlab.ie.cuhk.edu.hk" in message


def test_partial_image_directory_names_the_missing_images(tmp_path):
  directory, _ = celeba_tree.write_celeba_tree(str(tmp_path), 12)
  os.remove(os.path.join(directory, "img_align_celeba", "000003.jpg"))
  with pytest.raises(FileNotFoundError, match=r"1 of the 8 train images .*000003\.jpg"):
    celeba.CelebA(directory=directory)


def test_wrong_image_size_is_refused(tmp_path):
  directory, _ = celeba_tree.write_celeba_tree(str(tmp_path), 6, image_size=(64, 64))
  with pytest.raises(ValueError, match=r"000001\.jpg is 64x64 .* all 178x218"):
    celeba.CelebA(directory=directory)


def test_bad_settings_name_the_valid_ones(tree):
  directory, _ = tree
  with pytest.raises(ValueError, match=r"celeba.split must be one of 'train', "
                                       r"'valid', 'test', 'all', got 'eval'"):
    celeba.CelebA(split="eval", directory=directory)
  with pytest.raises(ValueError, match=r"celeba.preprocessing .* got 'crop'"):
    celeba.CelebA(preprocessing="crop", directory=directory)


def test_dataset_name_reads_the_data_root(tree, monkeypatch):
  directory, _ = tree
  monkeypatch.setenv("DISENTANGLEMENT_LIB_DATA", os.path.dirname(directory))
  from disentanglement_lib.data.ground_truth import named_data  # pylint: disable=g-import-not-at-top
  data = named_data.get_named_ground_truth_data("celeba")
  assert isinstance(data, celeba.CelebA) and len(data.file_names) == 24

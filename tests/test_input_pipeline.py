"""mine_plugin.training.input_pipeline: dlib_train's batches drawn a batch at a time."""
from disentanglement_lib.data.ground_truth import named_data
from disentanglement_lib.methods.unsupervised import train
import gin
from mine_plugin.training import input_pipeline
import numpy as np
import pytest
import tensorflow.compat.v1 as tf


@pytest.fixture(scope="module")
def squares():
  gin.clear_config()
  gin.parse_config_files_and_bindings(
      [], ["dataset.name = 'synthetic_squares_32'"])
  data = named_data.get_named_ground_truth_data()
  gin.clear_config()
  return data


def batches(input_fn, count, batch_size=16):
  with tf.Graph().as_default():
    batch = input_fn({"batch_size": batch_size})
    with tf.Session() as session:
      values = []
      for _ in range(count):
        try:
          values.append(session.run(batch))
        except tf.errors.OutOfRangeError:
          break
  return values


def test_dlib_train_uses_the_batched_pipeline_by_default():
  assert getattr(train._make_input_fn, "_mine_plugin_compat", False)  # pylint: disable=protected-access


def test_batches_have_dlibs_shape_and_are_reproducible_per_seed(squares):
  first = batches(input_pipeline.make_input_fn(squares, seed=3), 3)
  again = batches(input_pipeline.make_input_fn(squares, seed=3), 3)
  other = batches(input_pipeline.make_input_fn(squares, seed=4), 3)
  assert first[0].shape == (16, 32, 32, 1) and first[0].dtype == np.float32
  for a, b in zip(first, again):
    np.testing.assert_array_equal(a, b)
  assert not np.array_equal(first[0], other[0])
  # The stream is the data set's own sample_observations with that RandomState.
  random_state = np.random.RandomState(3)
  for batch in first:
    np.testing.assert_array_equal(
        batch, squares.sample_observations(16, random_state))


def test_num_batches_ends_the_stream_as_dlibs(squares):
  assert len(batches(input_pipeline.make_input_fn(squares, 0, num_batches=2),
                     5)) == 2
  assert len(batches(train._make_input_fn(squares, 0, num_batches=2), 5)) == 2  # pylint: disable=protected-access


def test_same_distribution_as_dlibs_generator(squares):
  # Mean image over 1,024 observations from each pipeline: equal up to sampling
  # error (pixel means of i.i.d. draws from the same 576 images).
  ours = np.concatenate(batches(input_pipeline.make_input_fn(squares, 0), 16, 64))
  gin.clear_config()
  with gin.unlock_config():
    gin.bind_parameter("input_pipeline.batched", False)
  try:
    dlibs = np.concatenate(batches(train._make_input_fn(squares, 0), 16, 64))  # pylint: disable=protected-access
  finally:
    gin.clear_config()
  assert ours.shape == dlibs.shape == (1024, 32, 32, 1)
  assert not np.array_equal(ours, dlibs)  # dlib's own generator, another stream
  population = squares.images.mean(axis=0)
  for sample in (ours, dlibs):
    assert np.abs(sample.mean(axis=0) - population).max() < 0.06


def test_bad_prefetch_is_named(squares):
  with pytest.raises(ValueError, match="prefetch_batches must be an integer >= 0, "
                     "got -1"):
    input_pipeline.make_input_fn(squares, 0, prefetch_batches=-1)

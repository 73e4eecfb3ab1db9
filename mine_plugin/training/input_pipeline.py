"""dlib_train's input pipeline, one batch at a time instead of one observation.

dlib's per-observation generator costs 20-45 % of a run on two CPU cores. A batch is
one `sample_observations(batch_size, random_state)` of the data set, seeded from
`model.random_seed`: the same i.i.d. distribution and seed, another draw order: not bit-identical to dlib's runs;
`input_pipeline.batched = False` restores dlib's generator. On by default.
"""
import gin
from mine_plugin.training import resume
import numpy as np
import tensorflow.compat.v1 as tf


@gin.configurable("input_pipeline", allowlist=["batched", "prefetch_batches"])
def make_input_fn(ground_truth_data, seed, num_batches=None, batched=True,
                  prefetch_batches=2, dlib_make_input_fn=None):
  """A TPUEstimator input_fn of batches of observations, as dlib's _make_input_fn.

  Args:
    ground_truth_data: a dlib GroundTruthData.
    seed: seed of the NumPy RandomState that draws the observations.
    num_batches: number of batches (None: infinite), as dlib's.
    batched: draw a batch per call (True) or use dlib's own input_fn (False).
    prefetch_batches: batches prepared ahead while the model trains (>= 0).
    dlib_make_input_fn: dlib's original function (used when batched is False).

  Returns:
    load_dataset(params) -> the next batch, [params["batch_size"]] + observation
    shape, float32.
  """
  if not batched:
    if dlib_make_input_fn is None:
      raise ValueError("input_pipeline.batched = False needs dlib's own "
                       "_make_input_fn, which was not passed.")
    return dlib_make_input_fn(ground_truth_data, seed, num_batches=num_batches)
  if not isinstance(prefetch_batches, int) or prefetch_batches < 0:
    raise ValueError("input_pipeline.prefetch_batches must be an integer >= 0, "
                     "got {!r}.".format(prefetch_batches))
  observation_shape = list(ground_truth_data.observation_shape)

  def load_dataset(params):
    batch_size = params["batch_size"]

    def generator():
      # A fixed seed, as dlib's generator: the data set can be reset.
      random_state = np.random.RandomState(seed)
      while True:
        yield np.asarray(ground_truth_data.sample_observations(
            batch_size, random_state), dtype=np.float32)

    dataset = tf.data.Dataset.from_generator(
        generator, tf.float32, output_shapes=[batch_size] + observation_shape)
    if num_batches is not None:
      dataset = dataset.take(num_batches)
    if prefetch_batches:
      dataset = dataset.prefetch(prefetch_batches)
    return tf.data.make_one_shot_iterator(dataset).get_next()

  return load_dataset


def install(train_module):
  """Makes dlib's train module build its input with `make_input_fn`."""
  original = train_module._make_input_fn  # pylint: disable=protected-access
  if getattr(original, "_mine_plugin_compat", False):
    return

  def _make_input_fn(ground_truth_data, seed, num_batches=None):
    if num_batches is None:  # training: a resumed run draws batches it has not seen
      seed = resume.data_seed(seed)
    return make_input_fn(ground_truth_data, seed, num_batches=num_batches,
                         dlib_make_input_fn=original)

  _make_input_fn.__doc__ = original.__doc__
  _make_input_fn._mine_plugin_compat = True  # pylint: disable=protected-access
  train_module._make_input_fn = _make_input_fn  # pylint: disable=protected-access

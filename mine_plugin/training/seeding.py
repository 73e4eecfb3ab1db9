"""dlib's `model.random_seed` as the seed of the network's initial weights too.

dlib's train passes its seed to the estimator (`RunConfig(tf_random_seed=...)`), the
graph-level seed that fixed every initializer under TensorFlow 1. Under TensorFlow
2.15 the `tf.compat.v1.layers` that dlib's architectures and the plugin's critics
build are Keras layers, whose unseeded initializers take their seed from Keras'
seed generator (keras/src/backend.py, `RandomGenerator._create_seed`): Python's
global `random` unless `keras.utils.set_random_seed` has set one. So two trainings
with the same `model.random_seed` started from different weights (measured: every
kernel differs after one step). `seed_initializers` sets Keras' generator from the
run's seed, so the seed fixes the initial weights again.
"""
import tensorflow as tf


def seed_initializers(seed):
  """Keras' seed generator (and Python's, NumPy's and TensorFlow's global seeds) from
  `seed`, as `keras.utils.set_random_seed` does; a None seed changes nothing."""
  if seed is None:
    return
  tf.keras.utils.set_random_seed(int(seed) % 2**32)

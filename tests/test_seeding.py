"""mine_plugin.training.seeding: dlib's model.random_seed fixes the initial weights."""
import subprocess

from disentanglement_lib.utils import resources
from mine_plugin import pipeline
import numpy as np
import tensorflow.compat.v1 as tf

TRAIN_TEST_GIN = resources.get_file(
    "config/tests/methods/unsupervised/train_test.gin")


def _weights(model_dir, seed):
  """The network's weights after dlib_train's one training step with `seed`."""
  completed = subprocess.run(
      [pipeline.console_script("dlib_train"), "--model_dir", str(model_dir),
       "--gin_config", TRAIN_TEST_GIN, "--gin_bindings", "model.training_steps = 1",
       "--gin_bindings", "model.random_seed = {}".format(seed)],
      capture_output=True, text=True)
  assert completed.returncode == 0, completed.stderr[-3000:]
  checkpoint = str(model_dir / "tf_checkpoint")
  reader = tf.train.load_checkpoint(checkpoint)
  return {name: reader.get_tensor(name)
          for name, _ in tf.train.list_variables(checkpoint)
          if name.endswith("kernel")}


def test_the_same_seed_gives_the_same_weights_and_another_seed_others(tmp_path):
  first = _weights(tmp_path / "first", 3)
  again = _weights(tmp_path / "again", 3)
  other = _weights(tmp_path / "other", 4)
  assert sorted(first) == sorted(again) == sorted(other) and len(first) >= 3
  for name, kernel in first.items():
    # Two separate processes: bit for bit the same network.
    np.testing.assert_array_equal(kernel, again[name], err_msg=name)
    # Another seed: another initialisation of every kernel.
    assert np.abs(kernel - other[name]).max() > 1e-3, name

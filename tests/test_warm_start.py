"""mine_plugin.training.warm_start: dlib_train continuing from another trained model."""
import os
import subprocess

from disentanglement_lib.utils import resources
from mine_plugin import pipeline
from mine_plugin.training import warm_start
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

TRAIN_TEST_GIN = resources.get_file(
    "config/tests/methods/unsupervised/train_test.gin")


def dlib_train(model_dir, *bindings):
  command = [pipeline.console_script("dlib_train"), "--model_dir", str(model_dir),
             "--gin_config", TRAIN_TEST_GIN]
  for binding in bindings:
    command += ["--gin_bindings", binding]
  return subprocess.run(command, capture_output=True, text=True)


def _variables(model_dir):
  checkpoint = tf.train.latest_checkpoint(os.path.join(model_dir, "tf_checkpoint"))
  reader = tf.train.load_checkpoint(checkpoint)
  return {name: reader.get_tensor(name)
          for name, _ in tf.train.list_variables(checkpoint)}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
  """A dlib vae trained 2 steps on dummy_data (dlib's train_test.gin)."""
  model_dir = tmp_path_factory.mktemp("warm") / "beta_vae"
  completed = dlib_train(model_dir)
  assert completed.returncode == 0, completed.stderr[-3000:]
  return model_dir


def test_continues_with_the_trained_weights_and_a_fresh_optimizer(trained, tmp_path):
  new_dir = tmp_path / "lambda"
  # Learning rate 0: one step leaves the weights as they were at step 0 of the run.
  completed = dlib_train(
      new_dir, "model.model = @lambda_beta_vae()", "lambda_beta_vae.beta = 1.",
      "lambda_beta_vae.lam = 8.", "AdamOptimizer.learning_rate = 0.",
      "model.training_steps = 1",
      "warm_start.model_dir = '{}'".format(trained))
  assert completed.returncode == 0, completed.stderr[-3000:]
  assert "mine_plugin: warm start from" in completed.stderr
  old, new = _variables(trained), _variables(new_dir)
  copied = [name for name in old if name.startswith(("encoder/", "decoder/")) and
            not name.endswith(("/Adam", "/Adam_1"))]
  assert len(copied) >= 4
  for name in copied:
    np.testing.assert_array_equal(new[name], old[name], err_msg=name)
  # The optimizer starts afresh: its step count restarts (beta1^(t+1) with t = 1
  # here, t = 2 in the trained model) and so does the global step.
  assert new["global_step"] == 1 and old["global_step"] == 2
  np.testing.assert_allclose(new["beta1_power"], 0.9 ** 2, rtol=1e-6)
  np.testing.assert_allclose(old["beta1_power"], 0.9 ** 3, rtol=1e-6)
  with open(os.path.join(new_dir, "results", "gin", "train.gin")) as f:
    assert "warm_start.model_dir = '{}'".format(trained) in f.read()


def test_a_checkpoint_that_does_not_fit_names_the_mismatch(trained, tmp_path):
  completed = dlib_train(tmp_path / "other", "encoder.num_latent = 5",
                          "warm_start.model_dir = '{}'".format(trained))
  assert completed.returncode != 0
  assert ("encoder.num_latent = 10 in the trained model, 5 here"
          in completed.stderr), completed.stderr[-2000:]
  assert not os.path.exists(tmp_path / "other" / "tfhub")


def test_a_directory_without_a_trained_model_is_a_clear_error(tmp_path):
  (tmp_path / "empty").mkdir()
  completed = dlib_train(tmp_path / "new",
                          "warm_start.model_dir = '{}'".format(tmp_path / "empty"))
  assert completed.returncode != 0
  assert "holds no finished dlib_train model" in completed.stderr


def test_check_compatible_lists_every_difference(trained):
  values = {"encoder.encoder_fn": "@conv_encoder", "decoder.decoder_fn":
            "@test_decoder", "encoder.num_latent": "10", "dataset.name": "shapes3d"}
  with pytest.raises(ValueError) as error:
    warm_start.check_compatible(str(trained), current=values.get)
  message = str(error.value)
  assert "encoder.encoder_fn = @test_encoder in the trained model, @conv_encoder" \
      in message
  assert "dataset.name = dummy_data in the trained model, shapes3d here" in message
  assert "num_latent" not in message and "decoder" not in message
  values.update({"encoder.encoder_fn": "@test_encoder",
                 "dataset.name": "dummy_data"})
  assert warm_start.check_compatible(str(trained), current=values.get).endswith(
      "model.ckpt-2")


def test_source_resolution(tmp_path):
  new = tmp_path / "study" / "7" / "model"
  assert warm_start.resolve_source(str(new), study_model=3) == str(
      tmp_path / "study" / "3" / "model")
  assert warm_start.resolve_source(str(new)) is None
  # A dlib_reproduce output directory is followed to its model/.
  (tmp_path / "out" / "model" / "tf_checkpoint").mkdir(parents=True)
  assert warm_start.resolve_source(str(new), model_dir=str(tmp_path / "out")) == \
      str(tmp_path / "out" / "model")
  with pytest.raises(ValueError, match="is the directory this run trains into"):
    warm_start.resolve_source(str(new), model_dir=str(new))
  with pytest.raises(ValueError, match="either model_dir .* or study_model"):
    warm_start.warm_start_source("a", 3)
  with pytest.raises(ValueError, match="study_model must be a model number >= 0"):
    warm_start.warm_start_source(study_model=-1)

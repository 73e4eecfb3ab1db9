"""InfoVAE (mine_plugin/methods/unsupervised/info_vae.py): the MMD and the objective.

The MMD estimator is checked by hand on three points and against the closed form
of MMD^2 between two Gaussians under a Gaussian kernel; the model's loss against
recon + (1 - alpha) KL + (alpha + lam - 1) MMD^2 on its own logged terms.
"""
import math
import pathlib

from disentanglement_lib.methods.unsupervised import train  # pylint: disable=unused-import
import gin
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from mine_plugin.config import gin_files
from mine_plugin.methods.unsupervised import info_vae
from mine_plugin.methods.unsupervised import penalized_vae

GIN_CONFIGS = pathlib.Path(gin_files.GIN_CONFIGS)


def _mmd(x, y, variance):
  with tf.Graph().as_default(), tf.Session() as session:
    return session.run(info_vae.mmd_squared(tf.constant(x), tf.constant(y), variance))


def test_mmd_by_hand_on_three_points():
  x = np.array([[0.], [1.]])
  y = np.array([[0.], [2.], [3.]])
  k = lambda a, b: math.exp(-(a - b) ** 2 / 2.)  # variance 1
  within_x = 2 * k(0, 1) / (2 * 1)
  within_y = 2 * (k(0, 2) + k(0, 3) + k(2, 3)) / (3 * 2)
  across = sum(k(a, b) for a in (0, 1) for b in (0, 2, 3)) / 6.
  assert _mmd(x, y, 1.) == pytest.approx(within_x + within_y - 2 * across, rel=1e-12)


def _gaussian_expectation(mean_difference, variance_sum, kernel_variance, dims):
  """E k(a, b) for a - b ~ N(m, v I) in d dimensions (Gaussian integral)."""
  ratio = kernel_variance / (kernel_variance + variance_sum)
  return ratio ** (dims / 2.) * math.exp(
      -np.sum(mean_difference ** 2) / (2. * (kernel_variance + variance_sum)))


@pytest.mark.parametrize("shift,scale", [(0., 1.), (1., 1.), (0.5, 0.5)])
def test_mmd_matches_the_closed_form_between_gaussians(shift, scale):
  dims, num, kernel_variance = 3, 3000, 3.
  random_state = np.random.RandomState(0)
  mean = np.full(dims, shift)
  x = mean + scale * random_state.randn(num, dims)
  y = random_state.randn(num, dims)
  expected = (_gaussian_expectation(np.zeros(dims), 2 * scale ** 2, kernel_variance, dims) +
              _gaussian_expectation(np.zeros(dims), 2., kernel_variance, dims) -
              2. * _gaussian_expectation(mean, scale ** 2 + 1., kernel_variance, dims))
  # The U-statistic's standard deviation at n = 3000 is below 0.005 here.
  assert _mmd(x, y, kernel_variance) == pytest.approx(expected, abs=0.01)
  if shift == 0. and scale == 1.:
    assert expected == 0.
  else:
    assert expected > 0.05


def test_loss_is_recon_plus_weighted_kl_and_mmd():
  gin.clear_config()
  gin.parse_config_files_and_bindings([str(GIN_CONFIGS / "shared.gin")],
                                      ["dataset.name = 'dummy_data'"])
  try:
    model = info_vae.InfoVAE(alpha=0.25, lam=1000.)
    assert model.beta == 0.75 and model.penalty.weight == 999.25
    features = np.random.RandomState(0).rand(8, 64, 64, 1).astype(np.float32)
    with tf.Graph().as_default():
      tf.train.get_or_create_global_step()
      spec = model.model_fn(tf.constant(features), None,
                            tf.estimator.ModeKeys.TRAIN, {})
      hook = spec.training_hooks[0]
      assert isinstance(hook, penalized_vae.LoggingHook)
      with tf.Session() as session:
        session.run(tf.global_variables_initializer())
        logs = session.run(hook.logs)
  finally:
    gin.clear_config()
  assert logs["loss"] == pytest.approx(
      logs["reconstruction_loss"] + 0.75 * logs["kl_loss"] + 999.25 * logs["mmd"],
      rel=1e-6)
  # The weighted MMD is far above the tolerance, so a dropped term would fail.
  assert abs(999.25 * logs["mmd"]) > 1e-4 * logs["loss"]


def test_invalid_weights_name_the_valid_range():
  with pytest.raises(ValueError, match=r"0 <= alpha <= 1 and alpha \+ lam - 1 >= 0.*"
                                       r"alpha = 1.5, lam = 1"):
    info_vae.InfoVAE(alpha=1.5, lam=1.)
  with pytest.raises(ValueError, match=r"alpha = 0.5, lam = 0.25"):
    info_vae.InfoVAE(alpha=0.5, lam=0.25)
  with pytest.raises(ValueError, match=r"info_vae.kernel_variance must be a finite "
                                       r"number >= 1e-12, got 0"):
    info_vae.InfoVAE(alpha=1., lam=10., kernel_variance=0.)

"""Tests of mine_plugin.evaluation.posterior_mi against Gaussian closed forms."""
import math

from mine_plugin.evaluation import posterior_mi
import numpy as np
import pytest


def gaussian_codes(cov_means, posterior_std, size, seed):
  """Means ~ N(0, C), posteriors N(mean, s^2 I): q(z) = N(0, C + s^2 I)."""
  rng = np.random.RandomState(seed)
  z_mean = rng.multivariate_normal(np.zeros(len(cov_means)), cov_means, size=size)
  z_logvar = np.full_like(z_mean, 2. * math.log(posterior_std))
  z = z_mean + posterior_std * rng.randn(*z_mean.shape)
  return z.astype(np.float32), z_mean.astype(np.float32), z_logvar.astype(np.float32)


COV = np.array([[1., 0.8, 0.], [0.8, 1., 0.], [0., 0., 1.]])


def true_total(cov):
  r = cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
  return float(np.sum(-0.5 * np.log(1. - r ** 2 + np.eye(len(cov)))))


def test_critics_measure_every_pair_of_the_aggregate_posterior():
  z, _, _ = gaussian_codes(COV, 0.3, 20000, seed=0)
  pairs = posterior_mi.pairwise_mi_of_samples(z, steps=800, batch_size=256,
                                              hidden_units=(64, 64))
  cov = COV + 0.09 * np.eye(3)
  rho = cov[0, 1] / cov[0, 0]
  assert sorted(pairs) == [(0, 1), (0, 2), (1, 2)]
  assert pairs[0, 1] == pytest.approx(-0.5 * math.log(1. - rho ** 2), abs=0.1)
  assert abs(pairs[0, 2]) < 0.05 and abs(pairs[1, 2]) < 0.05


def test_mws_at_a_small_batch_overstates_the_mi_of_narrow_posteriors():
  # The bias that makes MWS at batch 64 a poor yardstick for narrow posteriors:
  # with s = 0.05 each sample's own posterior dominates its mixture of 64.
  z, z_mean, z_logvar = gaussian_codes(COV, 0.05, 8 * 1024, seed=1)
  truth = true_total(COV + 0.0025 * np.eye(3))
  small = posterior_mi.mws_pairwise_total(z, z_mean, z_logvar, 64)
  large = posterior_mi.mws_pairwise_total(z, z_mean, z_logvar, 1024)
  assert small > truth + 1.  # measured: 9.3 (M = 64), 2.8 (M = 1024), true 1.0
  assert abs(large - truth) < abs(small - truth)

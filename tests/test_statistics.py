"""Tests of mine_plugin/evaluation/statistics.py with hand-computed expectations."""
import numpy as np
import pytest

from mine_plugin.evaluation import statistics


def test_quartiles_interpolate_linearly_over_the_finite_scores():
  # Sorted [0.05, 0.10, 0.20, 0.22, 0.30]: the quartiles are order statistics 1, 3.
  summary = statistics.quartiles([0.22, 0.05, np.nan, 0.30, 0.10, np.inf, 0.20])
  assert summary == (5, 0.20, 0.10, 0.22, 2)
  # [0.12, 0.22, 0.40]: q25 halfway between 0.12 and 0.22, q75 between 0.22, 0.40.
  n, median, q25, q75, _ = statistics.quartiles([0.12, 0.22, 0.40])
  assert (n, median) == (3, 0.22)
  assert (q25, q75) == pytest.approx((0.17, 0.31))


def test_quartiles_without_a_finite_score_are_nan_and_count_the_rest():
  n, median, q25, q75, not_finite = statistics.quartiles([np.nan, -np.inf])
  assert (n, not_finite) == (0, 2)
  assert np.isnan([median, q25, q75]).all()
  assert statistics.quartiles([]).n == 0


def test_mean_sd_uses_ddof_1_and_counts_scores_that_are_not_finite():
  n, mean, sd, not_finite = statistics.mean_sd([.1, .3, np.nan])
  assert (n, not_finite) == (2, 1)
  assert mean == pytest.approx(.2) and sd == pytest.approx(np.sqrt(.02))
  assert np.isnan(statistics.mean_sd([.5]).sd)
  assert np.isnan(statistics.mean_sd([np.inf]).mean)


def test_bootstrap_interval_brackets_the_mean_and_narrows_with_spread():
  low, high = statistics.bootstrap_interval([0.4, 0.5, 0.6, 0.5, 0.5])
  assert low < 0.5 < high and high - low < 0.2
  wide_low, wide_high = statistics.bootstrap_interval([0.1, 0.5, 0.9, 0.5, 0.5])
  assert wide_high - wide_low > high - low
  # The mean of resamples of identical values is that value.
  assert statistics.bootstrap_interval([0.3] * 5) == pytest.approx((0.3, 0.3))


def test_welch_interval_closed_form():
  # Equal variances and sizes: df = 2 (n - 1) = 4, se = sqrt(2 s^2 / n).
  method, baseline = np.array([1., 2., 3.]), np.array([0., 1., 2.])
  low, high = statistics.welch_interval(method, baseline)
  half = 2.7764451 * np.sqrt(2. / 3.)  # t_0.975(4) = 2.7764451
  assert (low, high) == pytest.approx((1. - half, 1. + half), rel=1e-6)
  # No spread: the interval is the difference.
  assert statistics.welch_interval([1., 1.], [0., 0.]) == (1., 1.)


def test_percentile_of_counts_ties_half():
  assert statistics.percentile_of(2., [1., 2., 3., 4.]) == 37.5
  assert statistics.percentile_of(0., [1., 2.]) == 0.
  assert statistics.percentile_of(5., [1., 2.]) == 100.

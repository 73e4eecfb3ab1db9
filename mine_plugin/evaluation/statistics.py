"""Score summaries over runs, of finite scores; NaN/inf are counted (`not_finite`)."""
import collections

import numpy as np
from scipy import stats

# Fewest runs for a bootstrap interval: with fewer, the resampled means take too few
# distinct values for the 2.5 and 97.5 percentiles to mean much.
MIN_BOOTSTRAP_SEEDS = 5

Quartiles = collections.namedtuple("Quartiles",
                                   ["n", "median", "q25", "q75", "not_finite"])
MeanSd = collections.namedtuple("MeanSd", ["n", "mean", "sd", "not_finite"])


def split_finite(values):
  """(the finite values as a float array, how many were NaN or inf)."""
  values = np.asarray(values, dtype=float)
  finite = values[np.isfinite(values)]
  return finite, len(values) - len(finite)


def quartiles(values):
  """Median and interquartile range of the finite scores; NaN if there are none.

  numpy's default linear interpolation between order statistics (Hyndman & Fan
  1996, definition 7; also pandas' `quantile`).
  """
  finite, not_finite = split_finite(values)
  if not len(finite):
    return Quartiles(0, np.nan, np.nan, np.nan, not_finite)
  q25, median, q75 = np.percentile(finite, [25, 50, 75])
  return Quartiles(len(finite), median, q25, q75, not_finite)


def mean_sd(values):
  """Mean and sample standard deviation (ddof 1) of the finite scores.

  The mean is NaN without finite scores, the sd with fewer than two.
  """
  finite, not_finite = split_finite(values)
  mean = finite.mean() if len(finite) else np.nan
  sd = finite.std(ddof=1) if len(finite) > 1 else np.nan
  return MeanSd(len(finite), mean, sd, not_finite)


def bootstrap_interval(values, num_resamples=10000, seed=0):
  """Percentile bootstrap 95 % interval of the mean (Efron & Tibshirani 1993, 13.3).

  Resamples with a fixed seed, so that a page regenerated from the same scores
  shows the same interval. Meant for at least MIN_BOOTSTRAP_SEEDS values.
  """
  values = np.asarray(values, dtype=float)
  rng = np.random.RandomState(seed)
  means = values[rng.randint(len(values), size=(num_resamples, len(values)))].mean(
      axis=1)
  return tuple(np.percentile(means, [2.5, 97.5]))


def welch_interval(method, baseline):
  """95 % Welch t interval of mean(method) - mean(baseline) (Welch 1947).

  Valid for the small seed counts of the studies (3-5 per model), where a
  percentile bootstrap would understate the spread; assumes roughly normal scores.
  Both samples need at least two values. When both have zero variance the interval
  is the difference itself.
  """
  method = np.asarray(method, dtype=float)
  baseline = np.asarray(baseline, dtype=float)
  var_m = method.var(ddof=1) / len(method)
  var_b = baseline.var(ddof=1) / len(baseline)
  difference = method.mean() - baseline.mean()
  se = np.sqrt(var_m + var_b)
  if se == 0:
    return difference, difference
  # Welch-Satterthwaite degrees of freedom.
  dof = (var_m + var_b) ** 2 / (var_m ** 2 / (len(method) - 1) +
                                var_b ** 2 / (len(baseline) - 1))
  half = stats.t.ppf(0.975, dof) * se
  return difference - half, difference + half


def percentile_of(value, reference):
  """Percentage of reference scores below `value`, ties counted half.

  scipy.stats.percentileofscore with kind="mean": 100 * (#below + #equal / 2) / n,
  so a value equal to the reference median sits at 50.
  """
  return float(stats.percentileofscore(np.asarray(reference, dtype=float), value,
                                       kind="mean"))

"""The rules that turn measured scores into a paper's verdict on docs/reproductions.md.

Each rule is stated in its docstring and, in words, next to its verdicts on the page.
NaN/inf scores are left out here; the page's tables count them.
"""
import numpy as np

from mine_plugin.evaluation import statistics


def percent_change(value, reference):
  """100 (value - reference) / reference; NaN for a zero reference."""
  return 100. * (value - reference) / reference if reference else float("nan")


def verdict_difference(method, baseline):
  """Reproduced / partly / not reproduced, for "method scores above baseline".

  Rule: the difference of means (method - baseline) is positive and its 95 %
  Welch t interval (`statistics.welch_interval`) excludes 0: "reproduced";
  positive but the interval includes 0: "partly (direction only, within the
  seeds' spread)"; otherwise "not reproduced". NaN/inf scores are left out.

  Returns:
    (verdict, difference of means); ("not enough runs", NaN) with fewer than two
    finite scores on either side.
  """
  method, _ = statistics.split_finite(method)
  baseline, _ = statistics.split_finite(baseline)
  if len(method) < 2 or len(baseline) < 2:
    return "not enough runs", float("nan")
  difference = method.mean() - baseline.mean()
  low, _ = statistics.welch_interval(method, baseline)
  if difference > 0 and low > 0:
    return "reproduced", difference
  if difference > 0:
    return "partly (direction only, within the seeds' spread)", difference
  return "not reproduced", difference


def verdict_lambda_beta(runs, dataset, metric, high_beta):
  """The lambda-beta-VAE paper's claim on `metric` at beta = high_beta.

  Rule: "collapse" if lambda = 0 at high_beta is below lambda = 0 at beta = 1 by
  more than 10 % (the paper reports -30 to -41 %); "kept" if lambda = 8 at
  high_beta is within 10 % of beta = 1, lambda = 0 or above it (the paper: +3 to
  -6 %) and beats lambda = 0 on every seed (the pairs share their pre-training;
  with n seeds that happens by chance with probability 2^-n). Both: reproduced;
  one: partly; neither: not reproduced. Means over the finite scores.

  Args:
    runs: one row per trained model (`study_records.runs_with_scores`) with
      columns model, dataset, beta, lam, seed and `metric`.
    dataset, metric: which data set and score column.
    high_beta: the large beta at which the paper reports the collapse.

  Returns:
    (verdict, % change at lambda = 0, % change at lambda = 8, Series of the
    per-seed differences lambda 8 - lambda 0).
  """
  cont = runs[(runs["model"] == "lambda_beta_vae") & (runs["dataset"] == dataset)]
  base = cont[(cont["beta"] == 1.) & (cont["lam"] == 0.)][metric].mean()
  at_high = cont[cont["beta"] == high_beta]
  zero = at_high[at_high["lam"] == 0.].set_index("seed")[metric]
  eight = at_high[at_high["lam"] == 8.].set_index("seed")[metric]
  paired = (eight - zero).dropna()
  if not np.isfinite(base) or not len(paired):
    return ("not enough runs", float("nan"), float("nan"), paired)
  collapse = percent_change(zero.mean(), base) < -10.
  kept = (percent_change(eight.mean(), base) > -10. and
          bool((paired > 0).all()))
  verdict = ("reproduced" if collapse and kept else
             "partly" if collapse or kept else "not reproduced")
  return verdict, percent_change(zero.mean(), base), percent_change(
      eight.mean(), base), paired


# The criterion's metrics: a model learned the factors if one of them clears both
# floors (mine_plugin.reports.reproductions.untrained_baselines measures the floors).
LEARNING_METRICS = ("MIG", "DCI disentanglement")


def learned_on_metric(reference, untrained, noise):
  """Whether the reference models clear both floors on one metric.

  Rule: the 95 % Welch interval (`statistics.welch_interval`) of mean(reference)
  - mean(untrained encoder) and that of mean(reference) - mean(noise codes) both
  lie above 0. NaN/inf scores are left out.

  Returns:
    (True / False, or None with fewer than two finite scores in a group; the two
    intervals' lower bounds, NaN where not computed).
  """
  groups = [statistics.split_finite(v)[0] for v in (reference, untrained, noise)]
  if any(len(g) < 2 for g in groups):
    return None, float("nan"), float("nan")
  lows = [statistics.welch_interval(groups[0], floor)[0] for floor in groups[1:]]
  return bool(min(lows) > 0), lows[0], lows[1]


def learned_factors(checks):
  """The criterion from `learned_on_metric`'s outcomes, one per LEARNING_METRICS.

  True if any metric clears both floors, False if every metric was checked and
  none did, None (not measured) otherwise.
  """
  outcomes = [c[0] for c in checks]
  if any(o is True for o in outcomes):
    return True
  if outcomes and all(o is False for o in outcomes):
    return False
  return None


def gated_verdict(verdict, learned, steps):
  """The verdict where the reference models learned, else "inconclusive: ..."."""
  if learned is True:
    return verdict
  if learned is False:
    return "inconclusive: the models did not learn the factors at {} steps".format(
        steps)
  return ("inconclusive: the learning criterion is not measured (it needs 2 or "
          "more finished seeds of the reference model, and the floors of "
          "scripts/measure_untrained.py)")

"""Which bf16 rewrite variants keep float32's scores: the tables of mine_plugin_bf16
and mine_plugin_bf16_dsprites.

A variant keeps the metrics when, for MIG and for DCI disentanglement, the 95 %
Welch interval of (variant - float32) over the seeds contains 0 and the mean
difference is within `TOLERANCE` (the shipping rule, README "Speed"). The speed of each
variant is measured apart, by scripts/benchmark_training.py on an idle machine.
"""
import os

import numpy as np

from mine_plugin.evaluation import statistics
from mine_plugin.records import run_files
from mine_plugin.records import study_records

BASELINE = "beta_tc_vae_fp32"
# The studies' models by model.name (config/studies.py BF16_VARIANTS).
VARIANTS = (BASELINE, "beta_tc_vae_bf16", "beta_tc_vae_bf16_dense_fp32",
            "beta_tc_vae_bf16_conv_only")
RULE_METRICS = ("MIG", "DCI disentanglement")
TOLERANCE = 0.02


def keeps_metric(variant, baseline, tolerance=TOLERANCE):
  """(kept, mean difference, Welch interval) of one metric's finite seed scores.

  kept is None (not judged) unless both sides have at least two finite scores.
  """
  variant, _ = statistics.split_finite(variant)
  baseline, _ = statistics.split_finite(baseline)
  if len(variant) < 2 or len(baseline) < 2:
    return None, np.nan, (np.nan, np.nan)
  low, high = statistics.welch_interval(variant, baseline)
  difference = float(np.mean(variant) - np.mean(baseline))
  return low <= 0. <= high and abs(difference) <= tolerance, difference, (low, high)


def check_runs(runs, baseline=BASELINE):
  """Raises ValueError unless the baseline ran and no model ran a seed twice."""
  if baseline not in set(runs["model"]):
    raise ValueError("No {} runs in the results: the float32 baseline is needed "
                     "(found {}).".format(baseline, sorted(set(runs["model"]))))
  for model, group in runs.groupby("model"):
    seeds = sorted(group["seed"])
    if len(set(seeds)) != len(seeds):
      raise ValueError(
          "{} has runs of seeds {} (in {}): each variant must run each seed once. "
          "Results of an earlier version of the study in the same output "
          "directory? Use a new one.".format(
              model, [int(x) for x in seeds], sorted(group["model_dir"])))


def common_seeds(runs):
  """(runs of the seeds every model ran, sorted list of the runs left out).

  A study still running has finished some variants of its last seed only: those
  are left out, so every variant is compared on the same seeds.
  """
  check_runs(runs)
  by_model = {model: set(group["seed"]) for model, group in runs.groupby("model")}
  seeds = set.intersection(*by_model.values())
  if not seeds:
    raise ValueError("No seed that every model ran ({}): nothing to compare "
                     "yet.".format("; ".join(
                         "{} seeds {}".format(m, sorted(int(x) for x in s))
                         for m, s in sorted(by_model.items()))))
  kept = runs["seed"].isin(seeds)
  return runs[kept], sorted("{} seed {:.0f}".format(r.model, r.seed)
                            for r in runs[~kept].itertuples())


def variant_rows(runs, baseline=BASELINE):
  """Per model of `runs` (study_records.runs_with_scores rows): scores and verdict.

  Every model must have run the baseline's seeds, each once."""
  check_runs(runs, baseline)
  expected = sorted(runs[runs["model"] == baseline]["seed"])
  for model, group in runs.groupby("model"):
    if sorted(group["seed"]) != expected:
      raise ValueError("{} has runs of seeds {}, the baseline {} of seeds {}: each "
                       "variant must run each seed once (`common_seeds` keeps the "
                       "seeds all have).".format(
                           model, [int(x) for x in sorted(group["seed"])], baseline,
                           [int(x) for x in expected]))
  reference = runs[runs["model"] == baseline]
  rows = []
  for model in sorted(set(runs["model"]), key=lambda m: (m != baseline, m)):
    group = runs[runs["model"] == model]
    row = {"model": model, "seeds": sorted(int(s) for s in group["seed"])}
    verdicts = []
    for metric in RULE_METRICS + ("reconstruction loss",):
      row[metric] = statistics.mean_sd(group[metric])
    for metric in RULE_METRICS:
      if model == baseline:
        continue
      ok, difference, interval = keeps_metric(group[metric].to_numpy(float),
                                              reference[metric].to_numpy(float))
      row[metric + " difference"] = (difference, interval)
      verdicts.append(ok)
    if model == baseline:
      row["keeps the metrics"] = None
    elif None in verdicts:
      row["keeps the metrics"] = "not judged (fewer than 2 finite scores)"
    else:
      row["keeps the metrics"] = all(verdicts)
    rows.append(row)
  return rows


def to_markdown(rows):
  """One line per variant: mean ± sd of each score, the differences and the rule."""
  def mean_sd(value):
    if not np.isfinite(value.sd):  # one seed
      return "{:.3f}".format(value.mean)
    return "{:.3f} ± {:.3f}".format(value.mean, value.sd)

  lines = ["| variant | seeds | MIG | DCI disentanglement | reconstruction loss | "
           "MIG - fp32 [95 % Welch] | DCI - fp32 [95 % Welch] | keeps the metrics |",
           "|---|---|---|---|---|---|---|---|"]
  for row in rows:
    cells = [row["model"], ",".join(str(s) for s in row["seeds"])]
    cells += [mean_sd(row[m]) for m in RULE_METRICS + ("reconstruction loss",)]
    for metric in RULE_METRICS:
      if metric + " difference" in row:
        difference, (low, high) = row[metric + " difference"]
        cells.append("{:+.3f} [{:+.3f}, {:+.3f}]".format(difference, low, high)
                     if np.isfinite(difference) else "—")
      else:
        cells.append("(baseline)")
    kept = row["keeps the metrics"]
    cells.append("" if kept is None else kept if isinstance(kept, str) else
                 "yes" if kept else "**no**")
    lines.append("| " + " | ".join(cells) + " |")
  return "\n".join(lines) + "\n"


def _shown_path(path):
  """`path` relative to the working directory where it lies under it (no machine's
  own directories in the docs), else as given."""
  relative = os.path.relpath(os.path.abspath(path))
  return path if relative.startswith(os.pardir) else relative


def make_table(results_path):
  """The Markdown table of a mine_plugin_bf16* results file (dlib's aggregate),
  headed by its data set, steps and seeds; runs of seeds that not every variant has
  finished yet are named under it and left out."""
  frame = study_records.load_results(results_path)
  runs = study_records.runs_with_scores(frame, RULE_METRICS)
  column = "train_results.reconstruction_loss"
  losses = (frame[column] if column in frame else
            np.full(len(frame), np.nan))
  runs["reconstruction loss"] = runs["model_dir"].map(dict(zip(
      frame["path"].map(run_files.model_output_dir), losses)))
  runs, left_out = common_seeds(runs)
  steps = sorted(set(runs["steps"].dropna()))
  missing = [v for v in VARIANTS if v not in set(runs["model"])]
  heading = "**{}**, {} steps, seeds {} (`{}`):\n\n".format(
      ", ".join(sorted(set(runs["dataset"]))),
      ", ".join("{:,.0f}".format(s) for s in steps) if steps else "?",
      ", ".join("{:.0f}".format(s) for s in sorted(set(runs["seed"]))),
      _shown_path(results_path))
  notes = ""
  if left_out:
    notes += ("\nLeft out (not every variant has a finished run of these seeds): "
              "{}.\n".format(", ".join(left_out)))
  if missing:
    notes += "\nNo finished run yet: {}.\n".format(", ".join(missing))
  return heading + to_markdown(variant_rows(runs)) + notes

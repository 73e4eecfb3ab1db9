"""A study's results (dlib_aggregate_results' format) as the tables the pages use.

`compare.load_results` reads the records; this module adds what the reproductions
need beside `compare.scores`: each score's seed, DCI completeness and
informativeness, one row per trained model (its data set, hyperparameters and KL
term), and the learned allocations of the attention models. pandas and numpy only.
"""
import json
import os

import numpy as np
import pandas as pd

from mine_plugin.evaluation import compare
from mine_plugin.reports import report

SEED = "train_config.model.random_seed"
# Columns of a model's training results that measure the code's information.
KL_COLUMN = "train_results.kl_loss"
# The training steps a model ran (of a continuation: after its warm start).
STEP_COLUMN = "train_results.global_step"

# Extra score columns (label -> metric config, key) next to compare.METRICS.
EXTRA_METRICS = {"DCI completeness": ("dci", "completeness"),
                 "DCI informativeness": ("dci", "informativeness_test")}


def scores_with_seed(frame):
  """Tidy table of compare.scores plus DCI completeness/informativeness, with seed."""
  metrics = dict(compare.METRICS)
  metrics.update(EXTRA_METRICS)
  table = compare.scores(frame, metrics)
  seeds = (pd.to_numeric(frame[SEED], errors="coerce") if SEED in frame else
           pd.Series(np.nan, index=frame.index))
  table["seed"] = table["path"].map(dict(zip(frame["path"], seeds)))
  return table


def _config(frame, name):
  column = "train_config." + name
  if column not in frame:
    return pd.Series([np.nan] * len(frame), index=frame.index)
  return pd.to_numeric(frame[column].map(compare.unquote), errors="coerce")


def per_run(frame):
  """One row per trained model: dataset, model, seed, beta, lam, KL, steps, path."""
  runs = pd.DataFrame({
      "dataset": frame["train_config.dataset.name"].map(compare.unquote),
      "model": frame["train_config.model.name"].map(compare.unquote),
      "seed": (pd.to_numeric(frame[SEED], errors="coerce") if SEED in frame
               else np.nan),
      "beta": _config(frame, "vae.beta").fillna(
          _config(frame, "lambda_beta_vae.beta")),
      "lam": _config(frame, "lambda_beta_vae.lam"),
      "kl": pd.to_numeric(frame.get(KL_COLUMN), errors="coerce"),
      "steps": pd.to_numeric(frame.get(STEP_COLUMN), errors="coerce"),
      "model_dir": frame["path"].map(report.model_output_dir),
  })
  return runs.drop_duplicates("model_dir").reset_index(drop=True)


def runs_with_scores(frame, metrics):
  """`per_run` with a column per metric label: the run's finite score, or NaN."""
  table = scores_with_seed(frame)
  table = table[table["representation"] == "mean"]
  wide = table.pivot_table(index="path", columns="metric", values="value")
  runs = per_run(frame)
  by_dir = {}
  for path, row in wide.iterrows():
    by_dir.setdefault(report.model_output_dir(path), {}).update(
        {k: v for k, v in row.items() if np.isfinite(v)})
  for metric in metrics:
    runs[metric] = runs["model_dir"].map(
        lambda d, m=metric: by_dir.get(d, {}).get(m, np.nan))
  return runs


def values(table, model, metric, dataset=None):
  """The mean representation's scores of one model and metric (NaN/inf kept)."""
  rows = table[(table["model"] == model) & (table["metric"] == metric) &
               (table["representation"] == "mean")]
  if dataset is not None:
    rows = rows[rows["dataset"] == dataset]
  return rows["value"].to_numpy(dtype=float)


def collect_allocations(results_path, output_path):
  """Copies each attention model's allocation (by dataset, model, seed) to one file.

  Reads `<model>/model/results/json/attention_allocation.json` of every
  attention_mine_vae* run in the results; returns how many were found.
  """
  frame = compare.load_results(results_path)
  collected = []
  for run in per_run(frame).itertuples():
    if (not str(run.model).startswith("attention_mine_vae") or not run.model_dir or
        not np.isfinite(run.seed)):
      continue
    source = os.path.join(run.model_dir, "model", "results", "json",
                          "attention_allocation.json")
    if os.path.isfile(source):
      with open(source) as f:
        content = json.load(f)
      collected.append({"dataset": run.dataset, "model": run.model,
                        "seed": int(run.seed), "slots": content["slots"],
                        "allocation": content["allocation"]})
  with open(output_path, "w") as f:
    json.dump(collected, f, indent=1)
  return len(collected)

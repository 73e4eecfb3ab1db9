"""The evidence of a critic-penalised study: scores, critic tracking, reference error.

Reads results.json (its `critic_tracking.*` columns) and
`<model>/model/results/critic_tracking_history.json`; writes
`<output_dir>/report.md` (mean ± sd, n, bootstrap 95 % CI where n >= 5, median
estimate / reference), `tracking/` (one seed's histories, so that the page can be made again without the
model directories) and `tracking.png`.
"""
import json
import os
import shutil

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
import numpy as np
import pandas as pd

from mine_plugin.evaluation import compare
from mine_plugin.evaluation import statistics
from mine_plugin.records import run_files
from mine_plugin.records import study_records

TRACKING_COLUMN = "critic_tracking.median_ratio_after_warmup"
HISTORY_FILE = "critic_tracking_history.json"
SEED_COLUMN = "train_config.model.random_seed"


def summarize(scores, tracking=None):
  """Per model and metric: n, mean, sd (ddof 1), bootstrap interval, median ratio.

  Args:
    scores: tidy table of `study_records.scores`.
    tracking: optional Series model -> list of per-seed median ratios.

  Returns:
    DataFrame with columns model, metric, n (finite scores), mean, sd, ci_low,
    ci_high (over those; NaN below statistics.MIN_BOOTSTRAP_SEEDS seeds), ratio
    (median over seeds of each seed's median ratio; NaN for models without a
    critic),
    not_finite (NaN or inf scores, counted apart).
  """
  rows = []
  for (model, metric), group in scores.groupby(["model", "metric"], sort=False):
    values, _ = statistics.split_finite(group["value"])
    summary = statistics.mean_sd(group["value"])
    low, high = (statistics.bootstrap_interval(values)
                 if summary.n >= statistics.MIN_BOOTSTRAP_SEEDS else (np.nan, np.nan))
    ratios = [] if tracking is None else tracking.get(model, [])
    ratios = [r for r in ratios if r is not None and np.isfinite(r)]
    rows.append([model, metric, summary.n, summary.mean, summary.sd, low, high,
                 float(np.median(ratios)) if ratios else np.nan,
                 summary.not_finite])
  return pd.DataFrame(rows, columns=["model", "metric", "n", "mean", "sd",
                                     "ci_low", "ci_high", "ratio", "not_finite"])


def tracking_ratios(frame):
  """model -> per-run median ratios estimate / reference, from dlib's records.

  A run is one trained model: its metric records share the training config's uuid
  (`train_results.uuid`, dlib's results.update_result_directory) or, without it,
  the model name and seed.
  """
  if TRACKING_COLUMN not in frame:
    return pd.Series(dtype=object)
  run_keys = (["train_results.uuid"] if "train_results.uuid" in frame else
              ["train_config.model.name", SEED_COLUMN])
  per_run = frame.drop_duplicates(subset=run_keys)
  models = per_run["train_config.model.name"].map(study_records.unquote)
  ratios = pd.to_numeric(per_run[TRACKING_COLUMN], errors="coerce")
  return ratios.groupby(models).apply(lambda r: r.dropna().tolist())


DEPENDENCE_METRIC = "latent_dependence"


def reference_accuracy(frame):
  """Per critic model and seed: the reference at the end of training against exact.

  The reference (critic_tracking.ObservationMemory) estimates the quantity its
  critic penalises: a total correlation for a `tc_*` quantity, else the pairwise
  sum; latent_dependence measures both on the trained model. Runs that record
  `final_reference_step` give the mean of the readings taken when training ended;
  earlier runs, the last reading during training (50 steps before the end).

  Returns:
    DataFrame model, seed, quantity, reference, exact, ratio (reference / exact).
  """
  columns = ["model", "seed", "quantity", "reference", "exact", "ratio"]
  needed = ("critic_tracking.final_reference", "evaluation_results.pairwise_mi_sum")
  if any(c not in frame for c in needed):
    return pd.DataFrame(columns=columns)
  names = frame.get("evaluation_config.evaluation.name")
  rows = frame[(names.map(study_records.unquote) == DEPENDENCE_METRIC) &
               frame["critic_tracking.final_reference"].notna()]
  records = []
  for _, row in rows.iterrows():
    quantity = row["critic_tracking.quantity"]
    key = ("total_correlation" if str(quantity).startswith("tc_")
           else "pairwise_mi_sum")
    reference = float(row["critic_tracking.final_reference"])
    exact = float(row["evaluation_results." + key])
    records.append([study_records.unquote(row["train_config.model.name"]),
                    int(pd.to_numeric(row[SEED_COLUMN])), quantity, reference,
                    exact, reference / exact if exact else np.nan])
  return pd.DataFrame(records, columns=columns).sort_values(["model", "seed"])


def reference_markdown(accuracy):
  """reference_accuracy as a Markdown table, with the share within 20 %."""
  lines = ["| model | seed | quantity | reference at the end of training | exact "
           "(latent_dependence) | ratio |", "|---|---:|---|---:|---:|---:|"]
  for row in accuracy.itertuples():
    lines.append("| {} | {} | {} | {:.3f} | {:.3f} | {:.2f} |".format(
        row.model, row.seed, row.quantity, row.reference, row.exact, row.ratio))
  within = (accuracy["ratio"] - 1.).abs() <= 0.2
  lines.append("\nWithin 20 % of the exact value: {} of {} models.".format(
      int(within.sum()), len(accuracy)))
  return "\n".join(lines) + "\n"


def copy_histories(frame, output_dir, seed=0):
  """Copies the tracking history of `seed` of every model to output_dir/tracking/."""
  target = os.path.join(output_dir, "tracking")
  os.makedirs(target, exist_ok=True)
  copied = {}
  for _, record in frame.iterrows():
    model = study_records.unquote(record["train_config.model.name"])
    if model in copied or pd.to_numeric(record.get(SEED_COLUMN),
                                        errors="coerce") != seed:
      continue
    model_dir = run_files.model_output_dir(record["path"])
    source = model_dir and os.path.join(model_dir, "model", "results",
                                        HISTORY_FILE)
    if source and os.path.isfile(source):
      copied[model] = os.path.join(target, model + ".json")
      shutil.copyfile(source, copied[model])
  return copied


def read_histories(output_dir):
  """model -> history dict, from output_dir/tracking/*.json."""
  directory = os.path.join(output_dir, "tracking")
  histories = {}
  for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
    if name.endswith(".json"):
      with open(os.path.join(directory, name)) as f:
        histories[name[:-len(".json")]] = json.load(f)
  return histories


def plot_tracking(histories, path):
  """One panel per model: the critic's estimate and the reference against steps."""
  if not histories:
    return None
  fig, axes = plt.subplots(1, len(histories), figsize=(4 * len(histories), 3.2),
                           squeeze=False)
  for axis, (model, history) in zip(axes[0], sorted(histories.items())):
    axis.plot(history["step"], history["reference"], label="reference")
    axis.plot(history["step"], history["estimate"], label="critic estimate")
    axis.axvline(history.get("warmup_steps", 0), color="grey", linestyle=":",
                 label="end of warm-up")
    axis.set_title(model, fontsize=9)
    axis.set_xlabel("training step")
  axes[0][0].set_ylabel("nats")
  axes[0][0].legend(fontsize=7)
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)
  return path


def to_markdown(summary):
  """The summary as one Markdown table."""
  lines = ["| model | metric | n | mean ± sd | bootstrap 95 % CI | median ratio "
           "estimate / reference |", "|---|---|---:|---|---|---:|"]
  for row in summary.itertuples():
    interval = ("[{:.3f}, {:.3f}]".format(row.ci_low, row.ci_high)
                if np.isfinite(row.ci_low)
                else "n < {}".format(statistics.MIN_BOOTSTRAP_SEEDS))
    ratio = "{:.2f}".format(row.ratio) if np.isfinite(row.ratio) else "no critic"
    lines.append("| {} | {} | {} | {:.3f} ± {:.3f} | {} | {} |".format(
        row.model, row.metric, compare.format_count(row.n, row.not_finite),
        row.mean, row.sd, interval, ratio))
  return "\n".join(lines) + "\n"


def make_page(results_path, output_dir,
              metrics=("MIG", "DCI disentanglement", "pairwise MI",
                       "total correlation", "pairwise MI, KSG")):
  """Writes report.md, tracking/ and tracking.png under output_dir; returns report.md."""
  frame = study_records.load_results(results_path)
  scores = study_records.scores(frame)
  scores = scores[scores["metric"].isin(metrics)]
  os.makedirs(output_dir, exist_ok=True)
  copy_histories(frame, output_dir)
  summary = summarize(scores, tracking_ratios(frame))
  figure = plot_tracking(read_histories(output_dir),
                         os.path.join(output_dir, "tracking.png"))
  path = os.path.join(output_dir, "report.md")
  with open(path, "w") as f:
    f.write("# {}\n\nGenerated by scripts/make_critic_report.py from {}.\n\n".format(
        os.path.basename(os.path.normpath(output_dir)), os.path.basename(
            results_path)))
    f.write(to_markdown(summary))
    accuracy = reference_accuracy(frame)
    if len(accuracy):
      f.write("\n## The in-training reference at the end of training\n\n")
      f.write(reference_markdown(accuracy))
    if figure:
      f.write("\n![critic estimate vs reference, seed 0](tracking.png)\n")
  return path

"""A Markdown report with PNG figures from a study's aggregated results.

metrics_<dataset>.png (as Locatello et al. 2019, Fig. 1 and 7), beta_<dataset>.png
(MIG, SAP against `.beta`), attention_allocation.png, traversal_<model>.jpg.
"""
import os
import shutil

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
import numpy as np
import pandas as pd

from mine_plugin.config import sweeps
from mine_plugin.evaluation import compare
from mine_plugin.evaluation import statistics
from mine_plugin.records import run_files
from mine_plugin.records import study_records

# Curves against beta: the model families the studies sweep over a weight named
# beta (mine_plugin.config.sweeps), and that weight's gin parameter.
BETA_PARAMETERS = {m.name: m.parameter for m in sweeps.ALL_MODELS
                   if m.parameter.endswith(".beta")}
BETA_METRICS = ("MIG", "SAP")
ATTENTION_MODEL = sweeps.ATTENTION_MINE_VAE.name
MAX_ALLOCATIONS = 4


def with_beta(frame, table):
  """Adds the `beta` of each score's model (NaN for models without one)."""
  betas = {}
  for _, record in frame.iterrows():
    model = study_records.unquote(record.get("train_config.model.name"))
    column = "train_config." + BETA_PARAMETERS.get(model, "")
    value = record.get(column) if column in frame else None
    betas[record.get("path")] = (float(study_records.unquote(value))
                                 if value is not None and not pd.isna(value)
                                 else np.nan)
  table = table.copy()
  table["beta"] = table["path"].map(betas)
  return table


def plot_metrics_by_model(table, dataset, path):
  """One panel per metric: a box per model over its runs, runs as points."""
  data = table[table["dataset"] == dataset]
  metrics = [m for m in study_records.METRICS if m in set(data["metric"])]
  models = sorted(set(data["model"]))
  columns = min(3, len(metrics))
  rows = int(np.ceil(len(metrics) / columns))
  figure, axes = plt.subplots(rows, columns, squeeze=False,
                              figsize=(4.2 * columns, 0.5 * len(models) + 2 + 
                                       (rows - 1) * (0.5 * len(models) + 1.5)))
  for axis, metric in zip(axes.flat, metrics):
    values = [data[(data["metric"] == metric) & (data["model"] == m)]["value"]
              for m in models]
    values = [v[np.isfinite(v)] for v in values]  # NaN/inf: counted in the table
    present = [i for i, v in enumerate(values) if len(v)]
    axis.boxplot([values[i] for i in present], positions=present, vert=False,
                 widths=0.6, showfliers=False)
    random = np.random.RandomState(0)  # Jitter only; fixed for stable figures.
    for i in present:
      axis.scatter(values[i], i + random.uniform(-0.15, 0.15, len(values[i])),
                   s=10, alpha=0.6, color="C0")
    axis.set_yticks(range(len(models)))
    axis.set_yticklabels(models if axis in axes[:, 0] else [""] * len(models))
    axis.set_title(metric)
    axis.grid(axis="x", alpha=0.3)
  for axis in list(axes.flat)[len(metrics):]:
    axis.axis("off")
  figure.suptitle("{}: scores of the mean representation by model".format(dataset))
  figure.tight_layout()
  figure.savefig(path, dpi=110)
  plt.close(figure)


def plot_beta_curves(table, dataset, path):
  """MIG and SAP against beta, median over seeds with the IQR band. False if no data."""
  data = table[(table["dataset"] == dataset) & table["beta"].notna() &
               table["metric"].isin(BETA_METRICS) &
               np.isfinite(table["value"])]  # NaN/inf: counted in the table
  if data.empty:
    return False
  figure, axes = plt.subplots(1, len(BETA_METRICS), figsize=(5 * len(BETA_METRICS),
                                                             3.8), squeeze=False)
  for axis, metric in zip(axes[0], BETA_METRICS):
    for color, model in enumerate(sorted(set(data["model"]))):
      runs = data[(data["metric"] == metric) & (data["model"] == model)]
      if runs.empty:
        continue
      betas = np.array(sorted(set(runs["beta"])))
      summaries = [statistics.quartiles(runs[runs["beta"] == beta]["value"])
                   for beta in betas]
      median, low, high = (np.array([getattr(q, name) for q in summaries])
                           for name in ("median", "q25", "q75"))
      axis.plot(betas, median, "o-", color="C{}".format(color),
                label="{} (n={})".format(model, len(runs)))
      axis.fill_between(betas, low, high, color="C{}".format(color), alpha=0.2)
    axis.set_xscale("log", base=2)
    axis.set_xlabel("beta")
    axis.set_ylabel(metric)
    axis.set_title("{} against beta".format(metric))
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
  figure.suptitle("{}: median over seeds, band = interquartile range".format(dataset))
  figure.tight_layout()
  figure.savefig(path, dpi=110)
  plt.close(figure)
  return True


def read_allocations(model_dirs):
  """(label, allocation) of each attention model that wrote one, and the notes."""
  found, notes = [], []
  for label, model_dir in model_dirs:
    try:
      found.append((label, run_files.read_allocation(
          os.path.join(model_dir, "model"))))
    except (FileNotFoundError, OSError, ValueError, KeyError) as error:
      notes.append("{}: {}".format(label, error))
  return found, notes


def plot_allocations(allocations, path):
  """Heatmaps of A (rows: latent dimensions, columns: factor slots and nuisance)."""
  figure, axes = plt.subplots(1, len(allocations), squeeze=False,
                              figsize=(3.2 * len(allocations) + 1, 4.5))
  for axis, (label, allocation) in zip(axes[0], allocations):
    image = axis.imshow(allocation, vmin=0., vmax=1., cmap="viridis", aspect="auto")
    slots = run_files.slot_names(allocation.shape[1] - 1)
    axis.set_xticks(range(len(slots)))
    axis.set_xticklabels(slots, rotation=45, ha="right")
    axis.set_yticks(range(allocation.shape[0]))
    axis.set_yticklabels(["z{}".format(j) for j in range(allocation.shape[0])])
    for (j, k), value in np.ndenumerate(allocation):
      axis.text(k, j, "{:.2f}".format(value), ha="center", va="center", fontsize=7,
                color="white" if value < 0.5 else "black")
    axis.set_title(label, fontsize=9)
  figure.colorbar(image, ax=list(axes[0]), shrink=0.8, label="allocation weight")
  figure.suptitle("attention_mine_vae: latent dimension -> slot allocation")
  figure.savefig(path, dpi=110, bbox_inches="tight")
  plt.close(figure)


def _model_label(table, model_dir):
  rows = table[table["path"].map(run_files.model_output_dir) == model_dir]
  first = rows.iloc[0]
  return "{} #{} ({})".format(first["model"], os.path.basename(model_dir),
                              first["dataset"])


def _summary_table(table):
  data = table[table["representation"] == "mean"]
  metrics = [m for m in study_records.METRICS if m in set(data["metric"])]
  lines = ["| data set | model | n | " + " | ".join(metrics) + " |",
           "|---|---|---:|" + "---|" * len(metrics)]
  for (dataset, model), runs in data.groupby(["dataset", "model"]):
    cells = []
    for metric in metrics:
      values = runs[runs["metric"] == metric]["value"]
      if not len(values):
        cells.append("")
        continue
      n, median, q25, q75, not_finite = statistics.quartiles(values)
      cell = compare.format_quartiles(median, q25, q75)
      if not_finite:
        cell += " ({} of {} NaN/inf)".format(not_finite, n + not_finite)
      cells.append(cell)
    lines.append("| {} | {} | {} | {} |".format(
        dataset, model, runs["path"].map(run_files.model_output_dir).nunique(),
        " | ".join(cells)))
  return lines


def make_report(aggregate_path, output_dir, title=None):
  """Writes <output_dir>/report.md and its figures; returns the report's path."""
  frame = study_records.load_results(aggregate_path)
  table = with_beta(frame, study_records.scores(frame))
  if table.empty:
    raise ValueError("{} holds no scores of the metrics {}.".format(
        aggregate_path, ", ".join(study_records.METRICS)))
  figures_dir = os.path.join(output_dir, "figures")
  os.makedirs(figures_dir, exist_ok=True)
  mean = table[table["representation"] == "mean"]
  lines = ["# {}".format(title or "Study report"), "",
           "Results: `{}` ({} scores of {} models).".format(
               aggregate_path, len(table),
               table["path"].map(run_files.model_output_dir).nunique()), "",
           "Median [interquartile range] over runs, mean representation:", ""]
  lines += _summary_table(table) + [""]

  for dataset in sorted(set(mean["dataset"])):
    lines += ["## {}".format(dataset), ""]
    name = "metrics_{}.png".format(dataset)
    plot_metrics_by_model(mean, dataset, os.path.join(figures_dir, name))
    lines += ["![metrics by model on {0}](figures/{1})".format(dataset, name), ""]
    name = "beta_{}.png".format(dataset)
    if plot_beta_curves(mean, dataset, os.path.join(figures_dir, name)):
      lines += ["MIG and SAP against beta ({}):".format(
          ", ".join(m for m in BETA_PARAMETERS if m in set(mean["model"]))), "",
                "![metrics against beta on {0}](figures/{1})".format(dataset, name),
                ""]
    else:
      lines += ["No model swept over beta on this data set.", ""]

  lines += ["## Attention allocation", ""]
  attention_dirs = sorted(
      set(mean[mean["model"] == ATTENTION_MODEL]["path"].map(
          run_files.model_output_dir)))
  labelled = [(_model_label(mean, d), d) for d in attention_dirs[:MAX_ALLOCATIONS]]
  allocations, notes = read_allocations(labelled)
  if allocations:
    plot_allocations(allocations, os.path.join(figures_dir,
                                               "attention_allocation.png"))
    lines += ["![attention allocation](figures/attention_allocation.png)", ""]
  if not attention_dirs:
    lines += ["No attention_mine_vae model in these results.", ""]
  lines += ["Allocation not available for {}".format(note) for note in notes]
  lines += [""] if notes else []

  lines += ["## Latent traversals", "",
            "dlib's visualize_model: each column varies one latent dimension of "
            "one encoded image (top to bottom), the others fixed.", ""]
  for model in sorted(set(mean["model"])):
    model_dirs = sorted(set(mean[mean["model"] == model]["path"].map(
        run_files.model_output_dir)), key=lambda d: (len(d), d))
    for model_dir in model_dirs:
      traversal = os.path.join(model_dir, "visualizations", "traversals",
                               "traversals0.jpg")
      if os.path.exists(traversal):
        name = "traversal_{}.jpg".format(model)
        shutil.copyfile(traversal, os.path.join(figures_dir, name))
        gifs = os.path.join(model_dir, "visualizations", "animated_traversals")
        lines += ["### {}".format(_model_label(mean, model_dir)), "",
                  "![traversal of {}](figures/{})".format(model, name), "",
                  "Animated: `{}`".format(os.path.relpath(gifs, output_dir)), ""]
        break
    else:
      lines += ["### {}".format(model), "",
                "No traversals (run the study without --no_visualize).", ""]

  report = os.path.join(output_dir, "report.md")
  with open(report, "w") as f:
    f.write("\n".join(lines))
  return report

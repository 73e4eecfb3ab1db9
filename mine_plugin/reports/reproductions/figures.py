"""The figures of docs/reproductions.md (matplotlib, Agg), one PNG per paper."""
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top

from mine_plugin.evaluation import statistics
from mine_plugin.records import study_records


def scores_beside_paper(table, models, metrics, paper, path, title):
  """Per data set and metric: our runs as points and mean, the paper's as a cross.

  Args:
    table: tidy scores (`study_records.scores_with_seed`).
    models: our model names, in the order of the x axis.
    metrics: score labels, one panel column each.
    paper: {our model name: {metric: the paper's value}} (the crosses).
    path: the PNG to write.
    title: the figure's title.
  """
  table = table[table["representation"] == "mean"]
  datasets = sorted(table["dataset"].dropna().unique())
  fig, axes = plt.subplots(len(datasets), len(metrics), squeeze=False,
                           figsize=(3.6 * len(metrics), 3 * len(datasets)))
  for row, dataset in enumerate(datasets):
    for col, metric in enumerate(metrics):
      axis = axes[row][col]
      for x, model in enumerate(models):
        values, _ = statistics.split_finite(
            study_records.values(table, model, metric, dataset))
        axis.plot([x] * len(values), values, "o", alpha=.4, color="C0")
        if len(values):
          axis.plot([x - .3, x + .3], [values.mean()] * 2, color="C0")
        if metric in paper.get(model, {}):
          axis.plot(x, paper[model][metric], "x", color="C3", markersize=9,
                    label="paper" if x == 0 else None)
      axis.set_xticks(range(len(models)))
      axis.set_xticklabels(models, rotation=30, ha="right", fontsize=7)
      axis.set_title("{}: {}".format(dataset, metric), fontsize=9)
  fig.suptitle(title, fontsize=10)
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)


def lambda_beta(runs, path):
  """Per data set: MIG, SAP and KL against beta of the continuations, lambda 0 and 8.

  Mean over seeds with the sd as error bars (`statistics.mean_sd`), each run as a
  grey point.
  """
  cont = runs[runs["model"] == "lambda_beta_vae"]
  datasets = sorted(cont["dataset"].dropna().unique())
  metrics = ("MIG", "SAP", "kl")
  fig, axes = plt.subplots(len(datasets), len(metrics), squeeze=False,
                           figsize=(4 * len(metrics), 3 * len(datasets)))
  for row, dataset in enumerate(datasets):
    for col, metric in enumerate(metrics):
      axis = axes[row][col]
      for lam, marker in ((0., "o"), (8., "s")):
        part = cont[(cont["dataset"] == dataset) & (cont["lam"] == lam)]
        betas = sorted(part["beta"].dropna().unique())
        summaries = [statistics.mean_sd(part[part["beta"] == beta][metric])
                     for beta in betas]
        axis.errorbar(betas, [m.mean for m in summaries],
                      yerr=[m.sd for m in summaries], marker=marker, capsize=3,
                      label="lambda = {:g}".format(lam))
        axis.plot(part["beta"], part[metric], marker, alpha=.3, color="grey")
      axis.set_xscale("log", base=2)
      axis.set_xlabel("beta")
      axis.set_title("{}: {}".format(dataset, "KL (nats)" if metric == "kl"
                                     else metric), fontsize=9)
  axes[0][0].legend(fontsize=7)
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)


def learning_curve(tables, path):
  """MIG and DCI disentanglement against training steps, one line per model.

  Args:
    tables: {model: DataFrame with steps, seed, MIG, DCI disentanglement}.
    path: the PNG to write.
  """
  metrics = ("MIG", "DCI disentanglement")
  fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.2))
  for axis, metric in zip(axes, metrics):
    for color, (model, table) in enumerate(sorted(tables.items())):
      means = table.groupby("steps")[metric].mean()
      axis.plot(means.index, means.values, "-", color="C{}".format(color),
                label=model)
      axis.plot(table["steps"], table[metric], "o", alpha=.4,
                color="C{}".format(color))
    axis.set_xlabel("training steps")
    axis.set_title(metric, fontsize=9)
  axes[0].legend(fontsize=7)
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)

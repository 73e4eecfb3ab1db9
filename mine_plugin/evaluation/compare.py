"""Our scores beside dlib's published ones: median, IQR and percentile per metric."""
import numpy as np
import pandas as pd

from mine_plugin.evaluation import statistics
from mine_plugin.records import study_records


def compare(ours, reference, representation="mean"):
  """Per data set and metric: each model's median and IQR, ours placed in reference.

  Args:
    ours, reference: tidy score tables from `study_records.scores`.
    representation: the postprocessing to compare (dlib's papers report "mean").

  Returns:
    DataFrame with columns dataset, metric, source ("ours"/"reference"), model, n
    (finite scores), median, q25, q75 (over those), percentile (of our median
    among the pooled finite reference scores of the data set and metric; NaN where
    there is no reference), not_finite (NaN or inf scores, counted apart).
  """
  ours = ours[ours["representation"] == representation]
  reference = reference[reference["representation"] == representation]
  metrics = study_records.METRICS
  order = list(metrics) + sorted(set(ours["metric"]) - set(metrics))
  rows = []
  for (dataset, metric), group in ours.groupby(["dataset", "metric"], sort=True):
    pooled = reference[(reference["dataset"] == dataset) &
                       (reference["metric"] == metric)]
    pooled_finite = pooled["value"][np.isfinite(pooled["value"])]
    for model, runs in group.groupby("model", sort=True):
      n, median, q25, q75, not_finite = statistics.quartiles(runs["value"])
      rows.append([dataset, metric, "ours", model, n, median, q25, q75,
                   statistics.percentile_of(median, pooled_finite)
                   if len(pooled_finite) and n else np.nan, not_finite])
    for model, runs in pooled.groupby("model", sort=True):
      n, median, q25, q75, not_finite = statistics.quartiles(runs["value"])
      rows.append([dataset, metric, "reference", model, n, median, q25, q75,
                   np.nan, not_finite])
  table = pd.DataFrame(rows, columns=["dataset", "metric", "source", "model", "n",
                                      "median", "q25", "q75", "percentile",
                                      "not_finite"])
  table["metric_order"] = table["metric"].map(
      lambda m: order.index(m) if m in order else len(order))
  table = table.sort_values(["dataset", "metric_order", "source", "model"],
                            kind="stable")
  return table.drop(columns="metric_order").reset_index(drop=True)


def format_count(n, not_finite):
  """'5', or '4 + 1 NaN/inf' when some scores were not finite."""
  return "{}{}".format(n, " + {} NaN/inf".format(not_finite) if not_finite else "")


def format_quartiles(median, q25, q75):
  """'0.512 [0.410, 0.600]', or 'NaN' when no score was finite."""
  if np.isnan(median):
    return "NaN"
  return "{:.3f} [{:.3f}, {:.3f}]".format(median, q25, q75)


def to_markdown(table):
  """One Markdown table per data set and metric (NaN/inf scores counted in n)."""
  lines = []
  for (dataset, metric), group in table.groupby(["dataset", "metric"], sort=False):
    lines += ["### {} -- {}".format(dataset, metric), "",
              "| source | model | n | median [IQR] | percentile in reference |",
              "|---|---|---:|---|---:|"]
    for row in group.itertuples():
      if row.source != "ours":
        where = ""
      elif not row.n:
        where = "no finite score"
      elif np.isnan(row.percentile):
        where = "no reference"
      else:
        where = "{:.1f}".format(row.percentile)
      lines.append("| {} | {} | {} | {} | {} |".format(
          row.source, row.model, format_count(row.n, row.not_finite),
          format_quartiles(row.median, row.q25, row.q75), where))
    lines.append("")
  return "\n".join(lines)

"""Compares a study's scores with dlib's published results, per data set and metric.

Both sides are read in dlib's own formats:
  - an aggregated JSON written by `dlib_aggregate_results` (or by mine_plugin.runner,
    same format): one record per metric result, dlib's namespaced keys
    (`train_config.model.name`, `evaluation_results.discrete_mig`, ...);
  - or a directory of per-model results as dlib_reproduce writes them and as the
    unsupervised_study_v1 release ships them:
    `<model>/metrics/<representation>/<metric>/results/aggregate/evaluation.json`,
    or only `.../results/json/*.json` (then namespaced like dlib does).

For each data set and metric, every model gets its median and interquartile range
over its runs (all seeds and hyperparameters); each of our models also gets the
percentile of its median among all reference scores of that data set and metric
(both from mine_plugin.evaluation.statistics).
"""
import collections
import glob
import io
import json
import os

import numpy as np
import pandas as pd

from mine_plugin.evaluation import statistics

# Score columns, as (label, metric config name, key the metric writes): dlib's
# evaluation/metrics/*.py and the plugin's. beta_vae_sklearn and factor_vae_metric
# both write `eval_accuracy`, so a score is identified by the metric config name too.
METRICS = collections.OrderedDict([
    ("BetaVAE score", ("beta_vae_sklearn", "eval_accuracy")),
    ("FactorVAE score", ("factor_vae_metric", "eval_accuracy")),
    ("MIG", ("mig", "discrete_mig")),
    ("DCI disentanglement", ("dci", "disentanglement")),
    ("Modularity", ("modularity_explicitness", "modularity_score")),
    ("SAP", ("sap_score", "SAP_score")),
    # The plugin's metric of the aggregate posterior (metrics/latent_dependence.py),
    # nats.
    ("pairwise MI", ("latent_dependence", "pairwise_mi_sum")),
    ("total correlation", ("latent_dependence", "total_correlation")),
    ("pairwise MI, KSG", ("latent_dependence", "ksg_pairwise_mi_sum")),
    ("total correlation, KSG", ("latent_dependence", "ksg_total_correlation")),
])


def unquote(value):
  """gin values are stored as written in the operative config: "'beta_vae'"."""
  return value.strip("'\"") if isinstance(value, str) else value


def _from_path(path, index):
  """Element of .../metrics/<representation>/<metric>/results/... after 'metrics'."""
  parts = os.path.normpath(path).split(os.sep)
  if "metrics" not in parts:
    return None
  position = len(parts) - 1 - parts[::-1].index("metrics")
  return parts[position + index] if position + index < len(parts) else None


def _records_from_directory(directory):
  """Flattened dlib records of every metric result found under a directory."""
  records = []
  pattern = os.path.join(directory, "**", "metrics", "*", "*", "results")
  for results_dir in sorted(glob.glob(pattern, recursive=True)):
    aggregate = os.path.join(results_dir, "aggregate", "evaluation.json")
    json_dir = os.path.join(results_dir, "json")
    if os.path.exists(aggregate):
      record = _read_json_file(aggregate)[1]
      record["path"] = aggregate
    elif os.path.exists(os.path.join(json_dir, "evaluation_results.json")):
      # dlib's own flattening (results.update_result_directory's aggregate step).
      record = collections.OrderedDict()
      for name in sorted(os.listdir(json_dir)):
        if name.endswith(".json"):
          content = _read_json_file(os.path.join(json_dir, name))[1]
          for key, value in content.items():
            record["{}.{}".format(name[:-len(".json")], key)] = value
      record["path"] = os.path.join(json_dir, "evaluation_results.json")
    else:
      continue
    records.append(record)
  return pd.DataFrame(records)


def _read_json_file(path):
  """json.load of a file, with errors that name the file and what is wrong."""
  with open(path) as f:
    text = f.read()
  if not text.strip():
    raise ValueError("{} is empty (a results file cut short, or not written "
                     "yet).".format(path))
  try:
    return text, json.loads(text)
  except ValueError as error:
    raise ValueError("{} is not valid JSON ({}); it may have been cut short "
                     "while it was written.".format(path, error)) from None


def _read_aggregate(path):
  """dlib's aggregate_results.load_aggregated_json_results, without its import of
  TensorFlow; dates are not parsed (`*_time` columns are seconds)."""
  text, content = _read_json_file(path)
  if not isinstance(content, dict) or not all(
      isinstance(column, dict) for column in content.values()):
    raise ValueError(
        "{} is not a dlib results table (dlib_aggregate_results writes a JSON "
        "object of columns, each an object of rows); got a JSON {}.".format(
            path, type(content).__name__))
  return pd.read_json(io.StringIO(text), orient="columns", convert_dates=False)


def load_results(path):
  """dlib records from an aggregated JSON file or a directory of model results."""
  if os.path.isdir(path):
    frame = _records_from_directory(path)
  elif os.path.isfile(path):
    frame = _read_aggregate(path)
  else:
    raise FileNotFoundError(
        "No results at {!r}: pass an aggregated JSON (dlib_aggregate_results, or "
        "results.json of scripts/run_study.py) or a directory of dlib model "
        "results.".format(path))
  if frame.empty:
    raise ValueError("No metric results found in {!r} (looked for "
                     "*/metrics/<representation>/<metric>/results/).".format(path))
  return frame


def scores(frame, metrics=None):
  """Tidy table: dataset, model, representation, path, metric, value (per score)."""
  metrics = METRICS if metrics is None else metrics
  paths = frame["path"] if "path" in frame else pd.Series([""] * len(frame))

  def column(name, path_index):
    if name in frame:
      values = frame[name].map(unquote)
    else:
      values = pd.Series([None] * len(frame), index=frame.index)
    # Older records lack the name bindings; dlib's layout has them in the path.
    return values.where(values.notna(), paths.map(lambda p: _from_path(p, path_index)))

  base = pd.DataFrame({
      "dataset": frame["train_config.dataset.name"].map(unquote),
      "model": frame["train_config.model.name"].map(unquote),
      "representation": column("postprocess_config.postprocess.name", 1),
      "metric_config": column("evaluation_config.evaluation.name", 2),
      "path": paths,
  })
  tables = []
  for label, (metric_config, key) in metrics.items():
    name = "evaluation_results." + key
    if name not in frame:
      continue
    rows = base[base["metric_config"] == metric_config].copy()
    rows["metric"] = label
    # A metric that came out NaN or inf stays in the table (as NaN or inf), so
    # that summaries report it instead of silently dropping the model.
    rows["value"] = pd.to_numeric(frame.loc[rows.index, name], errors="coerce")
    tables.append(rows)
  if not tables:
    return pd.DataFrame(columns=["dataset", "model", "representation", "path",
                                 "metric", "value"])
  return pd.concat(tables, ignore_index=True).drop(columns="metric_config")


def compare(ours, reference, representation="mean"):
  """Per data set and metric: each model's median and IQR, ours placed in reference.

  Args:
    ours, reference: tidy score tables from `scores`.
    representation: the postprocessing to compare (dlib's papers report "mean").

  Returns:
    DataFrame with columns dataset, metric, source ("ours"/"reference"), model, n
    (finite scores), median, q25, q75 (over those), percentile (of our median
    among the pooled finite reference scores of the data set and metric; NaN where
    there is no reference), not_finite (NaN or inf scores, counted apart).
  """
  ours = ours[ours["representation"] == representation]
  reference = reference[reference["representation"] == representation]
  order = list(METRICS) + sorted(set(ours["metric"]) - set(METRICS))
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

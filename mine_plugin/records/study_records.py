"""A study's metric records, in dlib's formats, as the tables reports and scripts use.

Read: an aggregated JSON written by `dlib_aggregate_results` (or by
mine_plugin.runner, same format): one record per metric result, dlib's namespaced
keys (`train_config.model.name`, `evaluation_results.discrete_mig`, ...); or a
directory of per-model results as dlib_reproduce writes them and as the
unsupervised_study_v1 release ships them:
`<model>/metrics/<representation>/<metric>/results/aggregate/evaluation.json`, or
only `.../results/json/*.json` (then namespaced like dlib does). Tables: one row
per score (`scores`, `scores_with_seed`) or per trained model (`per_run`,
`runs_with_scores`). pandas and numpy only.
"""
import collections
import glob
import io
import json
import os

import numpy as np
import pandas as pd

from mine_plugin.records import run_files
from mine_plugin.utils import atomic_write

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


def load_results(path, allow_empty=False):
  """dlib records from an aggregated JSON file or a directory of model results
  (an empty frame for none only if `allow_empty`)."""
  if os.path.isdir(path):
    frame = _records_from_directory(path)
  elif os.path.isfile(path):
    frame = _read_aggregate(path)
  else:
    raise FileNotFoundError(
        "No results at {!r}: pass an aggregated JSON (dlib_aggregate_results, or "
        "results.json of scripts/run_study.py) or a directory of dlib model "
        "results.".format(path))
  if frame.empty and not allow_empty:
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

SEED = "train_config.model.random_seed"
# Columns of a model's training results that measure the code's information.
KL_COLUMN = "train_results.kl_loss"
# The training steps a model ran (of a continuation: after its warm start).
STEP_COLUMN = "train_results.global_step"

# Extra score columns (label -> metric config, key) next to METRICS.
EXTRA_METRICS = {"DCI completeness": ("dci", "completeness"),
                 "DCI informativeness": ("dci", "informativeness_test")}


def scores_with_seed(frame):
  """Tidy table of `scores` plus DCI completeness/informativeness, with seed."""
  metrics = dict(METRICS)
  metrics.update(EXTRA_METRICS)
  table = scores(frame, metrics)
  seeds = (pd.to_numeric(frame[SEED], errors="coerce") if SEED in frame else
           pd.Series(np.nan, index=frame.index))
  table["seed"] = table["path"].map(dict(zip(frame["path"], seeds)))
  return table


def _config(frame, name):
  column = "train_config." + name
  if column not in frame:
    return pd.Series([np.nan] * len(frame), index=frame.index)
  return pd.to_numeric(frame[column].map(unquote), errors="coerce")


def per_run(frame):
  """One row per trained model: dataset, model, seed, beta, lam, KL, steps, path."""
  runs = pd.DataFrame({
      "dataset": frame["train_config.dataset.name"].map(unquote),
      "model": frame["train_config.model.name"].map(unquote),
      "seed": (pd.to_numeric(frame[SEED], errors="coerce") if SEED in frame
               else np.nan),
      "beta": _config(frame, "vae.beta").fillna(
          _config(frame, "lambda_beta_vae.beta")),
      "lam": _config(frame, "lambda_beta_vae.lam"),
      "kl": pd.to_numeric(frame.get(KL_COLUMN), errors="coerce"),
      "steps": pd.to_numeric(frame.get(STEP_COLUMN), errors="coerce"),
      "model_dir": frame["path"].map(run_files.model_output_dir),
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
    by_dir.setdefault(run_files.model_output_dir(path), {}).update(
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


DATASET = "train_config.dataset.name"


def _columns(path):
  """An aggregated results file (or a directory of model results) as dlib's JSON
  object of columns, values as written (dlib's gin strings stay strings)."""
  if not os.path.isfile(path):
    return json.loads(load_results(path).to_json())
  _read_aggregate(path)  # The checks and their errors.
  return _read_json_file(path)[1]


def _rows(columns):
  """{row index: {column: value}} of a JSON object of columns."""
  rows = collections.defaultdict(dict)
  for column, values in columns.items():
    for index, value in values.items():
      rows[index][column] = value
  return rows


def merge_by_dataset(results_path, output_path, datasets=None):
  """Writes `results_path`'s records into the aggregated file `output_path`: the
  records of each data set in `results_path` (of those in `datasets`, if given)
  replace that data set's records there, the other data sets' are kept as written
  (a rerun of one data set's part of a study does not drop the rest). Atomic.
  Returns the data sets replaced, sorted."""
  new = list(_rows(_columns(results_path)).values())
  if any(DATASET not in row for row in new):
    raise ValueError("{}: a record without {} cannot be merged by data set.".format(
        results_path, DATASET))
  if datasets is not None:
    new = [row for row in new if unquote(row[DATASET]) in set(datasets)]
  replaced = {unquote(row[DATASET]) for row in new}
  _write_rows(output_path, _kept_rows(output_path, replaced) + new)
  return sorted(replaced)


MODEL_NUM = "train_config.model.model_num"


def model_key(row, path):
  """(data set, model number) of a record ({column: value}) of the file `path`;
  ValueError if it lacks either."""
  model_num = row.get(MODEL_NUM)
  missing = [column for column, value in ((DATASET, row.get(DATASET)),
                                          (MODEL_NUM, model_num))
             if value is None or (isinstance(value, float) and np.isnan(value))]
  if missing:
    raise ValueError(
        "{}: a record without {} cannot be merged model by model (its path: {}). "
        "The study runner records both for every model; rerun that model with "
        "scripts/run_study.py.".format(path, " or ".join(missing), row.get("path")))
  try:
    number = int(float(unquote(str(model_num))))
  except ValueError:
    raise ValueError("{}: the record of {} has the model number {!r}, not a number "
                     "(its path: {}); rerun that model with scripts/run_study.py."
                     .format(path, unquote(row[DATASET]), model_num,
                             row.get("path"))) from None
  return unquote(row[DATASET]), number


def matches_config(row, config):
  """Whether a record was trained with `config` ({gin parameter: value}, a study's
  config of its model): each parameter recorded (train_config.<parameter>, as gin
  writes it: "'dsprites_full'", "150000", "1.0", "@vae()") with the same value."""
  for parameter, value in config.items():
    recorded = row.get("train_config." + parameter)
    if recorded is None:
      return False
    recorded = unquote(str(recorded))
    try:
      same = float(recorded) == float(value)
    except (TypeError, ValueError):
      same = recorded == str(value)
    if not same:
      return False
  return True


def records(path):
  """The records of an aggregated file (or a directory of model results, as
  `_columns` reads it) as {column: value} dicts, values as written ([] when there
  is nothing at `path`)."""
  if not os.path.exists(path):
    return []
  return list(_rows(_columns(path)).values())


def merge_by_model(results_path, output_path, keep=None):
  """Writes `results_path`'s records into the aggregated file `output_path` model by
  model: the records of each (data set, model number) in `results_path` replace
  that model's records there; the other models' records are kept. Records, new or
  kept, for which `keep(row)` is false are left out. A study rerun over many
  sessions, on machines that do not all keep the run's directory, so gathers every
  model it finished. Atomic; no file when no record is left. Returns the (data set,
  model number) of the records `keep` left out, sorted."""
  new, dropped = [], set()
  for row in records(results_path):
    if keep is None or keep(row):
      new.append(row)
    else:
      dropped.add(model_key(row, results_path))
  replaced = {model_key(row, results_path) for row in new}
  kept = []
  for row in records(output_path):
    key = model_key(row, output_path)
    if key in replaced:
      continue
    if keep is not None and not keep(row):
      dropped.add(key)
      continue
    kept.append(row)
  if kept or new:
    _write_rows(output_path, kept + new)
  elif os.path.isfile(output_path):
    os.remove(output_path)
  return sorted(dropped)


def models_by_dataset(path):
  """{data set: sorted model numbers} of the records in an aggregated file ({} when
  it does not exist)."""
  models = collections.defaultdict(set)
  for row in records(path):
    dataset, model_num = model_key(row, path)
    models[dataset].add(model_num)
  return {dataset: sorted(nums) for dataset, nums in models.items()}


def drop_datasets(output_path, datasets):
  """Removes the records of `datasets` from the aggregated file `output_path` (the
  file, when none is left). Atomic."""
  if not os.path.isfile(output_path):
    return
  kept = _kept_rows(output_path, set(datasets))
  if kept:
    _write_rows(output_path, kept)
  else:
    os.remove(output_path)


def _kept_rows(output_path, replaced):
  if not os.path.isfile(output_path):
    return []
  return [row for row in _rows(_columns(output_path)).values()
          if unquote(row.get(DATASET)) not in replaced]


def _write_rows(output_path, rows):
  merged = collections.defaultdict(dict)
  for index, row in enumerate(rows):
    for column, value in row.items():
      merged[column][str(index)] = value
  os.makedirs(os.path.dirname(os.path.abspath(output_path)), exist_ok=True)
  atomic_write.write_json_atomically(output_path, merged, indent=None)


def read_allocations(path):
  """The entries of an allocations file ([] when it does not exist)."""
  if not os.path.isfile(path):
    return []
  with open(path) as f:
    return json.load(f)


def _write_allocations(path, entries):
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  atomic_write.write_json_atomically(path, entries, indent=1)


def _allocation_key(entry):
  return entry["dataset"], entry["model"], entry["seed"]


def merge_allocations(results_path, output_path, keep=None, models=None):
  """Copies each attention model's allocation into one file, model by model.

  Reads `<model>/model/results/json/attention_allocation.json` of every
  attention_mine_vae* run in the results (of its records for which `keep(record)`
  is true, all without `keep`); each replaces the entry of the same (data set,
  model, seed) in `output_path`, the others stay (those of earlier sessions whose
  model directories are gone), if among `models` ((data set, model, seed); all
  without `models`). Returns how many were found.
  """
  frame = load_results(results_path)
  if keep is not None:
    frame = frame[[bool(keep(row)) for row in frame.to_dict("records")]]
  collected = []
  for run in per_run(frame).itertuples():
    if (not str(run.model).startswith("attention_mine_vae") or not run.model_dir or
        not np.isfinite(run.seed)):
      continue
    source = os.path.join(run.model_dir, "model", "results", "json",
                          run_files.ALLOCATION_FILE)
    if os.path.isfile(source):
      with open(source) as f:
        content = json.load(f)
      collected.append({"dataset": run.dataset, "model": run.model,
                        "seed": int(run.seed), "slots": content["slots"],
                        "allocation": content["allocation"]})
  replaced = {_allocation_key(entry) for entry in collected}
  kept = [entry for entry in read_allocations(output_path)
          if _allocation_key(entry) not in replaced and (
              models is None or _allocation_key(entry) in models)]
  if kept or collected:
    _write_allocations(output_path, kept + collected)
  return len(collected)


def move_allocations(source_path, output_path, datasets):
  """The entries of `datasets` in the allocations file `source_path` replace those
  data sets' entries in `output_path` and leave `source_path` (removed when none is
  left). Returns how many moved."""
  datasets = set(datasets)
  source = read_allocations(source_path)
  moving = [entry for entry in source if entry["dataset"] in datasets]
  staying = [entry for entry in source if entry["dataset"] not in datasets]
  _write_allocations(output_path, [
      entry for entry in read_allocations(output_path)
      if entry["dataset"] not in datasets] + moving)
  if staying:
    _write_allocations(source_path, staying)
  elif os.path.isfile(source_path):
    os.remove(source_path)
  return len(moving)

"""Tests for mine_plugin/evaluation/compare.py and scripts/compare_results.py on tests/fixtures."""
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from mine_plugin.evaluation import compare
from mine_plugin.records import study_records

HERE = os.path.dirname(__file__)
REFERENCE = os.path.join(HERE, "fixtures", "dlib_reference")
SCRIPT = os.path.join(HERE, "..", "scripts", "compare_results.py")


def _record(model, dataset, post, metric, **results):
  record = {"train_config.model.name": "'{}'".format(model),
            "train_config.dataset.name": "'{}'".format(dataset),
            "postprocess_config.postprocess.name": "'{}'".format(post),
            "evaluation_config.evaluation.name": "'{}'".format(metric),
            "path": "out/0/metrics/{}/{}/results/aggregate/evaluation.json".format(
                post, metric)}
  record.update({"evaluation_results." + k: v for k, v in results.items()})
  return record


@pytest.fixture
def ours_json(tmp_path):
  """Our aggregated results in dlib_aggregate_results' format (DataFrame.to_json)."""
  records = [_record("lambda_beta_vae", "dsprites_full", "mean", "mig",
                     discrete_mig=v) for v in (0.12, 0.22, 0.40)]
  records += [_record("mine_tc_vae", "dsprites_full", "mean", "mig",
                      discrete_mig=v) for v in (0.50, 0.60)]
  records += [
      _record("lambda_beta_vae", "dsprites_full", "sampled", "mig",
              discrete_mig=0.0),
      _record("lambda_beta_vae", "dsprites_full", "mean", "sap_score",
              SAP_score=0.035),
      _record("lambda_beta_vae", "dsprites_full", "mean", "beta_vae_sklearn",
              eval_accuracy=0.80, train_accuracy=1.0),
      _record("lambda_beta_vae", "dsprites_full", "mean", "factor_vae_metric",
              eval_accuracy=0.10, train_accuracy=1.0, num_active_dims=3),
      _record("lambda_beta_vae", "synthetic_squares", "mean", "mig",
              discrete_mig=0.3),
  ]
  path = str(tmp_path / "results.json")
  pd.DataFrame(records).to_json(path)
  return path


def _row(table, dataset, metric, source, model):
  rows = table[(table.dataset == dataset) & (table.metric == metric) &
               (table.source == source) & (table.model == model)]
  assert len(rows) == 1, rows
  return rows.iloc[0]


def test_medians_iqr_and_percentiles_match_hand_computation(ours_json):
  table = compare.compare(study_records.scores(study_records.load_results(ours_json)),
                          study_records.scores(study_records.load_results(REFERENCE)))
  # Reference beta_vae MIG: sorted [0.05, 0.10, 0.20, 0.22, 0.30]; linear
  # quartiles at positions 1 and 3.
  row = _row(table, "dsprites_full", "MIG", "reference", "beta_vae")
  assert (row.n, row["median"], row.q25, row.q75) == (5, 0.20, 0.10, 0.22)
  assert np.isnan(row.percentile)
  row = _row(table, "dsprites_full", "MIG", "reference", "factor_vae")
  assert (row.n, row["median"]) == (3, 0.25)
  assert row.q25 == pytest.approx(0.20) and row.q75 == pytest.approx(0.30)
  # Ours: median 0.22 among the 8 pooled reference MIGs, 4 below and 1 equal:
  # (4 + 1/2) / 8 = 56.25 %. The sampled MIG of 0.0 is not counted.
  row = _row(table, "dsprites_full", "MIG", "ours", "lambda_beta_vae")
  assert (row.n, row["median"]) == (3, 0.22)
  assert row.q25 == pytest.approx(0.17) and row.q75 == pytest.approx(0.31)
  assert row.percentile == pytest.approx(56.25)
  # Above every reference score.
  assert _row(table, "dsprites_full", "MIG", "ours", "mine_tc_vae").percentile == 100.
  # SAP 0.035 among [0.01 .. 0.07]: 3 of 7 below.
  assert _row(table, "dsprites_full", "SAP", "ours",
              "lambda_beta_vae").percentile == pytest.approx(300. / 7)
  # BetaVAE score 0.80 among 7: 3 below, 1 equal -> 50 %. FactorVAE score (same
  # result key eval_accuracy) has no reference and stays apart.
  assert _row(table, "dsprites_full", "BetaVAE score", "ours",
              "lambda_beta_vae").percentile == pytest.approx(50.)
  row = _row(table, "dsprites_full", "FactorVAE score", "ours", "lambda_beta_vae")
  assert row["median"] == 0.10 and np.isnan(row.percentile)
  assert np.isnan(_row(table, "synthetic_squares", "MIG", "ours",
                       "lambda_beta_vae").percentile)
  # shapes3d has reference results but none of ours: not listed.
  assert "shapes3d" not in set(table.dataset)


def test_script_prints_markdown_tables(ours_json, tmp_path):
  output = tmp_path / "comparison.md"
  completed = subprocess.run(
      [sys.executable, SCRIPT, "--results", ours_json, "--reference", REFERENCE,
       "--output", str(output)], capture_output=True, text=True, check=True)
  assert "### dsprites_full -- MIG" in completed.stdout
  assert "| ours | lambda_beta_vae | 3 | 0.220 [0.170, 0.310] | 56.2 |" in (
      completed.stdout)
  assert "| reference | beta_vae | 5 | 0.200 [0.100, 0.220] |  |" in completed.stdout
  assert "no reference" in completed.stdout
  assert output.read_text() in completed.stdout


def test_nan_and_inf_scores_are_counted_and_shown_not_dropped(tmp_path):
  records = [_record("vae", "dsprites_full", "mean", "mig", discrete_mig=v)
             for v in (0.2, 0.4, float("nan"))]
  records += [_record("broken_vae", "dsprites_full", "mean", "mig",
                      discrete_mig=float("nan")),
              _record("broken_vae", "dsprites_full", "mean", "mig",
                      discrete_mig=float("inf"))]
  path = str(tmp_path / "results.json")
  pd.DataFrame(records).to_json(path)
  table = compare.compare(study_records.scores(study_records.load_results(path)),
                          study_records.scores(study_records.load_results(REFERENCE)))
  vae = _row(table, "dsprites_full", "MIG", "ours", "vae")
  assert (vae.n, vae.not_finite) == (2, 1)
  assert vae["median"] == pytest.approx(0.3)
  broken = _row(table, "dsprites_full", "MIG", "ours", "broken_vae")
  assert (broken.n, broken.not_finite) == (0, 2)
  text = compare.to_markdown(table)
  assert "| ours | vae | 2 + 1 NaN/inf | 0.300 [0.250, 0.350] |" in text
  assert "| ours | broken_vae | 0 + 2 NaN/inf | NaN | no finite score |" in text


@pytest.mark.parametrize("content,problem", [
    ("", "empty"), ('{"path": {"0": "x"', "not valid JSON"),
    ("[1, 2]", "not a dlib results table")])
def test_unreadable_results_name_the_file_and_the_input(tmp_path, content,
                                                          problem):
  path = tmp_path / "broken.json"
  path.write_text(content)
  completed = subprocess.run(
      [sys.executable, SCRIPT, "--results", str(path), "--reference", REFERENCE],
      capture_output=True, text=True)
  assert completed.returncode != 0
  last_line = completed.stderr.strip().splitlines()[-1]
  assert str(path) in last_line and "--results" in last_line
  assert problem in last_line

"""Tests for mine_plugin/reports/report.py and scripts/make_report.py on a toy aggregate."""
import os
import subprocess
import sys

import numpy as np
import pandas as pd
from PIL import Image
import pytest

from mine_plugin.methods.unsupervised import attention_mine_vae
from mine_plugin.records import study_records
from mine_plugin.reports import report

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "scripts", "make_report.py")
METRICS = {"mig": "discrete_mig", "sap_score": "SAP_score", "dci": "disentanglement"}


@pytest.fixture
def toy_study(tmp_path):
  """Aggregated results of 14 models, plus the model files a report reads."""
  study = tmp_path / "study"
  random = np.random.RandomState(0)
  settings = [("beta_vae", "vae.beta", beta) for beta in (1., 4., 16.)] * 2
  settings += [("lambda_beta_vae", "lambda_beta_vae.beta", beta)
               for beta in (1., 4., 16.)] * 2
  settings += [("attention_mine_vae", "attention_mine_vae.lam", 1.)] * 2
  records = []
  for num, (model, parameter, value) in enumerate(settings):
    for metric, key in METRICS.items():
      records.append({
          "train_config.model.name": "'{}'".format(model),
          "train_config.dataset.name": "'synthetic_squares'",
          "train_config." + parameter: str(value),
          "postprocess_config.postprocess.name": "'mean'",
          "evaluation_config.evaluation.name": "'{}'".format(metric),
          "evaluation_results." + key: random.uniform(),
          "path": str(study / str(num) / "metrics" / "mean" / metric / "results" /
                      "aggregate" / "evaluation.json")})
  path = str(tmp_path / "results.json")
  pd.DataFrame(records).to_json(path)
  # Model 12 wrote its allocation (3 factors + nuisance, 4 latents); 13 did not.
  allocation = np.array([[.7, .1, .1, .1], [.1, .8, .05, .05],
                         [.05, .05, .85, .05], [.1, .1, .1, .7]])
  attention_mine_vae.write_allocation(str(study / "12" / "model" / "results" / "json" /
                                 attention_mine_vae.ALLOCATION_FILE), allocation, 3)
  traversal = study / "0" / "visualizations" / "traversals"
  traversal.mkdir(parents=True)
  Image.fromarray(np.zeros((64, 640, 3), np.uint8)).save(
      str(traversal / "traversals0.jpg"))
  return path, study


def test_beta_curves_follow_the_studies_beta_sweeps():
  # The families swept over a beta (mine_plugin.config.sweeps), each its parameter.
  assert report.BETA_PARAMETERS == {
      "beta_vae": "vae.beta", "beta_tc_vae": "beta_tc_vae.beta",
      "lambda_beta_vae": "lambda_beta_vae.beta", "mine_tc_vae": "mine_tc_vae.beta"}


def test_reports_do_not_load_tensorflow():
  completed = subprocess.run(
      [sys.executable, "-c",
       "import sys\n"
       "from mine_plugin.reports import report\n"
       "from mine_plugin.reports.reproductions import page\n"
       "assert 'tensorflow' not in sys.modules, sorted(sys.modules)"],
      capture_output=True, text=True)
  assert completed.returncode == 0, completed.stderr[-2000:]


def test_beta_is_read_for_each_score(toy_study):
  frame = study_records.load_results(toy_study[0])
  table = report.with_beta(frame, study_records.scores(frame))
  betas = table[table["model"] == "lambda_beta_vae"]["beta"]
  assert sorted(set(betas)) == [1., 4., 16.] and len(betas) == 6 * 3
  # attention_mine_vae is swept over lam, not beta: no point on the beta curves.
  assert table[table["model"] == "attention_mine_vae"]["beta"].isna().all()


def test_report_contains_every_figure(toy_study, tmp_path):
  path, study = toy_study
  output = tmp_path / "report"
  completed = subprocess.run([sys.executable, SCRIPT, "--results", path,
                              "--output_dir", str(output)],
                             capture_output=True, text=True)
  assert completed.returncode == 0, completed.stderr[-3000:]
  text = (output / "report.md").read_text()
  figures = ["metrics_synthetic_squares.png", "beta_synthetic_squares.png",
             "attention_allocation.png", "traversal_beta_vae.jpg"]
  for name in figures:
    assert "(figures/{})".format(name) in text
    with Image.open(str(output / "figures" / name)) as image:
      assert image.size[0] > 300 and image.size[1] > 60
  assert sorted(os.listdir(str(output / "figures"))) == sorted(figures)
  # The model without an allocation file and the models without traversals are
  # named, not silently dropped.
  assert "Allocation not available for attention_mine_vae #13" in text
  assert "### lambda_beta_vae\n\nNo traversals" in text
  # The summary table has a row per model with its number of runs.
  assert "| synthetic_squares | beta_vae | 6 |" in text
  assert "| synthetic_squares | attention_mine_vae | 2 |" in text


def test_empty_results_are_explained(tmp_path):
  path = str(tmp_path / "results.json")
  pd.DataFrame([{"train_config.model.name": "'vae'",
                 "train_config.dataset.name": "'dummy_data'",
                 "evaluation_results.something": 1.,
                 "path": "x/metrics/mean/other/results/aggregate/evaluation.json"}]
               ).to_json(path)
  with pytest.raises(ValueError, match="holds no scores of the metrics"):
    report.make_report(path, str(tmp_path / "out"))


def test_nan_scores_are_shown_and_counted_in_the_summary(toy_study, tmp_path):
  path, _ = toy_study
  frame = pd.read_json(path)
  mig = frame["evaluation_config.evaluation.name"] == "'mig'"
  beta_vae = frame["train_config.model.name"] == "'beta_vae'"
  frame.loc[mig & beta_vae, "evaluation_results.discrete_mig"] = [
      np.nan] + list(frame.loc[mig & beta_vae, "evaluation_results.discrete_mig"])[1:]
  frame.loc[mig & (frame["train_config.model.name"] == "'attention_mine_vae'"),
            "evaluation_results.discrete_mig"] = np.nan
  frame.to_json(path)
  text = open(report.make_report(path, str(tmp_path / "out"))).read()
  row = [l for l in text.splitlines()
         if l.startswith("| synthetic_squares | beta_vae | 6 |")][0]
  assert "(1 of 6 NaN/inf)" in row
  row = [l for l in text.splitlines()
         if l.startswith("| synthetic_squares | attention_mine_vae | 2 |")][0]
  assert "| NaN (2 of 2 NaN/inf) |" in row

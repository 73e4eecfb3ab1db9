"""Tests of mine_plugin.reports.critic_evidence with hand-computed expectations."""
import json

from mine_plugin.reports import critic_evidence
import numpy as np
import pandas as pd
import pytest


def test_summary_has_mean_sd_interval_from_five_seeds_and_the_median_ratio():
  scores = pd.DataFrame({
      "model": ["a"] * 5 + ["b"] * 3,
      "metric": ["MIG"] * 8,
      "value": [0.1, 0.2, 0.3, 0.4, 0.5, 0.2, 0.4, 0.6],
  })
  tracking = pd.Series({"a": [0.5, 1.0, 2.0, None, float("nan")]})
  summary = critic_evidence.summarize(scores, tracking).set_index("model")
  assert summary.loc["a", "mean"] == pytest.approx(0.3)
  assert summary.loc["a", "sd"] == pytest.approx(np.std([.1, .2, .3, .4, .5],
                                                        ddof=1))
  assert summary.loc["a", "ci_low"] < 0.3 < summary.loc["a", "ci_high"]
  assert summary.loc["a", "ratio"] == pytest.approx(1.0)  # median of 0.5, 1, 2
  # Three seeds: no bootstrap interval; no critic: no ratio.
  assert np.isnan(summary.loc["b", "ci_low"]) and np.isnan(summary.loc["b", "ratio"])
  table = critic_evidence.to_markdown(summary.reset_index())
  assert "| a | MIG | 5 | 0.300 ± 0.158 |" in table
  assert "| b | MIG | 3 | 0.400 ± 0.200 | n < 5 | no critic |" in table


def test_tracking_ratios_take_one_value_per_model_and_seed():
  frame = pd.DataFrame({
      "train_config.model.name": ["'a'", "'a'", "'a'", "'b'"],
      "train_config.model.random_seed": [0, 0, 1, 0],
      critic_evidence.TRACKING_COLUMN: [0.8, 0.8, 1.2, None],
  })
  ratios = critic_evidence.tracking_ratios(frame)
  assert ratios["a"] == [0.8, 1.2]  # the two metric records of seed 0 count once
  assert ratios["b"] == []


def test_page_regenerates_from_the_copied_histories(tmp_path):
  model_dir = tmp_path / "runs" / "0"
  history = model_dir / "model" / "results" / critic_evidence.HISTORY_FILE
  history.parent.mkdir(parents=True)
  history.write_text(json.dumps({"step": [0, 50], "estimate": [0.1, 0.9],
                                 "reference": [1.0, 1.0], "warmup_steps": 20}))
  record = {
      "train_config.dataset.name": "'synthetic_squares_32'",
      "train_config.model.name": "'pairwise_mi_vae_density_ratio'",
      "train_config.model.random_seed": 0,
      "postprocess_config.postprocess.name": "'mean'",
      "evaluation_config.evaluation.name": "'mig'",
      "evaluation_results.discrete_mig": 0.42,
      critic_evidence.TRACKING_COLUMN: 0.9,
      "path": str(model_dir / "metrics" / "mean" / "mig" / "results" /
                  "aggregate" / "evaluation.json"),
  }
  results = tmp_path / "results.json"
  pd.DataFrame([record]).to_json(str(results))
  output = tmp_path / "page"
  report = critic_evidence.make_page(str(results), str(output))
  text = open(report).read()
  assert "| pairwise_mi_vae_density_ratio | MIG | 1 | 0.420 ± nan | n < 5 | 0.90 |" in text
  assert (output / "tracking.png").stat().st_size > 0
  copied = output / "tracking" / "pairwise_mi_vae_density_ratio.json"
  assert json.loads(copied.read_text())["estimate"] == [0.1, 0.9]
  # Without the model directory, the copied history still draws the figure.
  history.unlink()
  (output / "tracking.png").unlink()
  critic_evidence.make_page(str(results), str(output))
  assert (output / "tracking.png").stat().st_size > 0


def test_reference_accuracy_compares_each_reference_with_its_own_quantity():
  # A pairwise critic is judged on the pairwise sum, a TC critic on the TC; the
  # records of other metrics and of models without a critic are left out.
  frame = pd.DataFrame({
      "train_config.model.name": ["'p'", "'p'", "'t'", "'v'"],
      "train_config.model.random_seed": [0, 0, 1, 0],
      "evaluation_config.evaluation.name": ["'latent_dependence'", "'mig'",
                                            "'latent_dependence'",
                                            "'latent_dependence'"],
      "critic_tracking.quantity": ["pairwise_mi_mine", "pairwise_mi_mine",
                                   "tc_mine", None],
      "critic_tracking.final_reference": [0.9, 0.9, 0.5, None],
      "evaluation_results.pairwise_mi_sum": [1.0, None, 3.0, 1.5],
      "evaluation_results.total_correlation": [0.7, None, 0.4, 1.2],
  })
  accuracy = critic_evidence.reference_accuracy(frame).set_index("model")
  assert list(accuracy.index) == ["p", "t"]
  assert accuracy.loc["p", "ratio"] == pytest.approx(0.9)
  assert accuracy.loc["t", "exact"] == pytest.approx(0.4)
  assert accuracy.loc["t", "ratio"] == pytest.approx(1.25)
  table = critic_evidence.reference_markdown(accuracy.reset_index())
  assert "| t | 1 | tc_mine | 0.500 | 0.400 | 1.25 |" in table
  assert "Within 20 % of the exact value: 1 of 2 models." in table

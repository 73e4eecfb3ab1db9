"""mine_plugin/reports/precision_variants.py: the rule that a bf16 variant keeps
float32's scores, and the table of a study's results."""
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from mine_plugin.reports import precision_variants

ROOT = os.path.join(os.path.dirname(__file__), "..")
RESULTS = os.path.join(ROOT, "docs", "speed", "bf16_results.json")


def test_a_variant_keeps_a_metric_only_near_float32_and_inside_its_spread():
  baseline = np.array([0.25, 0.26, 0.27, 0.26, 0.25])
  kept, difference, _ = precision_variants.keeps_metric(baseline + 0.005, baseline)
  assert kept and abs(difference - 0.005) < 1e-12
  # Shifted by more than the seeds spread: the interval excludes 0.
  kept, difference, (low, high) = precision_variants.keeps_metric(
      baseline - 0.05, baseline)
  assert not kept and high < 0 and abs(difference + 0.05) < 1e-12
  # Inside a wide spread but 0.03 off on average: the tolerance refuses it.
  noisy = baseline + np.array([0.2, -0.2, 0.15, -0.1, 0.1])
  kept, difference, (low, high) = precision_variants.keeps_metric(noisy, baseline)
  assert low < 0 < high and abs(difference - 0.03) < 1e-12 and not kept


def test_the_table_of_the_study_puts_float32_first_and_judges_each_variant():
  completed = subprocess.run(
      [sys.executable, os.path.join(ROOT, "scripts", "make_precision_report.py"),
       "--results", RESULTS], capture_output=True, text=True, check=True, cwd=ROOT)
  lines = completed.stdout.splitlines()
  assert lines[0] == ("**synthetic_squares**, 2,000 steps, seeds 0, 1, 2, 3, 4 "
                      "(`{}`):".format(os.path.relpath(RESULTS, ROOT)))
  assert lines[4].startswith("| beta_tc_vae_fp32 |") and "(baseline)" in lines[4]
  variants = lines[5:]
  assert variants and all(line.rstrip(" |").endswith(("yes", "**no**"))
                          for line in variants)


def _runs(scores):
  """runs_with_scores-like rows: {model: [(seed, MIG, DCI, loss), ...]}."""
  return pd.DataFrame([
      {"model": model, "seed": seed, "MIG": mig, "DCI disentanglement": dci,
       "reconstruction loss": loss, "model_dir": "{}/{}".format(model, seed)}
      for model, rows in scores.items() for seed, mig, dci, loss in rows])


def test_each_variant_is_judged_against_float32_on_both_metrics():
  base = [(0, .20, .50, 470.), (1, .30, .60, 472.), (2, .25, .55, 474.)]
  rows = precision_variants.variant_rows(_runs({
      "beta_tc_vae_fp32": base,
      "same": [(s, m + .001, d - .001, l) for s, m, d, l in base],
      "lower_dci": [(s, m, d - .1, l) for s, m, d, l in base],
      "one_nan": [(0, np.nan, .5, 470.), (1, .3, .6, 470.), (2, np.nan, .5, 470.)],
  }))
  assert [r["model"] for r in rows][0] == "beta_tc_vae_fp32"
  verdicts = {r["model"]: r["keeps the metrics"] for r in rows}
  assert verdicts["same"] is True and verdicts["lower_dci"] is False
  assert verdicts["one_nan"].startswith("not judged")
  line = [l for l in precision_variants.to_markdown(rows).splitlines()
          if l.startswith("| one_nan |")][0]
  assert line.endswith("| — | -0.017 [-0.140, +0.107] | not judged (fewer than 2 "
                       "finite scores) |")
  table = precision_variants.to_markdown(rows)
  # DCI 0.1 lower on every seed: inside the seeds' spread (sd 0.05 on both sides,
  # 4 Welch degrees of freedom: half-width 2.776 * 0.05 * sqrt(2/3) = 0.113), but
  # 0.1 off on average.
  line = [l for l in table.splitlines() if l.startswith("| lower_dci |")][0]
  assert "| +0.000 [-0.113, +0.113] | -0.100 [-0.213, +0.013] | **no** |" in line


def test_runs_of_an_earlier_study_layout_are_refused():
  base = [(0, .2, .5, 470.), (1, .3, .6, 472.)]
  with pytest.raises(ValueError, match=r"variant has runs of seeds \[0, 0\] .* "
                     "each variant must run each seed once"):
    precision_variants.variant_rows(_runs({
        "beta_tc_vae_fp32": base, "variant": [(0, .2, .5, 1.), (0, .2, .5, 1.)]}))


def test_a_seed_not_every_variant_finished_waits():
  # A study still running: seed 2 finished for float32 and one variant only.
  base = [(0, .20, .50, 470.), (1, .30, .60, 472.), (2, .25, .55, 474.)]
  runs, left_out = precision_variants.common_seeds(_runs({
      "beta_tc_vae_fp32": base, "early": base, "late": base[:2]}))
  assert sorted(set(runs["seed"])) == [0, 1]
  assert left_out == ["beta_tc_vae_fp32 seed 2", "early seed 2"]
  with pytest.raises(ValueError, match=r"late has runs of seeds \[0, 1\], the "
                     r"baseline beta_tc_vae_fp32 of seeds \[0, 1, 2\]"):
    precision_variants.variant_rows(_runs({"beta_tc_vae_fp32": base,
                                           "late": base[:2]}))


def test_a_study_still_running_is_reported_on_the_seeds_every_variant_finished(
    tmp_path):
  # The squares study's results without the last seed's bf16 variants and without
  # any conv-only run: as a serial seed-major run would have them part-way.
  with open(RESULTS) as f:
    columns = json.load(f)
  names = columns["train_config.model.name"]
  seeds = columns["train_config.model.random_seed"]
  dropped = {i for i, name in names.items()
             if name == "'beta_tc_vae_bf16_conv_only'" or
             (int(seeds[i]) == 4 and name != "'beta_tc_vae_fp32'")}
  partial = {column: {i: v for i, v in values.items() if i not in dropped}
             for column, values in columns.items()}
  path = str(tmp_path / "partial.json")
  with open(path, "w") as f:
    json.dump(partial, f)
  table = precision_variants.make_table(path)
  assert table.startswith("**synthetic_squares**, 2,000 steps, seeds 0, 1, 2, 3 (`")
  assert ("Left out (not every variant has a finished run of these seeds): "
          "beta_tc_vae_fp32 seed 4.") in table
  assert "No finished run yet: beta_tc_vae_bf16_conv_only." in table
  assert "| beta_tc_vae_bf16 | 0,1,2,3 |" in table


def test_the_variant_names_are_the_studies():
  from mine_plugin.config import studies  # pylint: disable=g-import-not-at-top
  for name in ("mine_plugin_bf16", "mine_plugin_bf16_dsprites"):
    study = studies.STUDIES[name]
    assert sorted({config["model.name"] for config in study.config}) == sorted(
        precision_variants.VARIANTS)


def test_no_seed_in_common_is_explained():
  with pytest.raises(ValueError, match=r"No seed that every model ran "
                     r"\(beta_tc_vae_fp32 seeds \[0, 1\]; late seeds \[2\]\)"):
    precision_variants.common_seeds(_runs({
        "beta_tc_vae_fp32": [(0, .2, .5, 1.), (1, .3, .6, 1.)],
        "late": [(2, .2, .5, 1.)]}))

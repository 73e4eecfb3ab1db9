"""mine_plugin/reports/precision_variants.py: the rule that a bf16 variant keeps
float32's scores, and the table of a study's results."""
import os
import subprocess
import sys

import numpy as np

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
       "--results", RESULTS], capture_output=True, text=True, check=True)
  lines = completed.stdout.splitlines()
  assert lines[2].startswith("| beta_tc_vae_fp32 |") and "(baseline)" in lines[2]
  variants = lines[3:]
  assert variants and all(line.rstrip(" |").endswith(("yes", "**no**"))
                          for line in variants)

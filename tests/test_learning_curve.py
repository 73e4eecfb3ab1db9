"""mine_plugin.runner.learning_curve: one training continued stage by stage."""
import json
import os

import pytest

from disentanglement_lib.utils import resources
from mine_plugin.runner import learning_curve
from mine_plugin.training import resume

TRAIN_TEST_GIN = resources.get_file(
    "config/tests/methods/unsupervised/train_test.gin")


def test_each_stage_continues_the_training_and_is_scored_as_a_dlib_model(tmp_path):
  curve = str(tmp_path / "curve")
  rows = learning_curve.run_curve(curve, [TRAIN_TEST_GIN], [], stages=(3, 7),
                                  metrics=("mig",))
  assert [row["steps"] for row in rows] == [3, 7]
  assert [row["resumed_from_step"] for row in rows] == [0, 3]
  for row in rows:
    assert 0. <= row["mig.discrete_mig"] <= 1.
  # One training, started once and resumed once; each stage a finished dlib model.
  training = os.path.join(curve, learning_curve.TRAINING)
  assert [s["from_step"] for s in resume.read_record(training)["starts"]] == [0, 3]
  for steps in (3, 7):
    model = os.path.join(learning_curve.stage_dir(curve, steps), "model")
    with open(os.path.join(model, "results", "json", "train_results.json")) as f:
      assert json.load(f)["global_step"] == steps
  # A rerun reads the finished stages and trains nothing.
  mtime = os.path.getmtime(os.path.join(training, "tf_checkpoint", "checkpoint"))
  assert learning_curve.run_curve(curve, [TRAIN_TEST_GIN], [], stages=(3, 7),
                                  metrics=("mig",)) == rows
  assert os.path.getmtime(os.path.join(training, "tf_checkpoint",
                                       "checkpoint")) == mtime
  assert all(row["seeded_initial_weights"] for row in rows)
  # A stage that continues a training begun before the seed fixed the initial
  # weights (its record lacks the key) says so.
  record_path = os.path.join(training, "tf_checkpoint", resume.RECORD)
  with open(record_path) as f:
    record = json.load(f)
  del record["seeded_initial_weights"]
  with open(record_path, "w") as f:
    json.dump(record, f)
  rows = learning_curve.run_curve(curve, [TRAIN_TEST_GIN], [], stages=(3, 7, 9),
                                  metrics=("mig",))
  assert [row["seeded_initial_weights"] for row in rows] == [True, True, False]


def test_the_script_trains_the_named_models_and_keeps_the_others_curves(
    tmp_path, monkeypatch):
  import importlib.util  # pylint: disable=g-import-not-at-top
  spec = importlib.util.spec_from_file_location("learning_curve_script", os.path.join(
      os.path.dirname(__file__), os.pardir, "scripts", "learning_curve.py"))
  script = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(script)
  trained = []

  def fake_run_curve(curve_dir, train_configs, bindings, stages):
    trained.append((os.path.relpath(curve_dir, str(tmp_path)), tuple(stages)))
    return [{"steps": s} for s in stages]

  monkeypatch.setattr(script.learning_curve, "run_curve", fake_run_curve)
  output = str(tmp_path / "results.json")
  earlier = [{"steps": 3000}, {"steps": 20000}]
  with open(output, "w") as f:
    json.dump({"dataset": "dsprites_full", "stages": [3000, 20000],
               "curves": {"beta_tc_vae_6/seed_0": earlier,
                          "beta_vae_16/seed_0": [{"steps": 3000}]}}, f)
  assert script.main(["--runs_dir", str(tmp_path / "runs"), "--output", output,
                      "--num_seeds", "1", "--models", "beta_vae_16",
                      "--stages", "3000", "40000"]) == 0
  assert trained == [
      (os.path.join("runs", "dsprites_full", "beta_vae_16", "seed_0"), (3000,)),
      (os.path.join("runs", "dsprites_full", "beta_vae_16", "seed_0"), (3000, 40000))]
  with open(output) as f:
    results = json.load(f)
  assert results["curves"]["beta_tc_vae_6/seed_0"] == earlier
  assert results["curves"]["beta_vae_16/seed_0"] == [{"steps": 3000},
                                                     {"steps": 40000}]
  assert results["stages"] == [3000, 20000, 40000]
  # Curves of another data set are not mixed in.
  with pytest.raises(ValueError, match="holds curves on 'dsprites_full', not "
                     "--dataset='shapes3d'"):
    script.main(["--runs_dir", str(tmp_path / "runs"), "--output", output,
                 "--dataset", "shapes3d", "--models", "beta_vae_16"])

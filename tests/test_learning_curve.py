"""mine_plugin.runner.learning_curve: one training continued stage by stage."""
import json
import os

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

"""mine_plugin.training.resume: a killed dlib_train run continues from its checkpoint."""
import json
import os
import shutil
import signal
import subprocess
import time

from disentanglement_lib.utils import resources
import gin
from mine_plugin import pipeline
from mine_plugin.training import resume
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

TRAIN_TEST_GIN = resources.get_file(
    "config/tests/methods/unsupervised/train_test.gin")
# Adam's beta1 near 1, so that its power (beta1^(steps + 1)) does not underflow:
# it shows whether the optimizer's state continued or started again.
BETA1 = 0.999


def _command(model_dir, *bindings):
  command = [pipeline.console_script("dlib_train"), "--model_dir", str(model_dir),
             "--gin_config", TRAIN_TEST_GIN]
  for binding in ("AdamOptimizer.beta1 = {}".format(BETA1),) + bindings:
    command += ["--gin_bindings", binding]
  return command


def _dlib_train(model_dir, *bindings):
  return subprocess.run(_command(model_dir, *bindings), capture_output=True,
                        text=True)


def _snapshot(directory):
  """Every file under `directory` with its size and modification time."""
  found = {}
  for root, _, names in os.walk(directory):
    for name in names:
      path = os.path.join(root, name)
      found[os.path.relpath(path, directory)] = (os.path.getsize(path),
                                                 os.path.getmtime(path))
  return found


@pytest.fixture(scope="module")
def killed(tmp_path_factory):
  """A training for 10^6 steps, SIGKILLed once a checkpoint past step 40 exists."""
  model_dir = tmp_path_factory.mktemp("resume") / "killed"
  process = subprocess.Popen(
      _command(model_dir, "resume.enabled = True",
               "resume.checkpoint_every_steps = 20",
               "model.training_steps = 1000000"),
      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
  deadline = time.time() + 240
  try:
    while time.time() < deadline:
      step = (resume.checkpoint_step(str(model_dir))
              if os.path.isdir(model_dir / "tf_checkpoint") else None)
      if step is not None and step >= 40:
        break
      assert process.poll() is None, "the training ended before it was killed"
      time.sleep(0.05)
  finally:
    process.send_signal(signal.SIGKILL)
    process.wait()
  step = resume.checkpoint_step(str(model_dir))
  assert step is not None and step >= 40
  return model_dir, step


def test_a_killed_training_continues_to_the_requested_step(killed, tmp_path):
  source, killed_step = killed
  model_dir = tmp_path / "m"
  shutil.copytree(source, model_dir)
  total = killed_step + 30
  completed = _dlib_train(model_dir, "resume.enabled = True",
                          "resume.checkpoint_every_steps = 20",
                          "model.training_steps = {}".format(total))
  assert completed.returncode == 0, completed.stderr[-3000:]
  assert "resume: continuing" in completed.stderr
  checkpoint = tf.train.latest_checkpoint(str(model_dir / "tf_checkpoint"))
  assert tf.train.load_variable(checkpoint, "global_step") == total
  # Adam continued: beta1^(total + 1); started again it would be
  # beta1^(total - killed_step + 1).
  np.testing.assert_allclose(tf.train.load_variable(checkpoint, "beta1_power"),
                             BETA1 ** (total + 1), rtol=1e-4)
  record = resume.read_record(str(model_dir))
  assert [start["from_step"] for start in record["starts"]] == [0, killed_step]
  with open(model_dir / "results" / "json" / "train_results.json") as f:
    results = json.load(f)
  assert results["resumed_from_step"] == killed_step
  assert results["global_step"] == total
  with open(model_dir / "results" / "gin" / "train.gin") as f:
    assert "resume.resumed_from_step = {}".format(killed_step) in f.read()
  # Finished: a further resume leaves it as it is.
  before = _snapshot(model_dir)
  again = _dlib_train(model_dir, "resume.enabled = True",
                      "resume.checkpoint_every_steps = 20",
                      "model.training_steps = {}".format(total + 10))
  assert again.returncode != 0
  assert "holds a finished model" in again.stderr
  assert _snapshot(model_dir) == before


def test_changed_settings_are_not_resumed_and_say_which(killed, tmp_path):
  model_dir = tmp_path / "m"
  shutil.copytree(killed[0], model_dir)
  before = _snapshot(model_dir)
  completed = _dlib_train(model_dir, "resume.enabled = True",
                          "resume.checkpoint_every_steps = 20", "vae.beta = 4.",
                          "model.training_steps = 1000000")
  assert completed.returncode != 0
  assert "was started with other settings (vae.beta: 1.0 -> 4.0)" in completed.stderr
  assert _snapshot(model_dir) == before


def test_a_directory_the_plugin_did_not_start_is_not_touched(tmp_path):
  model_dir = tmp_path / "theirs"
  model_dir.mkdir()
  (model_dir / "notes.txt").write_text("a user's file")
  completed = _dlib_train(model_dir, "resume.enabled = True")
  assert completed.returncode != 0
  assert "was not started by a dlib_train run under mine_plugin" in completed.stderr
  assert sorted(os.listdir(model_dir)) == ["notes.txt"]


def test_resume_and_overwrite_together_are_refused(killed, tmp_path):
  model_dir = tmp_path / "m"
  shutil.copytree(killed[0], model_dir)
  before = _snapshot(model_dir)
  completed = subprocess.run(
      _command(model_dir, "resume.enabled = True",
               "resume.checkpoint_every_steps = 20",
               "model.training_steps = 1000000") + ["--overwrite"],
      capture_output=True, text=True)
  assert completed.returncode != 0
  assert "give one of the two" in completed.stderr
  assert _snapshot(model_dir) == before


def test_resume_into_a_new_directory_trains_from_step_0(tmp_path):
  completed = _dlib_train(tmp_path / "new", "resume.enabled = True",
                          "model.training_steps = 3")
  assert completed.returncode == 0, completed.stderr[-3000:]
  checkpoint = tf.train.latest_checkpoint(str(tmp_path / "new" / "tf_checkpoint"))
  assert tf.train.load_variable(checkpoint, "global_step") == 3
  assert [s["from_step"] for s in resume.read_record(
      str(tmp_path / "new"))["starts"]] == [0]
  with open(tmp_path / "new" / "results" / "json" / "train_results.json") as f:
    assert json.load(f)["resumed_from_step"] == 0


@pytest.mark.parametrize("binding, message", [
    ("resume.checkpoint_every_steps = 0", "whole number >= 1"),
    ("resume.enabled = 'yes'", "must be True or False, got 'yes'"),
])
def test_bad_settings_are_named(tmp_path, binding, message):
  completed = _dlib_train(tmp_path / "m", "resume.enabled = True", binding)
  assert completed.returncode != 0
  assert message in completed.stderr


def test_a_training_left_aside_by_a_killed_resume_is_named(killed, tmp_path):
  # SIGKILL in the moment between dlib's directory check and the estimator leaves
  # the training under a hidden name: a new resume says where, and starts nothing.
  aside = tmp_path / ".m{}1234".format(resume.RESUMING)
  shutil.copytree(killed[0], aside)
  completed = _dlib_train(tmp_path / "m", "resume.enabled = True")
  assert completed.returncode != 0
  assert "put it back with: mv {} {}".format(aside, tmp_path / "m") in completed.stderr
  assert not (tmp_path / "m").exists()


def test_steps_below_the_checkpoint_are_refused(killed, tmp_path):
  model_dir = tmp_path / "m"
  shutil.copytree(killed[0], model_dir)
  before = _snapshot(model_dir)
  completed = _dlib_train(model_dir, "resume.enabled = True",
                          "resume.checkpoint_every_steps = 20",
                          "model.training_steps = 10")
  assert completed.returncode != 0
  assert ("holds a checkpoint at step {}, past model.training_steps = 10".format(
      killed[1]) in completed.stderr)
  assert _snapshot(model_dir) == before


@gin.configurable("resume_test_values", allowlist=["values"])
def _values(values=None):
  return values


def _config_text(values):
  gin.clear_config()
  try:
    gin.parse_config("resume_test_values.values = {!r}".format(values))
    return gin.config_str()
  finally:
    gin.clear_config()


def test_a_change_in_a_value_gin_writes_on_several_lines_is_seen():
  long_list = [1.2345678] * 20
  started = _config_text(long_list + [1])
  assert started.count("\n") > 5  # gin wrote the value on several lines
  record = {"config": started}
  assert resume.changed_settings(record, _config_text(long_list + [1])) == []
  changes = resume.changed_settings(record, _config_text(long_list + [2]))
  assert len(changes) == 1 and changes[0].startswith("resume_test_values.values: ")
  assert changes[0].endswith("1] -> [" + ", ".join(["1.2345678"] * 20) + ", 2]")


def test_a_training_killed_after_its_export_is_finished_by_a_resume(tmp_path):
  # Killed while dlib evaluated the trained model: the checkpoint is at the last
  # step, the module exported, the results not written.
  model_dir = tmp_path / "m"
  completed = _dlib_train(model_dir, "resume.enabled = True",
                          "model.training_steps = 5")
  assert completed.returncode == 0, completed.stderr[-3000:]
  shutil.rmtree(model_dir / "results")
  completed = _dlib_train(model_dir, "resume.enabled = True",
                          "model.training_steps = 5")
  assert completed.returncode == 0, completed.stderr[-3000:]
  with open(model_dir / "results" / "json" / "train_results.json") as f:
    results = json.load(f)
  assert results["global_step"] == 5 and results["resumed_from_step"] == 5

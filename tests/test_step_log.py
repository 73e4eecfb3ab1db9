"""mine_plugin.training.step_log: dlib_train logs its speed every 100 steps."""
import re
import subprocess

from disentanglement_lib.utils import resources
from mine_plugin import pipeline
from mine_plugin.training import step_log
import pytest

TRAIN_TEST_GIN = resources.get_file(
    "config/tests/methods/unsupervised/train_test.gin")


def speed_readings(tmp_path, *bindings):
  """The global_step/sec readings of a 250-step dlib_train on dlib's test config."""
  completed = subprocess.run(
      [pipeline.console_script("dlib_train"), "--model_dir",
       str(tmp_path / "model"), "--gin_config", TRAIN_TEST_GIN,
       "--gin_bindings", "model.training_steps = 250"] +
      [arg for binding in bindings for arg in ("--gin_bindings", binding)],
      capture_output=True, text=True)
  assert completed.returncode == 0, completed.stderr[-3000:]
  # Each reading is printed twice, by TensorFlow's and by absl's log handler.
  return re.findall(r"^INFO:tensorflow:global_step/sec: [0-9.e+]+$",
                    completed.stderr, flags=re.M)


def test_dlib_train_logs_its_speed_every_100_steps_not_every_step(tmp_path):
  # Without the plugin's RunConfig, TPUEstimator logs at every step on the CPU
  # (249 readings here: the first step has no rate).
  # The first step starts the clock; readings 100 and 200 steps later.
  assert len(speed_readings(tmp_path)) == 2


def test_every_n_steps_is_a_gin_option_and_zero_turns_it_off(tmp_path):
  assert len(speed_readings(tmp_path / "every_50",
                            "step_log.every_n_steps = 50")) == 4
  assert speed_readings(tmp_path / "off", "step_log.every_n_steps = 0") == []
  # 1 is dlib's own behaviour, which scripts/benchmark_training.py compares with.
  assert len(speed_readings(tmp_path / "every_step",
                            "step_log.every_n_steps = 1")) == 249


def test_a_passed_interval_or_a_duration_loop_is_left_alone():
  from tensorflow_estimator.python.estimator.tpu import tpu_config  # pylint: disable=g-import-not-at-top
  loop = tpu_config.TPUConfig(iterations_per_loop=500)
  assert step_log.run_config_kwargs({"tpu_config": loop}) == {
      "tpu_config": loop, "log_step_count_steps": 100 * 500}
  as_text = tpu_config.TPUConfig(iterations_per_loop="500")
  assert step_log.run_config_kwargs({"tpu_config": as_text})[
      "log_step_count_steps"] == 100 * 500
  # TPUConfig's own default loop is 2 steps.
  assert step_log.run_config_kwargs({})["log_step_count_steps"] == 100 * 2
  assert step_log.run_config_kwargs(
      {"tpu_config": loop, "log_step_count_steps": 7})["log_step_count_steps"] == 7
  timed = tpu_config.TPUConfig(iterations_per_loop="30s")
  assert step_log.run_config_kwargs({"tpu_config": timed}) == {"tpu_config": timed}


def test_dlibs_run_config_gets_the_interval_positional_or_not():
  from disentanglement_lib.methods.unsupervised import train  # pylint: disable=g-import-not-at-top
  loop = train.contrib_tpu.TPUConfig(iterations_per_loop=500)
  for config in (train.contrib_tpu.RunConfig(tpu_config=loop),
                 train.contrib_tpu.RunConfig(loop)):
    assert config.log_step_count_steps == 100 * 500
    assert config.tpu_config is loop


@pytest.mark.parametrize("bad", [-1, 2.5, True, "100"])
def test_bad_interval_is_named(bad):
  with pytest.raises(ValueError, match=r"step_log.every_n_steps must be an "
                     r"integer >= 0 .*got {}".format(re.escape(repr(bad)))):
    step_log.every_n_steps(bad)

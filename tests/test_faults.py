"""Nothing a user has is lost: dlib's `overwrite` under the plugin, killed and
concurrent sweeps, model numbers outside a study.

dlib's train/postprocess/evaluate delete an existing output directory before they
read their config; under the plugin (mine_plugin.training.overwrite_guard) the old directory is moved
aside and put back when the run fails.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

from disentanglement_lib.utils import resources
from mine_plugin.training import overwrite_guard
from mine_plugin import pipeline
from mine_plugin import runner
from mine_plugin.runner import ownership
import pytest

TRAIN_TEST_GIN = resources.get_file(
    "config/tests/methods/unsupervised/train_test.gin")


def existing_model(tmp_path):
  """A directory standing for a trained model the user already has."""
  model_dir = tmp_path / "model"
  model_dir.mkdir()
  (model_dir / "checkpoint-of-a-week").write_text("precious")
  return model_dir


def siblings(model_dir):
  """Names next to model_dir that the guard made (.<name>.previous-/.failed-...)."""
  parent, name = os.path.split(str(model_dir))
  return sorted(n for n in os.listdir(parent) if n.startswith("." + name + "."))


@pytest.mark.parametrize("bad_binding,message", [
    ("vae.beta = 'x'", "beta"),
    ("dataset.name = 'no_such_dataset'", "no_such_dataset"),
])
def test_dlib_train_overwrite_with_a_bad_run_keeps_the_old_model(
    tmp_path, bad_binding, message):
  model_dir = existing_model(tmp_path)
  completed = subprocess.run(
      [pipeline.console_script("dlib_train"), "--model_dir", str(model_dir),
       "--overwrite", "--gin_config", TRAIN_TEST_GIN,
       "--gin_bindings", bad_binding],
      capture_output=True, text=True)
  output = completed.stdout + completed.stderr
  assert completed.returncode != 0
  assert message in output
  assert "is back in place" in output
  assert (model_dir / "checkpoint-of-a-week").read_text() == "precious"
  # The failed run's partial output is kept beside it, not mixed into it.
  assert [s.split(overwrite_guard.FAILED)[0] for s in siblings(model_dir)] in (
      [], [".model"])
  assert not any(overwrite_guard.BACKUP in s for s in siblings(model_dir))


def test_overwrite_by_keyword_and_repeated_failures_keep_the_old_model(tmp_path):
  from disentanglement_lib.methods.unsupervised import train  # pylint: disable=g-import-not-at-top
  import gin  # pylint: disable=g-import-not-at-top
  model_dir = existing_model(tmp_path)
  for _ in range(3):  # within one second: the names must not collide
    gin.clear_config()
    gin.parse_config_files_and_bindings(
        [TRAIN_TEST_GIN], ["dataset.name = 'no_such_dataset'"])
    try:
      with pytest.raises(Exception, match="no_such_dataset"):
        train.train(model_dir=str(model_dir), overwrite=True)
    finally:
      gin.clear_config()
    assert (model_dir / "checkpoint-of-a-week").read_text() == "precious"
  assert not any(overwrite_guard.BACKUP in s for s in siblings(model_dir))


def test_overwrite_that_succeeds_replaces_the_model_and_leaves_no_backup(tmp_path):
  model_dir = existing_model(tmp_path)
  pipeline.run_dlib("dlib_train", ["--model_dir", str(model_dir), "--overwrite",
                                   "--gin_config", TRAIN_TEST_GIN])
  assert not (model_dir / "checkpoint-of-a-week").exists()
  assert (model_dir / "tfhub" / "saved_model.pb").is_file()
  assert siblings(model_dir) == []


POSTPROCESS_TEST_GIN = resources.get_file(
    "config/tests/postprocessing/postprocess_test_configs/mean.gin")


def dlib_train_until_killed(model_dir, log_path, *flags):
  """dlib_train for a million steps (it is killed long before), SIGHUP's action the
  default one, as in a terminal (a test run under nohup would ignore it)."""
  command = [pipeline.console_script("dlib_train"), "--model_dir", str(model_dir),
             "--gin_config", TRAIN_TEST_GIN,
             "--gin_bindings", "model.training_steps = 1000000"] + list(flags)
  with open(log_path, "w") as log:
    return subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT,
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL))


def signal_after_first_checkpoint(process, model_dir, signum):
  """Sends `signum` once the run has written its step-0 checkpoint; its exit status."""
  first_checkpoint = model_dir / "tf_checkpoint" / "model.ckpt-0.index"
  try:
    wait_for(lambda: first_checkpoint.exists() or process.poll() is not None, 300,
             "the step-0 checkpoint")
    assert process.poll() is None, "dlib_train ended before it was signalled"
    process.send_signal(signum)
    return process.wait(timeout=300)
  finally:
    if process.poll() is None:
      process.kill()
      process.wait()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP],
                         ids=lambda signum: signal.Signals(signum).name)
def test_overwrite_stopped_by_a_scheduler_signal_puts_the_old_model_back(
    tmp_path, signum):
  model_dir = tmp_path / "model"
  pipeline.run_dlib("dlib_train", ["--model_dir", str(model_dir),
                                   "--gin_config", TRAIN_TEST_GIN])
  old_files = snapshot(str(model_dir))
  log_path = tmp_path / "overwrite.log"
  process = dlib_train_until_killed(model_dir, log_path, "--overwrite")
  returncode = signal_after_first_checkpoint(process, model_dir, signum)
  log = log_path.read_text()
  # Ended by the signal itself: a shell reports 128 + signum (143, 129).
  assert returncode == -signum, log[-3000:]
  name = signal.Signals(signum).name
  assert re.search(r"overwrite: the run was stopped by {}; the previous {} is back "
                   r"in place \(this run's partial output: ".format(
                       name, re.escape(str(model_dir))), log), log[-3000:]
  assert snapshot(str(model_dir)) == old_files
  assert not any(overwrite_guard.BACKUP in s for s in siblings(model_dir))
  [failed] = siblings(model_dir)
  assert (tmp_path / failed / "tf_checkpoint" / "model.ckpt-0.index").exists()
  # The model is dlib's again: dlib_postprocess reads its results/gin/train.gin.
  pipeline.run_dlib("dlib_postprocess", [
      "--model_dir", str(model_dir), "--output_dir", str(tmp_path / "mean"),
      "--gin_config", POSTPROCESS_TEST_GIN])
  assert (tmp_path / "mean" / "tfhub" / "saved_model.pb").is_file()


def test_a_first_run_stopped_by_sigterm_removes_what_it_wrote(tmp_path):
  model_dir = tmp_path / "model"
  log_path = tmp_path / "first.log"
  process = dlib_train_until_killed(model_dir, log_path)
  returncode = signal_after_first_checkpoint(process, model_dir, signal.SIGTERM)
  log = log_path.read_text()
  assert returncode == -signal.SIGTERM, log[-3000:]
  assert ("the run was stopped by SIGTERM; {} did not exist before it and is "
          "removed".format(model_dir)) in log, log[-3000:]
  assert not model_dir.exists()
  assert siblings(model_dir) == []


def test_a_first_run_that_fails_in_training_does_not_block_the_corrected_rerun(
    tmp_path):
  model_dir = tmp_path / "model"
  # A learning rate of 1e30 stops the run with a NaN at its first step, after
  # dlib has created the model directory and written the step-0 checkpoint.
  last_line_of_failed_training(
      tmp_path, ["pairwise_mi_vae.lam = 1.", "AdamOptimizer.learning_rate = 1e30"])
  assert not model_dir.exists()
  assert siblings(model_dir) == []
  pipeline.run_dlib("dlib_train", [
      "--model_dir", str(model_dir), "--gin_config", TRAIN_TEST_GIN,
      "--gin_bindings", "model.model = @pairwise_mi_vae()",
      "--gin_bindings", "pairwise_mi_vae.lam = 1."])
  assert (model_dir / "tfhub" / "saved_model.pb").is_file()
  assert (model_dir / "results" / "gin" / "train.gin").is_file()


@pytest.mark.parametrize("binding,meaning", [
    # TensorFlow: "input depth must be evenly divisible by filter depth".
    ("model.batch_size = 0", "the number of observations per training step"),
    # oneDNN aborts the process (exit 134): no Python error could clean up.
    ("encoder.num_latent = 0", "the size of the latent code"),
])
def test_settings_that_cannot_train_are_refused_before_the_model_dir_exists(
    tmp_path, binding, meaning):
  completed = subprocess.run(
      [pipeline.console_script("dlib_train"), "--model_dir",
       str(tmp_path / "model"), "--gin_config", TRAIN_TEST_GIN,
       "--gin_bindings", binding], capture_output=True, text=True)
  assert completed.returncode == 1, completed.stderr[-3000:]
  name = binding.split(" = ")[0]
  last = completed.stderr.strip().splitlines()[-1]
  assert last.startswith("ValueError: {} cannot train: {} is {} and must be a "
                         "whole number >= 1. Set it in the gin config or with "
                         "--gin_bindings='{} = ".format(binding, name, meaning,
                                                        name)), last
  assert not (tmp_path / "model").exists()


# ---------------------------------------------------------------------------
# Killed and concurrent sweeps (scripts/run_study.py on the smoke study: two
# models that train for two steps on dlib's dummy data).

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN_STUDY = [sys.executable, os.path.join(REPO, "scripts", "run_study.py"),
             "--study=mine_plugin_smoke", "--backend=serial", "--no_visualize"]


def start_runner(output, log_path):
  log = open(log_path, "w")
  return subprocess.Popen(RUN_STUDY + ["--output_directory=" + output],
                          stdout=log, stderr=subprocess.STDOUT,
                          start_new_session=True)


def children(pid):
  try:
    with open("/proc/{0}/task/{0}/children".format(pid)) as f:
      return [int(p) for p in f.read().split()]
  except OSError:
    return []


def wait_for(condition, timeout, what):
  deadline = time.time() + timeout
  while time.time() < deadline:
    value = condition()
    if value:
      return value
    time.sleep(0.2)
  raise AssertionError("timed out after {} s waiting for {}".format(timeout, what))


def kill_group(process):
  try:
    os.killpg(process.pid, signal.SIGKILL)
  except ProcessLookupError:
    pass
  process.wait()


def snapshot(directory):
  """{relative path: bytes} of every file under directory."""
  files = {}
  for root, _, names in os.walk(directory):
    for name in names:
      path = os.path.join(root, name)
      with open(path, "rb") as f:
        files[os.path.relpath(path, directory)] = f.read()
  return files


def model_in_training(output, model_num):
  """True once model `model_num`'s process has written its first training lines."""
  try:
    with open(os.path.join(output, str(model_num), runner.LOG)) as f:
      return "Training with" in f.read()
  except OSError:
    return False


@pytest.mark.parametrize("kill_point", ["before_training", "mid_training",
                                        "mid_evaluation"])
def test_killed_runner_takes_its_model_process_along_and_a_rerun_completes(
    tmp_path, kill_point):
  output = str(tmp_path / "study")
  runner_process = start_runner(output, str(tmp_path / "first.log"))
  try:
    if kill_point == "before_training":
      # Model 0's process exists, before its training started.
      wait_for(lambda: children(runner_process.pid), 120, "a model process")
      finished_before = []
    elif kill_point == "mid_training":
      wait_for(lambda: model_in_training(output, 1), 300, "model 1 training")
      finished_before = [0]
    else:
      wait_for(lambda: "Computing metric" in open(
          os.path.join(output, "1", runner.LOG)).read()
               if model_in_training(output, 1) else False, 300,
               "model 1 evaluating")
      finished_before = [0]
    model_processes = children(runner_process.pid)
    assert model_processes
    before = {n: snapshot(os.path.join(output, str(n))) for n in finished_before}
    runner_process.send_signal(signal.SIGKILL)
    runner_process.wait()
    # The model's process dies with its runner (parent-death signal).
    wait_for(lambda: not any(ownership.process_alive(p) and not is_zombie(p)
                             for p in model_processes), 30,
             "the model process to end")
  finally:
    kill_group(runner_process)
  rerun = subprocess.run(RUN_STUDY + ["--output_directory=" + output],
                         capture_output=True, text=True, timeout=900)
  assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
  assert "Took over the lock" in rerun.stdout
  assert "0 failed" in rerun.stdout
  expected = runner.result_files(runner.load_study("mine_plugin_smoke"))
  for model_num in (0, 1):
    assert runner.is_finished(os.path.join(output, str(model_num)), expected)
    # The owner marker goes when the model's process has ended.
    assert not os.path.exists(os.path.join(output, str(model_num),
                                           ownership.OWNER_FILE))
  for model_num, files in before.items():
    # A model finished before the kill is skipped, byte for byte.
    assert snapshot(os.path.join(output, str(model_num))) == files
  with open(os.path.join(output, runner.AGGREGATE)) as f:
    assert len(json.load(f)["path"]) == 8


def test_a_training_left_by_a_killed_runner_is_resumed_by_the_rerun(tmp_path):
  output = str(tmp_path / "study")
  model_dir = os.path.join(output, "0")
  checkpoints = os.path.join(model_dir, "model", "tf_checkpoint")
  long_run = ["--model_nums=0", "--gin_bindings=model.training_steps = 5000",
              "--gin_bindings=resume.checkpoint_every_steps = 100"]
  log = open(str(tmp_path / "first.log"), "w")
  runner_process = subprocess.Popen(
      RUN_STUDY + ["--output_directory=" + output] + long_run, stdout=log,
      stderr=subprocess.STDOUT, start_new_session=True)
  try:
    wait_for(lambda: os.path.exists(os.path.join(checkpoints, "checkpoint")) and
             "model.ckpt-" in open(os.path.join(checkpoints, "checkpoint")).read()
             and "model.ckpt-0\"" not in open(os.path.join(checkpoints,
                                                           "checkpoint")).read(),
             300, "a checkpoint past step 0")
    runner_process.send_signal(signal.SIGKILL)
    runner_process.wait()
  finally:
    kill_group(runner_process)
  with open(os.path.join(checkpoints, "checkpoint")) as f:
    killed_at = int(re.search(r'model_checkpoint_path: ".*-(\d+)"', f.read()).group(1))
  assert 0 < killed_at < 5000
  rerun = subprocess.run(RUN_STUDY + ["--output_directory=" + output] + long_run,
                         capture_output=True, text=True, timeout=900)
  assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
  assert not os.path.exists(os.path.join(output, runner.INCOMPLETE))
  with open(os.path.join(model_dir, runner.LOG)) as f:
    assert "its training is resumed from step {}".format(killed_at) in f.read()
  with open(os.path.join(model_dir, "model", "results", "json",
                         "train_results.json")) as f:
    results = json.load(f)
  assert results["global_step"] == 5000
  assert results["resumed_from_step"] == killed_at

  # The same model started with other settings is not resumed: moved aside, redone.
  with open(os.path.join(checkpoints, "checkpoint")) as f:
    assert "model.ckpt-5000" in f.read()
  os.remove(os.path.join(model_dir, runner.MARKER))
  for name in ("results", "tfhub"):  # a training stopped part-way again
    subprocess.run(["rm", "-r", os.path.join(model_dir, "model", name)], check=True)
  other = subprocess.run(
      RUN_STUDY + ["--output_directory=" + output, "--model_nums=0",
                   "--gin_bindings=model.training_steps = 30"],
      capture_output=True, text=True, timeout=900)
  assert other.returncode == 0, other.stdout[-3000:] + other.stderr[-3000:]
  assert len(os.listdir(os.path.join(output, runner.INCOMPLETE))) == 1
  with open(os.path.join(model_dir, runner.LOG)) as f:
    assert "it was not continued: it started with other settings" in f.read()
  with open(os.path.join(model_dir, "model", "results", "json",
                         "train_results.json")) as f:
    results = json.load(f)
  assert results["global_step"] == 30 and results["resumed_from_step"] == 0


def is_zombie(pid):
  try:
    with open("/proc/{}/stat".format(pid)) as f:
      return f.read().rsplit(")", 1)[1].split()[0] == "Z"
  except OSError:
    return True


def test_second_runner_on_the_same_directory_is_refused_and_names_the_first(
    tmp_path):
  output = str(tmp_path / "study")
  first = start_runner(output, str(tmp_path / "first.log"))
  try:
    wait_for(lambda: children(first.pid), 120, "the first runner's model")
    # The first runner and its model are paused while the second one starts, so the
    # first cannot finish (and release its lock) first, however slow the machine.
    os.killpg(first.pid, signal.SIGSTOP)
    try:
      second = subprocess.run(RUN_STUDY + ["--output_directory=" + output],
                              capture_output=True, text=True, timeout=120)
    finally:
      os.killpg(first.pid, signal.SIGCONT)
    assert second.returncode != 0
    message = second.stdout + second.stderr
    assert "Another study runner is using " + output in message
    assert "PID {}".format(first.pid) in message
    assert first.wait(timeout=900) == 0
  finally:
    kill_group(first)
  with open(str(tmp_path / "first.log")) as f:
    assert "0 failed" in f.read()
  assert not os.path.exists(os.path.join(output, runner.INCOMPLETE))


def test_rerun_leaves_alone_a_model_directory_whose_process_lives(tmp_path):
  output = str(tmp_path / "study")
  model_dir = os.path.join(output, "0")
  os.makedirs(model_dir)
  with open(os.path.join(model_dir, runner.LOG), "w") as f:
    f.write("written by a process that still runs\n")
  sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
  try:
    ownership.write_owner(model_dir, sleeper.pid)
    outcomes = runner.run_study("mine_plugin_smoke", output, model_nums=[0],
                                backend="serial", visualize=False,
                                stream=open(os.devnull, "w"))
  finally:
    sleeper.kill()
    sleeper.wait()
  assert outcomes[0].status == "failed"
  assert "still being written by the model process PID {}".format(
      sleeper.pid) in outcomes[0].message
  with open(os.path.join(model_dir, runner.LOG)) as f:
    assert f.read() == "written by a process that still runs\n"
  assert not os.path.exists(os.path.join(output, runner.INCOMPLETE))


@pytest.mark.parametrize("model_nums,message", [
    ("1-0", "the range '1-0' is empty"),
    ("5", r"Model numbers \[5\] are not in study 'mine_plugin_smoke', which has "
          "models 0-1"),
])
def test_model_numbers_outside_the_study_are_an_error(tmp_path, model_nums,
                                                      message):
  output = str(tmp_path / "study")
  completed = subprocess.run(
      RUN_STUDY + ["--output_directory=" + output, "--model_nums=" + model_nums],
      capture_output=True, text=True, timeout=300)
  assert completed.returncode != 0
  assert re.search(message, completed.stdout + completed.stderr)
  assert not os.path.exists(os.path.join(output, runner.INCOMPLETE))
  assert not os.path.exists(os.path.join(output, "5"))


def last_line_of_failed_training(tmp_path, bindings):
  """The last line dlib_train printed, training pairwise_mi_vae with `bindings`."""
  command = [pipeline.console_script("dlib_train"), "--model_dir",
             str(tmp_path / "model"), "--gin_config", TRAIN_TEST_GIN,
             "--gin_bindings", "model.model = @pairwise_mi_vae()"]
  for binding in bindings:
    command += ["--gin_bindings", binding]
  completed = subprocess.run(command, capture_output=True, text=True)
  assert completed.returncode != 0
  return completed.stderr.strip().splitlines()[-1]


def test_a_nan_stop_ends_the_output_with_one_short_line_naming_the_term(tmp_path):
  # lam = 1e30: the penalty is finite (~1e26) at step 0 but the gradients are
  # not; the error shows the terms' values, the penalty's among them.
  last = last_line_of_failed_training(tmp_path, ["pairwise_mi_vae.lam = 1e30"])
  assert last.startswith("RuntimeError: mine_plugin: the gradients of the loss "
                         "of PairwiseMIVAE are NaN or inf"), last
  assert len(last) < 600, last
  # (The batch's MWS estimate can be negative; its size is what overflows.)
  penalty = re.search(r"pairwise_mi (-?[0-9.e+]+)", last)
  assert penalty and abs(float(penalty.group(1))) > 1e20, last


def test_a_nan_term_is_named_in_one_short_last_line(tmp_path):
  # A learning rate of 1e30 makes every parameter NaN after the first step; the
  # first term computed, the reconstruction loss, is the one named.
  last = last_line_of_failed_training(
      tmp_path, ["pairwise_mi_vae.lam = 1.", "AdamOptimizer.learning_rate = 1e30"])
  assert last.startswith("RuntimeError: mine_plugin: the loss term "
                         "'reconstruction_loss' of PairwiseMIVAE is NaN or inf"), last
  assert len(last) < 400, last


def test_owner_on_another_host_counts_as_alive_until_its_heartbeat_stops(tmp_path):
  model_dir = str(tmp_path)
  with open(os.path.join(model_dir, ownership.OWNER_FILE), "w") as f:
    json.dump({"pid": 12345, "host": "another-node", "started": "?"}, f)
  now = os.path.getmtime(os.path.join(model_dir, ownership.OWNER_FILE))
  assert ownership.live_owner(model_dir, now=now + 10)["host"] == "another-node"
  # A lost node stops touching the marker: after STALE_SECONDS it is redone.
  assert ownership.live_owner(model_dir,
                              now=now + ownership.STALE_SECONDS + 1) is None
  # On this host the PID decides.
  with open(os.path.join(model_dir, ownership.OWNER_FILE), "w") as f:
    json.dump({"pid": 2 ** 22 + 12345, "host": socket.gethostname()}, f)
  assert ownership.live_owner(model_dir) is None
  # A live PID whose start time differs from the recorded one was reused.
  sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
  try:
    ownership.write_owner(model_dir, sleeper.pid)
    assert ownership.live_owner(model_dir)["pid"] == sleeper.pid
    with open(os.path.join(model_dir, ownership.OWNER_FILE)) as f:
      record = json.load(f)
    record["start_ticks"] += 1
    with open(os.path.join(model_dir, ownership.OWNER_FILE), "w") as f:
      json.dump(record, f)
    assert ownership.live_owner(model_dir) is None
  finally:
    sleeper.kill()
    sleeper.wait()

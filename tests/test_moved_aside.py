"""Directories moved aside: a backup left by a SIGKILLed --overwrite is named with the
command that restores it and never deleted; failed outputs and a study's unfinished
runs are kept to the newest (mine_plugin/utils/moved_aside.py).

The runs are real dlib_train/dlib_postprocess processes on dlib's own test config.
"""
import errno
import os
import re
import shlex
import signal
import subprocess
import sys
import time

from mine_plugin.training import overwrite_guard
from mine_plugin import pipeline
from mine_plugin.runner import markers
from mine_plugin.utils import moved_aside
import pytest
from test_faults import dlib_train_until_killed  # tests/ is on sys.path under pytest
from test_faults import POSTPROCESS_TEST_GIN
from test_faults import signal_after_first_checkpoint
from test_faults import snapshot
from test_faults import TRAIN_TEST_GIN


def run(program, *flags, env=None):
  """A dlib console script's (exit status, whole output, last line)."""
  completed = subprocess.run(
      [pipeline.console_script(program)] + list(flags), capture_output=True,
      text=True, env=None if env is None else dict(os.environ, **env))
  output = completed.stdout + completed.stderr
  return completed.returncode, output, completed.stderr.strip().splitlines()[-1]


def train(model_dir, *flags, env=None):
  return run("dlib_train", "--model_dir", str(model_dir), "--gin_config",
             TRAIN_TEST_GIN, *flags, env=env)


def trained_model(tmp_path):
  """A model trained by dlib_train, and its files."""
  model_dir = tmp_path / "model"
  pipeline.run_dlib("dlib_train", ["--model_dir", str(model_dir),
                                   "--gin_config", TRAIN_TEST_GIN])
  return model_dir, snapshot(str(model_dir))


def backups(model_dir):
  return [entry.path for entry in moved_aside.siblings(str(model_dir),
                                                       moved_aside.BACKUP)]


def ended_pid():
  """The PID of a process that has ended."""
  process = subprocess.Popen([sys.executable, "-c", "pass"])
  process.wait()
  return process.pid


def test_a_sigkilled_overwrite_leaves_the_model_aside_and_the_next_runs_say_how_to_restore_it(
    tmp_path):
  model_dir, model = trained_model(tmp_path)
  process = dlib_train_until_killed(model_dir, tmp_path / "killed.log", "--overwrite")
  assert signal_after_first_checkpoint(process, model_dir,
                                       signal.SIGKILL) == -signal.SIGKILL
  [backup] = backups(model_dir)
  assert snapshot(backup) == model
  restore = "rm -r {0} && mv {1} {0}".format(shlex.quote(str(model_dir)),
                                             shlex.quote(backup))

  # dlib's refusal, and dlib_postprocess on the killed run's output, end with where
  # the model is and the command that puts it back.
  status, _, last = train(model_dir)
  assert status == 1
  assert last.startswith("RuntimeError: ValueError: Directory already exists and "
                         "overwrite is False. {} holds the previous {}: an "
                         "--overwrite run (PID {}, ".format(
                             backup, model_dir, process.pid)), last
  assert "To restore the previous one: {}.".format(restore) in last, last
  status, _, last = run("dlib_postprocess", "--model_dir", str(model_dir),
                        "--output_dir", str(tmp_path / "mean"),
                        "--gin_config", POSTPROCESS_TEST_GIN)
  assert status == 1
  assert re.match(r"RuntimeError: NotFoundError: .*results/gin/train\.gin; No such "
                  r"file or directory\. {} holds the previous ".format(
                      re.escape(backup)), last), last
  assert restore in last

  # An --overwrite that succeeds says it too, and leaves the backup as it is.
  status, output, _ = train(model_dir, "--overwrite")
  assert status == 0, output[-3000:]
  assert output.count("To restore the previous one: {}.".format(restore)) == 2
  assert backups(model_dir) == [backup]
  assert snapshot(backup) == model

  # The command given restores the model, which dlib then reads; nothing is said
  # any more.
  subprocess.run(["bash", "-c", restore], check=True)
  assert snapshot(str(model_dir)) == model
  status, output, _ = run("dlib_postprocess", "--model_dir", str(model_dir),
                          "--output_dir", str(tmp_path / "mean"),
                          "--gin_config", POSTPROCESS_TEST_GIN)
  assert status == 0, output[-3000:]
  assert "holds the previous" not in output
  assert backups(model_dir) == []


def test_failed_overwrites_keep_the_newest_failed_output_and_never_a_killed_backup(
    tmp_path):
  model_dir, model = trained_model(tmp_path)
  # A backup left by an --overwrite run that was killed long ago.
  killed = tmp_path / ".model.previous-20200101-000000-{}".format(ended_pid())
  killed.mkdir()
  (killed / "checkpoint-of-a-week").write_text("precious")
  # Fails at its second step (NaN), after it has written its step-0 checkpoint.
  failing = ["--overwrite", "--gin_bindings", "AdamOptimizer.learning_rate = 1e30"]
  kept = []
  # (MINE_PLUGIN_KEEP_MOVED_ASIDE, failed outputs there after the run)
  for keep, expected in ((None, 1), (None, 1), ("all", 2), ("all", 3), ("2", 2)):
    status, output, _ = train(model_dir, *failing, env={} if keep is None else
                              {moved_aside.KEEP_ENV: keep})
    assert status == 1
    [newest] = re.findall(r"this run's partial output: (\S+)\)", output)
    failed = [e.path for e in moved_aside.siblings(str(model_dir),
                                                   moved_aside.FAILED)]
    assert len(failed) == expected and failed[-1] == newest, failed
    assert os.path.isfile(os.path.join(newest, "tf_checkpoint",
                                       "model.ckpt-0.index"))
    kept.append(newest)
  assert failed == kept[-2:]
  assert "deleted the failed output {} ({}=2 keeps the newest".format(
      kept[-4], moved_aside.KEEP_ENV) in output
  assert snapshot(str(model_dir)) == model
  assert (killed / "checkpoint-of-a-week").read_text() == "precious"
  assert "{} holds the previous {}".format(killed, model_dir) in output
  assert [e.path for e in moved_aside.killed_backups(str(model_dir))] == [str(killed)]


def test_a_study_keeps_the_newest_unfinished_run_of_each_model(tmp_path,
                                                               monkeypatch):
  study = tmp_path / "study"
  moved = {}
  for keep, runs in ((None, 3), ("all", 2)):
    if keep is not None:
      monkeypatch.setenv(moved_aside.KEEP_ENV, keep)
    for run_number in range(runs):
      for model in ("0", "1"):
        (study / model).mkdir(parents=True)
        (study / model / "log.txt").write_text(str(run_number))
        moved.setdefault((keep, model), []).append(
            markers.move_aside(str(study / model)))
    if keep is None:
      left = sorted(os.listdir(study / markers.INCOMPLETE))
      # The newest run of each model, by name (several within one second).
      assert left == sorted(os.path.basename(moved[(None, m)][-1])
                            for m in ("0", "1"))
      for model in ("0", "1"):
        with open(os.path.join(moved[(None, model)][-1], "log.txt")) as f:
          assert f.read() == "2"
  # With 'all', nothing goes: the newest of the first round and both of this one.
  assert len(os.listdir(study / markers.INCOMPLETE)) == 2 + 4


def test_a_backup_counts_as_killed_only_once_its_run_has_ended(tmp_path):
  model_dir = tmp_path / "model"
  model_dir.mkdir()
  sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
  try:
    time.sleep(1.1)  # the backup's time (to the second) after the sleeper started
    live = tmp_path / ".model.previous-{}-{}".format(
        time.strftime("%Y%m%d-%H%M%S"), sleeper.pid)
    live.mkdir()
    assert moved_aside.killed_backups(str(model_dir)) == []
    assert moved_aside.killed_backups_note(str(model_dir)) is None
    # The same PID on a backup made before that process started: a reused PID.
    reused = tmp_path / ".model.previous-20200101-000000-{}".format(sleeper.pid)
    reused.mkdir()
    assert [e.path for e in moved_aside.killed_backups(str(model_dir))] == [
        str(reused)]
  finally:
    sleeper.kill()
    sleeper.wait()
  assert [e.path for e in moved_aside.killed_backups(str(model_dir))] == [
      str(reused), str(live)]
  note = moved_aside.killed_backups_note(str(model_dir))
  assert note.startswith("2 --overwrite runs on {} were killed before they "
                         "finished".format(model_dir)), note
  assert "{}, {}".format(reused, live) in note
  assert "rm -r {0} && mv <backup> {0}".format(model_dir) in note
  # Not a backup: other names beside it are not reported.
  (tmp_path / ".model.failed-20200101-000000-1").mkdir()
  (tmp_path / ".model2.previous-20200101-000000-1").mkdir()
  assert len(moved_aside.killed_backups(str(model_dir))) == 2


@pytest.mark.parametrize("value", ["0", "-1", "some", "1.5"])
def test_a_bad_retention_setting_is_refused_before_anything_is_written(
    tmp_path, value):
  status, _, last = train(tmp_path / "model", env={moved_aside.KEEP_ENV: value})
  assert status == 1
  assert last == (
      "ValueError: {}={!r} is not a number of moved-aside directories to keep: "
      "give a whole number >= 1 (default 1), or 'all' to keep every one.".format(
          moved_aside.KEEP_ENV, value))
  assert not (tmp_path / "model").exists()


def test_the_guard_and_the_retention_agree_on_names(tmp_path):
  directory = str(tmp_path / "model")
  made = [overwrite_guard.aside(directory, overwrite_guard.FAILED)]  # pylint: disable=protected-access
  os.mkdir(made[0])
  made.append(overwrite_guard.aside(directory, overwrite_guard.FAILED))
  os.mkdir(made[1])
  assert made[1] == made[0] + "-1"
  assert [e.path for e in moved_aside.siblings(directory, overwrite_guard.FAILED)
          ] == made
  assert moved_aside.prune(moved_aside.siblings(directory,
                                                overwrite_guard.FAILED)) == [made[0]]
  assert os.listdir(str(tmp_path)) == [os.path.basename(made[1])]


def test_retention_never_deletes_a_run_that_holds_a_trained_model(tmp_path):
  # A study model that finished under other settings is moved aside like an
  # unfinished one; later moves of the same model must not delete it.
  study = tmp_path / "study"
  finished = study / "3"
  (finished / "model" / "results" / "aggregate").mkdir(parents=True)
  (finished / "model" / "results" / "aggregate" / "train.json").write_text("{}")
  kept = markers.move_aside(str(finished))
  for _ in range(2):
    (study / "3").mkdir()
    markers.move_aside(str(study / "3"))
  runs = moved_aside.incomplete_runs(str(study / markers.INCOMPLETE), "3")
  assert kept in [run.path for run in runs] and len(runs) == 2  # + the newest other


def test_a_full_disk_keeps_a_failed_training_that_got_past_step_0(tmp_path):
  model_dir = tmp_path / "model"
  older = tmp_path / ".model{}20200101-000000-1".format(overwrite_guard.FAILED)
  newest = tmp_path / ".model{}20200101-000001-2".format(overwrite_guard.FAILED)
  for failed, step in ((older, 800), (newest, 500)):
    (failed / "tf_checkpoint").mkdir(parents=True)
    (failed / "tf_checkpoint" / "checkpoint").write_text(
        'model_checkpoint_path: "model.ckpt-{}"\n'.format(step))
  full = OSError(errno.ENOSPC, "No space left on device")
  overwrite_guard.prune_failed(str(model_dir), full)
  assert not older.exists() and newest.exists()
  # At step 0 it holds nothing a rerun would not write again: deleted too.
  (newest / "tf_checkpoint" / "checkpoint").write_text(
      'model_checkpoint_path: "model.ckpt-0"\n')
  overwrite_guard.prune_failed(str(model_dir), full)
  assert not newest.exists()

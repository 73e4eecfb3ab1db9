"""A chain's progress, read from its log as it grows: phase, step, speed, time left,
and the bar drawn from them on a terminal."""
import io
import os

from mine_plugin import chain_progress
from mine_plugin.utils import terminal_bar

START = """$ python -m mine_plugin.pipeline --model_dir=m
[    0.0s] (1/4) Training with shared.gin, lambda_beta_vae.gin and bindings:
  dataset.name='synthetic_squares'
  model.training_steps=500
  => model.training_steps = 500, step_log.every_n_steps = 100
INFO:tensorflow:Saving checkpoints for 0 into m/model/tf_checkpoint/model.ckpt.
"""
# A speed reading, as TPUEstimator logs it every every_n_steps steps.
SPEED = "INFO:tensorflow:global_step/sec: {}\nINFO:tensorflow:examples/sec: 640\n"
# dlib_train's console script repeats TF's lines in absl's format: not counted twice.
ABSL_SPEED = "I1206 01:56:37.383022 1400 tpu_estimator.py:2391] global_step/sec: {}\n"


def grow(path, text):
  with open(path, "a") as f:
    f.write(text)


def test_a_growing_log_gives_step_speed_and_time_left(tmp_path):
  path = str(tmp_path / "pipeline.log")
  log = chain_progress.ChainLog(path)
  assert log.update().describe() == "starting"  # no file yet

  grow(path, START)
  state = log.update()
  assert (state.phase_num, state.num_phases, state.phase) == (1, 4, "Training")
  assert (state.step, state.total_steps, state.steps_per_sec) == (0, 500, None)
  assert state.seconds_left() is None
  assert state.describe() == "(1/4) Training: step 0/500"

  grow(path, SPEED.format(20.0) + ABSL_SPEED.format(20.0))
  state = log.update()
  assert (state.step, state.steps_per_sec, state.seconds_left()) == (100, 20., 20.)
  assert state.describe() == "(1/4) Training: step 100/500, 20.0 steps/s, 0m20s left"

  # A line written in two pieces is read once it is whole.
  grow(path, "INFO:tensorflow:global_step/se")
  assert log.update().step == 100
  grow(path, "c: 25.0\n" + SPEED.format(40.0))  # 25.0, then 40.0
  state = log.update()
  assert (state.step, state.steps_per_sec, state.seconds_left()) == (300, 40., 5.)
  assert state.fraction() == (0 + 300 / 500) / 4

  # Once a handler is added to the root logger, each TF line comes twice.
  grow(path, ("INFO:tensorflow:global_step/sec: 40.0\n" * 2 +
              "INFO:tensorflow:examples/sec: 2560.0\n" * 2) * 2)
  assert log.update().step == 500

  grow(path, "INFO:tensorflow:Loss for final step: 12.5.\n")
  state = log.update()
  assert state.describe() == ("(1/4) Training: step 500/500, evaluating and "
                              "exporting the model")
  assert state.seconds_left() is None and state.fraction() == 1 / 4
  grow(path, "[   30.0s] (2/4) Extracting representation mean...\n")
  state = log.update()
  assert state.describe() == "(2/4) Extracting representation mean"
  assert state.seconds_left() is None and state.fraction() == 1 / 4

  grow(path, "[   42.0s] (4/4) Computing metric mig on mean...\n")
  assert log.update().describe() == "(4/4) Computing metric mig on mean"
  assert log.state.fraction() == 3 / 4
  grow(path, "[   50.0s] Done.\n")
  assert log.update().describe() == "done" and log.state.fraction() == 1.


def test_a_resumed_training_counts_from_its_checkpoint(tmp_path):
  path = str(tmp_path / "log.txt")
  grow(path, START.replace("500", "3000") +
       "INFO:tensorflow:mine_plugin: resume: continuing m/model from step 1000.\n" +
       SPEED.format(50.0) * 2)
  state = chain_progress.ChainLog(path).update()
  assert (state.step, state.seconds_left()) == (1200, 36.)
  # A checkpoint gives the exact step; readings count on from it.
  grow(path, "INFO:tensorflow:Saving checkpoints for 1234 into m.ckpt.\n" +
       SPEED.format(50.0))
  log = chain_progress.ChainLog(path)
  assert log.update().step == 1334
  # The step never passes the training's length.
  grow(path, SPEED.format(50.0) * 30)
  assert log.update().step == 3000 and log.state.seconds_left() == 0.


def test_a_rerun_in_a_new_directory_is_read_from_its_start(tmp_path):
  path = str(tmp_path / "log.txt")
  grow(path, START + SPEED.format(20.0) * 3)
  log = chain_progress.ChainLog(path)
  assert log.update().step == 300
  os.rename(path, str(tmp_path / "moved_aside.txt"))
  grow(path, START)
  assert log.update().step == 0
  # A second training in the same log (a rerun appends) starts over too.
  grow(path, SPEED.format(20.0) + START.replace("500", "800"))
  assert (log.update().step, log.state.total_steps) == (0, 800)


def test_a_phase_trains_when_its_length_says_so(tmp_path):
  path = str(tmp_path / "log.txt")
  # A training kept from an earlier run: no length line, no step.
  grow(path, "[    0.0s] (1/3) The training in m/model finished before; kept.\n" +
       SPEED.format(12.5))
  log = chain_progress.ChainLog(path)
  state = log.update()
  assert not state.training and state.seconds_left() is None
  assert state.describe() == "(1/3) The training in m/model finished before; kept"
  grow(path, "[    1.0s] (1/3) Resuming the training with a.gin and bindings:\n"
       "  => model.training_steps = 300, step_log.every_n_steps = 100\n"
       "INFO:tensorflow:mine_plugin: resume: continuing m from step 100.\n" +
       SPEED.format(12.5))
  assert log.update().describe() == ("(1/3) Resuming the training: step 200/300, "
                                     "12.5 steps/s, 0m08s left")


class Terminal(io.StringIO):

  def isatty(self):
    return True


def test_the_bar_shows_the_rendered_values_on_a_terminal_and_nothing_elsewhere():
  text = terminal_bar.BarText("0m12s", 0.5, "(1/4) Training: step 250/500")
  terminal = Terminal()
  with terminal_bar.LiveBar(terminal, lambda: text) as bar:
    bar.write("[study] model 0 FAILED\n")
  drawn = terminal.getvalue()
  assert "0m12s |" in drawn and "| (1/4) Training: step 250/500" in drawn
  assert "[study] model 0 FAILED\n" in drawn
  # Half of the bar is filled (tqdm draws '#' on a stream without an encoding).
  line = [l for l in drawn.split("\r") if "0m12s |" in l][0]
  inside = line.split("|")[1]
  assert abs(len(inside) - inside.count(" ") - len(inside) / 2) <= 1

  plain = io.StringIO()
  with terminal_bar.LiveBar(plain, lambda: text) as bar:
    bar.write("[study] model 0 FAILED\n")
  assert plain.getvalue() == "[study] model 0 FAILED\n"


def test_a_long_text_is_cut_short_rather_than_the_bar():
  text = terminal_bar.BarText("[s] 0/2 models, 0m14s", 0.5, "model 0: " + "x" * 200)
  fitted = terminal_bar.fit(text, 100)
  line = terminal_bar.FORMAT.format(left=fitted.left, right=fitted.right,
                                    bar="#" * terminal_bar.MIN_BAR_WIDTH)
  assert len(line) == 100 and fitted.right.endswith("...")
  assert fitted.right.startswith("model 0: xxx")
  short = text._replace(right="model 0: done")
  assert terminal_bar.fit(short, 100) == short and terminal_bar.fit(text, None) == text

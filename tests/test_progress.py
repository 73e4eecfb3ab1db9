"""The runner's progress: its lines, and on a terminal the bar with the running
models read from their logs (mine_plugin/runner/progress.py)."""
import io
import os

from mine_plugin.runner import job_spec
from mine_plugin.runner import markers
from mine_plugin.runner import ownership
from mine_plugin.runner import progress as progress_lib

TRAINING_LOG = """[    0.0s] (1/4) Training with shared.gin and bindings:
  => model.training_steps = 500, step_log.every_n_steps = 100
INFO:tensorflow:global_step/sec: 20.0
"""


class Terminal(io.StringIO):

  def isatty(self):
    return True


def study(tmp_path):
  """Three model directories: 1 runs (owner marker, a log in training), 0 and 2
  have not started."""
  model_dirs = {n: str(tmp_path / str(n)) for n in range(3)}
  os.makedirs(model_dirs[1])
  with open(os.path.join(model_dirs[1], markers.LOG), "w") as f:
    f.write(TRAINING_LOG)
  with open(os.path.join(model_dirs[1], ownership.OWNER_FILE), "w") as f:
    f.write("{}")
  return model_dirs


def outcome(model_num, status):
  return job_spec.ModelOutcome(model_num, status, 30., "log.txt",
                               "exit code 1" if status == "failed" else "")


def test_the_bar_shows_models_done_and_left_and_the_running_models_step(
    tmp_path, monkeypatch):
  monkeypatch.setattr(progress_lib.time, "time", lambda: 1000.)
  model_dirs = study(tmp_path)
  progress = progress_lib.Progress("s", 3, io.StringIO(), model_dirs)
  progress.start = 940.  # a minute ago
  text = progress.bar_text()
  assert text.left == "[s] 0/3 models, 1m00s" and text.fraction == 0.
  assert text.right == ("0 done, 0 failed, 3 left, ETA ? | model 1 (1/4) Training: "
                        "step 100/500, 20.0 steps/s, 0m20s left")

  progress.update(outcome(0, "done"))
  text = progress.bar_text()
  assert text.left == "[s] 1/3 models, 1m00s" and text.fraction == 1 / 3
  assert text.right.startswith("1 done, 0 failed, 2 left, ETA 2m00s | model 1 ")

  # Model 1 ends (its process removed the marker): no longer shown as running.
  os.remove(os.path.join(model_dirs[1], ownership.OWNER_FILE))
  progress.update(outcome(1, "failed"))
  assert progress.bar_text().right == "1 done, 1 failed, 1 left, ETA 0m30s"


def test_a_terminal_gets_every_line_a_file_gets(tmp_path):
  model_dirs = study(tmp_path)
  outputs = []
  for stream in (io.StringIO(), Terminal()):
    with progress_lib.Progress("s", 3, stream, model_dirs) as progress:
      progress.update()
      progress.update(outcome(0, "failed"))
    outputs.append(stream.getvalue())
  plain, terminal = outputs
  lines = plain.splitlines()
  assert len(lines) == 3 and "model 0 FAILED" in lines[1]
  for line in lines:
    assert line in terminal
  assert "model 1 (1/4) Training: step 100/500" not in plain
  assert "model 1 (1/4) Training: step 100/500" in terminal


def test_on_done_runs_after_each_finished_model_and_its_error_does_not_stop_the_run():
  calls = []

  def on_done():
    calls.append(len(calls))
    if len(calls) == 2:
      raise OSError("No space left on device")

  stream = io.StringIO()
  progress = progress_lib.Progress("s", 4, stream, on_done=on_done)
  for model_num, status in enumerate(("done", "skipped", "failed", "done")):
    progress.update(outcome(model_num, status))
  assert calls == [0, 1]  # after models 0 and 3 only
  assert ("[s] After model 3: OSError: No space left on device (the run goes on)."
          in stream.getvalue())
  assert "[s] 3/4 finished (2 run now, 1 skipped), 1 failed, 0 left" in (
      stream.getvalue())

"""The runner's progress: a line per model outcome with ETA, and a bar on a terminal."""
import collections
import os
import time

from mine_plugin import chain_progress
from mine_plugin.runner import markers
from mine_plugin.runner import ownership
from mine_plugin.utils import terminal_bar


class Progress(object):
  """Use as a context manager: the bar (on a terminal only) lives within it.

  Args:
    name: the study's name, at the start of every line.
    total: the number of models of the run.
    stream: where the lines (and, on a terminal, the bar) go.
    model_dirs: {model number: directory} of the run's models, for the bar.
    on_done: called with no arguments after each model that finished in this run
      (the study's results.json is brought up to date there). Best effort: an
      error in it is reported on a line of its own and the run goes on.
  """

  def __init__(self, name, total, stream, model_dirs=None, on_done=None):
    self.name, self.total, self.stream = name, total, stream
    self._on_done = on_done
    self.model_dirs = dict(model_dirs or {})
    self.counts = collections.Counter()
    self.start = time.time()
    self._ended = set()
    self._logs = {}  # model number -> ChainLog, while it runs
    self._bar = terminal_bar.LiveBar(stream, self.bar_text)

  def __enter__(self):
    self._bar.__enter__()
    return self

  def __exit__(self, *exc):
    self._bar.__exit__(*exc)

  def _summary(self):
    """(models finished, models left, elapsed seconds, ETA text)."""
    ran = self.counts["done"] + self.counts["failed"]
    left = self.total - ran - self.counts["skipped"]
    elapsed = time.time() - self.start
    # Wall-clock time per model run so far, so parallel runs are accounted for.
    eta = chain_progress.format_seconds(elapsed / ran * left) if ran else "?"
    return self.total - left, left, elapsed, eta

  def update(self, outcome=None):
    """Counts `outcome` (a job_spec.ModelOutcome), if any, and writes the line."""
    if outcome is not None:
      self.counts[outcome.status] += 1
      self._ended.add(outcome.model_num)
      if outcome.status == "failed":
        self._bar.write("[{}] model {} FAILED ({}): {}\n".format(
            self.name, outcome.model_num,
            chain_progress.format_seconds(outcome.seconds), outcome.message))
      if outcome.status == "done" and self._on_done is not None:
        try:
          self._on_done()
        except Exception as e:  # pylint: disable=broad-except
          self._bar.write("[{}] After model {}: {}: {} (the run goes on).\n".format(
              self.name, outcome.model_num, type(e).__name__, e))
    _, left, elapsed, eta = self._summary()
    self._bar.write(
        "[{}] {}/{} finished ({} run now, {} skipped), {} failed, {} left | "
        "elapsed {} | ETA {}\n".format(
            self.name, self.counts["done"] + self.counts["skipped"], self.total,
            self.counts["done"], self.counts["skipped"], self.counts["failed"], left,
            chain_progress.format_seconds(elapsed), eta))

  def running(self):
    """{model number: chain_progress.ChainState} of the models running now."""
    states = {}
    for model_num, model_dir in sorted(self.model_dirs.items()):
      if (model_num in self._ended or
          not os.path.exists(os.path.join(model_dir, ownership.OWNER_FILE))):
        self._logs.pop(model_num, None)
        continue
      log = self._logs.setdefault(model_num, chain_progress.ChainLog(
          os.path.join(model_dir, markers.LOG)))
      states[model_num] = log.update()
    return states

  def bar_text(self):
    """The bar: models finished of all, and each running model's state."""
    finished, left, elapsed, eta = self._summary()
    right = "{} done, {} failed, {} left, ETA {}".format(
        self.counts["done"] + self.counts["skipped"], self.counts["failed"], left,
        eta)
    for model_num, state in self.running().items():
      right += " | model {} {}".format(model_num, state.describe())
    return terminal_bar.BarText(
        "[{}] {}/{} models, {}".format(self.name, finished, self.total,
                                       chain_progress.format_seconds(elapsed)),
        finished / self.total if self.total else 1., right)

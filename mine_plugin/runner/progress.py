"""The runner's progress: one text line per model outcome, with elapsed time and ETA."""
import collections
import time


def format_seconds(seconds):
  """'1h02m' or '3m05s'."""
  seconds = int(round(seconds))
  hours, rest = divmod(seconds, 3600)
  minutes, seconds = divmod(rest, 60)
  return "{}h{:02d}m".format(hours, minutes) if hours else "{}m{:02d}s".format(
      minutes, seconds)


class Progress(object):
  """One text line per event: models done/failed/left, elapsed time and ETA."""

  def __init__(self, name, total, stream):
    self.name, self.total, self.stream = name, total, stream
    self.counts = collections.Counter()
    self.start = time.time()

  def update(self, outcome=None):
    """Counts `outcome` (a job_spec.ModelOutcome), if any, and writes the line."""
    if outcome is not None:
      self.counts[outcome.status] += 1
      if outcome.status == "failed":
        self.stream.write("[{}] model {} FAILED ({}): {}\n".format(
            self.name, outcome.model_num, format_seconds(outcome.seconds),
            outcome.message))
    ran = self.counts["done"] + self.counts["failed"]
    left = self.total - ran - self.counts["skipped"]
    elapsed = time.time() - self.start
    # Wall-clock time per model run so far, so parallel runs are accounted for.
    eta = format_seconds(elapsed / ran * left) if ran else "?"
    self.stream.write(
        "[{}] {}/{} finished ({} run now, {} skipped), {} failed, {} left | "
        "elapsed {} | ETA {}\n".format(
            self.name, self.counts["done"] + self.counts["skipped"], self.total,
            self.counts["done"], self.counts["skipped"], self.counts["failed"], left,
            format_seconds(elapsed), eta))
    self.stream.flush()

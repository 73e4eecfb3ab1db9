"""How far one model's chain (`pipeline.reproduce`) has got, read from its log.

The step since the last checkpoint: `step_log.every_n_steps` per speed reading. Only
`INFO:tensorflow:` lines count; a line equal to the one before it is a copy.
"""
import os
import re

PHASE = re.compile(r"^\[\s*[\d.]+s\] \((\d+)/(\d+)\) (.*?)(?: with .*|\.\.\.|\.)?$")
DONE = re.compile(r"^\[\s*[\d.]+s\] Done\.$")
LENGTH = re.compile(
    r"^  => model\.training_steps = (\d+), step_log\.every_n_steps = (\d+)$")
RESUMED = re.compile(
    r"^INFO:tensorflow:mine_plugin: resume: continuing .* from step (\d+)\.$")
CHECKPOINT = re.compile(r"^INFO:tensorflow:Saving checkpoints for (\d+) into ")
SPEED = re.compile(r"^INFO:tensorflow:global_step/sec: ([-+.\deE]+|nan|inf)$")
FINAL_STEP = re.compile(r"^INFO:tensorflow:Loss for final step: ")


def format_seconds(seconds):
  """'1h02m' or '3m05s'."""
  seconds = int(round(seconds))
  hours, rest = divmod(seconds, 3600)
  minutes, seconds = divmod(rest, 60)
  return "{}h{:02d}m".format(hours, minutes) if hours else "{}m{:02d}s".format(
      minutes, seconds)


def length_line(training_steps, every_n_steps):
  """The line of `reproduce`'s log that states the training's length (LENGTH)."""
  return "  => model.training_steps = {}, step_log.every_n_steps = {}".format(
      training_steps, every_n_steps)


class ChainState(object):
  """What a chain's log says so far; `feed` it the log's lines in order."""

  def __init__(self):
    self.phase, self.phase_num, self.num_phases = None, 0, 0
    self.finished, self._previous = False, None
    self._start_phase()

  def _start_phase(self):
    # `training`: the phase trains (its length line said so).
    self.training, self.trained = False, False
    self.total_steps = self.every_n_steps = self.steps_per_sec = None
    self._base_step, self._readings = 0, 0

  @property
  def step(self):
    """The training step reached (a multiple of every_n_steps past a checkpoint)."""
    if not self.training:
      return 0
    return min(self._base_step + self._readings * self.every_n_steps,
               self.total_steps)

  def feed(self, line):
    line = line.rstrip("\n")
    if line == self._previous:
      return
    self._previous = line
    match = PHASE.match(line)
    if match:
      self.phase_num, self.num_phases = int(match.group(1)), int(match.group(2))
      self.phase, self.finished = match.group(3), False  # a rerun appends
      self._start_phase()
      return
    if DONE.match(line):
      self.finished = True
      return
    match = LENGTH.match(line)
    if match:
      self.training = True
      self.total_steps, self.every_n_steps = (int(n) for n in match.groups())
      return
    if not self.training:
      return
    for pattern, update in ((RESUMED, self._at_step), (CHECKPOINT, self._at_step),
                            (SPEED, self._speed), (FINAL_STEP, self._final)):
      match = pattern.match(line)
      if match:
        update(*match.groups())
        return

  def _at_step(self, step):
    self._base_step, self._readings = int(step), 0

  def _speed(self, steps_per_sec):
    self._readings += 1
    self.steps_per_sec = float(steps_per_sec)

  def _final(self):
    self.trained = True
    self._at_step(self.total_steps)

  def seconds_left(self):
    """Seconds until training ends at the last speed, while training; else None."""
    if (not self.training or self.trained or not self.steps_per_sec or
        self.steps_per_sec != self.steps_per_sec or self.steps_per_sec <= 0):
      return None  # (a NaN speed is not equal to itself)
    return (self.total_steps - self.step) / self.steps_per_sec

  def fraction(self):
    """How much of the chain is done, 0 to 1: whole phases, and within training
    the share of its steps."""
    if self.finished:
      return 1.
    if not self.num_phases:
      return 0.
    within = self.step / self.total_steps if self.training and self.total_steps else 0.
    return (self.phase_num - 1 + within) / self.num_phases

  def describe(self):
    """One line: the phase and, while training, step, speed and time left."""
    if self.finished:
      return "done"
    if self.phase is None:
      return "starting"
    text = "({}/{}) {}".format(self.phase_num, self.num_phases, self.phase)
    if not self.training:
      return text
    text += ": step {}/{}".format(self.step, self.total_steps)
    if self.trained:  # dlib's train evaluates the model and exports it
      return text + ", evaluating and exporting the model"
    if self.steps_per_sec is not None:
      text += ", {:.1f} steps/s".format(self.steps_per_sec)
    left = self.seconds_left()
    return text + (", {} left".format(format_seconds(left)) if left is not None
                   else "")


class ChainLog(object):
  """Follows a chain's log file as it grows (`update` reads what is new).

  A file that was replaced or shortened (a directory moved aside and started
  again) is read again from its start.
  """

  def __init__(self, path):
    self.path = path
    self.state = ChainState()
    self._identity, self._offset, self._partial = None, 0, ""

  def update(self):
    """Reads the lines added since the last call; returns `state`."""
    try:
      with open(self.path, errors="replace") as f:
        status = os.fstat(f.fileno())
        identity = (status.st_dev, status.st_ino)
        if identity != self._identity or status.st_size < self._offset:
          self.state, self._offset, self._partial = ChainState(), 0, ""
          self._identity = identity
        f.seek(self._offset)
        text = f.read()
        self._offset = f.tell()
    except OSError:  # Not written yet.
      return self.state
    *lines, self._partial = (self._partial + text).split("\n")
    for line in lines:
      self.state.feed(line)
    return self.state

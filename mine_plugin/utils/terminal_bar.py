"""A progress bar on a terminal, redrawn by a thread; on other streams, plain lines."""
import collections
import threading

import tqdm

# `left` |bar at `fraction` (0 to 1)| `right`
BarText = collections.namedtuple("BarText", ["left", "fraction", "right"])
FORMAT = "{left} |{bar}| {right}"
MIN_BAR_WIDTH = 20  # `right` is cut short rather than the bar
_STEPS = 1000  # Resolution of the bar: tqdm draws n / total.


def fit(text, ncols):
  """`text` with its right side cut short ("...") where the line would leave the
  bar fewer than MIN_BAR_WIDTH of `ncols` columns (None: no limit)."""
  if not ncols:
    return text
  room = ncols - len(FORMAT.format(left=text.left, bar="", right="")) - MIN_BAR_WIDTH
  if len(text.right) <= room:
    return text
  return text._replace(right=text.right[:max(room - 3, 0)] + "...")


class _Bar(tqdm.tqdm):
  """tqdm with our own text on both sides of the bar (tqdm's `format_dict`)."""

  text = BarText("", 0., "")

  @property
  def format_dict(self):
    values = super().format_dict
    text = fit(self.text, values["ncols"])
    return dict(values, left=text.left, right=text.right)


def is_terminal(stream):
  isatty = getattr(stream, "isatty", None)
  return bool(isatty and isatty())


class LiveBar(object):
  """Use as a context manager; the bar goes when the block ends."""

  def __init__(self, stream, render, interval=0.5):
    self.stream, self.render, self.interval = stream, render, interval
    self.enabled = is_terminal(stream)
    self._lock = threading.Lock()
    self._stop = threading.Event()
    self._bar = self._thread = None

  def __enter__(self):
    if self.enabled:
      self._bar = _Bar(total=_STEPS, file=self.stream, dynamic_ncols=True,
                       bar_format=FORMAT, leave=False)
      self.redraw()
      self._thread = threading.Thread(target=self._run, daemon=True)
      self._thread.start()
    return self

  def _run(self):
    while not self._stop.wait(self.interval):
      self.redraw()

  def redraw(self):
    """Draws `render()` now."""
    if self._bar is None:
      return
    text = self.render()
    with self._lock:
      self._bar.text = text
      self._bar.n = int(round(min(max(text.fraction, 0.), 1.) * _STEPS))
      self._bar.refresh()

  def write(self, text):
    """Prints `text` (whole lines) above the bar, or as it is without one."""
    if self._bar is None:
      self.stream.write(text)
      self.stream.flush()
      return
    with self._lock:
      self._bar.write(text.rstrip("\n"), file=self.stream)

  def __exit__(self, *unused_exc):
    self._stop.set()
    if self._thread is not None:
      self._thread.join()
    if self._bar is not None:
      self.redraw()
      self._bar.close()
      self._bar = None

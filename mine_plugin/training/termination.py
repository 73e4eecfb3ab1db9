"""SIGTERM and SIGHUP as an exception, so that a run can clean up before it ends.

Inside `signals_raise()` the first SIGTERM/SIGHUP raises `Terminated`; on leaving it is
delivered again under the previous handler, so the exit status is the signal's (143,
129). Clean up inside `signals.deferred()`, which defers further signals (SIGINT too).
A non-default handler (e.g. `nohup`'s) is kept, only deferred. Main thread only.
"""
import contextlib
import logging
import signal
import sys
import threading

# Signals whose default action ends the process without running any Python code.
TERMINATING = (signal.SIGTERM, signal.SIGHUP)
_HANDLED = (signal.SIGINT,) + TERMINATING


class Terminated(BaseException):
  """A terminating signal arrived (a BaseException, like KeyboardInterrupt, so that
  an `except Exception` on the way does not swallow it)."""

  def __init__(self, signum):
    super().__init__("terminated by {}".format(signal.Signals(signum).name))
    self.signum = signum


def signal_name(error):
  """'SIGTERM' for a Terminated, 'SIGINT' for a KeyboardInterrupt, else None."""
  if isinstance(error, Terminated):
    return signal.Signals(error.signum).name
  if isinstance(error, KeyboardInterrupt):
    return "SIGINT"
  return None


class _Signals(object):
  """The handlers of one `signals_raise()` block."""

  def __init__(self):
    self._previous = {}
    self._deferring = 0
    self._pending = []  # signals received while deferring, in order
    self._terminated = None  # the signal a Terminated was raised for

  def install(self):
    if threading.current_thread() is not threading.main_thread():
      return
    for signum in _HANDLED:
      previous = signal.getsignal(signum)
      if previous is None or previous == signal.SIG_IGN:
        continue  # set outside Python, or ignored: left as it is
      self._previous[signum] = previous
      signal.signal(signum, self._handle)

  def _handle(self, signum, frame):
    if self._deferring or self._terminated is not None:
      if signum not in self._pending:
        self._pending.append(signum)
      return
    previous = self._previous[signum]
    if previous == signal.SIG_DFL and signum in TERMINATING:
      self._terminated = signum
      raise Terminated(signum)
    if callable(previous):
      previous(signum, frame)  # Python's KeyboardInterrupt, or the caller's handler
    else:  # SIG_DFL of SIGINT (set by someone): its default action
      self._terminated = signum
      raise Terminated(signum)

  @contextlib.contextmanager
  def deferred(self):
    """Signals received within act only once it has ended (a rename or a clean-up
    is not cut short); the first then raises as it would have."""
    self._deferring += 1
    try:
      yield
    finally:
      self._deferring -= 1
      while not self._deferring and self._pending and self._terminated is None:
        self._handle(self._pending.pop(0), None)

  def uninstall(self):
    """Puts the previous handlers back and passes on what arrived meanwhile."""
    for signum, previous in self._previous.items():
      signal.signal(signum, previous)
    pending = list(self._pending)
    if self._terminated is not None and self._terminated not in pending:
      pending.insert(0, self._terminated)
    for signum in pending:
      if signum not in self._previous:
        continue
      _flush_logs()
      # To this thread, synchronously: under SIG_DFL the process ends here with
      # the signal's status; a Python-level handler (KeyboardInterrupt) runs here
      # and may raise.
      signal.raise_signal(signum)


def _flush_logs():
  for handler in logging.getLogger().handlers + logging.getLogger(
      "mine_plugin").handlers:
    try:
      handler.flush()
    except Exception:  # pylint: disable=broad-except
      pass
  for stream in (sys.stdout, sys.stderr):
    try:
      stream.flush()
    except Exception:  # pylint: disable=broad-except
      pass


@contextlib.contextmanager
def signals_raise():
  """Within: SIGTERM/SIGHUP raise `Terminated`; see the module docstring."""
  signals = _Signals()
  signals.install()
  try:
    yield signals
  finally:
    signals.uninstall()

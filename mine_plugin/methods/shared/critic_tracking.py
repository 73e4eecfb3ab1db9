"""Whether a critic keeps up: its estimate next to a reference, during training.

Every critic-penalised model (`critic_penalty.CriticPenalty`) returns, beside its
critic's estimate, a reference estimate of the same quantity that receives no
gradient (a closed form where there is one). `CriticTrackingHook` reads both while dlib_train
runs, warns when the critic falls far behind, and writes what it saw next to dlib's
results:

  <model_dir>/results/json/critic_tracking.json    summary, one flat dict (dlib
                                                    aggregates it into every later
                                                    step's results)
  <model_dir>/results/critic_tracking_history.json  estimate and reference by step
"""
from mine_plugin.methods.shared import result_files
import numpy as np
import tensorflow.compat.v1 as tf

TRACKING_FILE = "critic_tracking.json"
TRACKING_HISTORY_FILE = "critic_tracking_history.json"
# A critic whose estimate stays below this share of the closed-form reference after
# warm-up is reported as lagging.
LAG_RATIO = 0.25
# References below this many nats carry no information on the critic's lag: the
# logged ratio divides by at least this, and `median_ratio` skips such readings.
MIN_REFERENCE = 0.05


def median_ratio(estimates, references):
  """Median of estimate / reference over the records whose reference is informative.

  Returns None when no reference reaches `MIN_REFERENCE` nats.
  """
  estimates = np.asarray(estimates, np.float64)
  references = np.asarray(references, np.float64)
  informative = references >= MIN_REFERENCE
  if not informative.any():
    return None
  return float(np.median(estimates[informative] / references[informative]))


class CriticTrackingHook(tf.train.SessionRunHook):
  """Records a critic's estimate next to its closed-form reference while training.

  Every `every_n_steps` steps it reads the estimate and the reference. After
  warm-up, when the median ratio estimate / reference of the last `window` records
  falls below LAG_RATIO, it logs a warning that names the settings to change (at
  most once per `window` records). When training ends it writes the history to
  `results/critic_tracking_history.json` and a summary (one dict, so that dlib
  aggregates it) to `results/json/critic_tracking.json`.
  """

  def __init__(self, tracking, warmup_steps, estimator_model_dir, advice,
               every_n_steps=50, window=5):
    self._name, self._estimate, self._reference = tracking
    self._warmup_steps = warmup_steps
    self._summary_path = result_files.results_json_path(estimator_model_dir,
                                                        TRACKING_FILE)
    self._history_path = result_files.results_path(estimator_model_dir,
                                                   TRACKING_HISTORY_FILE)
    self._advice = advice
    self._every_n_steps = every_n_steps
    self._window = window
    self._history = {"step": [], "estimate": [], "reference": []}
    self._last_warning = -np.inf
    self._calls = 0

  def begin(self):
    self._global_step = tf.train.get_global_step()

  def after_create_session(self, session, coord):
    del coord
    # The step of each run from a counter: reading the global step in the run that
    # increments it may give either value.
    self._first_step = int(session.run(self._global_step))

  def before_run(self, run_context):
    del run_context
    self._calls += 1
    if (self._calls - 1) % self._every_n_steps:
      return None
    return tf.train.SessionRunArgs([self._estimate, self._reference])

  def after_run(self, run_context, run_values):
    del run_context
    if run_values.results is None:
      return
    estimate, reference = run_values.results
    step = self._first_step + self._calls - 1
    for key, value in (("step", int(step)), ("estimate", float(estimate)),
                       ("reference", float(reference))):
      self._history[key].append(value)
    recent = self._after_warmup()[-self._window:]
    if len(recent) < self._window:
      return
    ratio = median_ratio([e for e, _ in recent], [r for _, r in recent])
    records = len(self._history["step"])
    if (ratio is not None and ratio < LAG_RATIO and
        records - self._last_warning >= self._window):
      self._last_warning = records
      tf.logging.warning(
          "mine_plugin: the critic lags behind the encoder at step %d: its "
          "estimate of %s is %.2f of its reference (median of the last "
          "%d readings; %.3g vs %.3g nats now), so the penalty may be close to "
          "inert. %s (The reference, a minibatch estimate, is itself biased "
          "upwards when the posteriors are narrow; scripts/aggregate_posterior_mi.py "
          "measures the trained model's real value: docs/mine_penalty.md.)", step,
          self._name, ratio, self._window, estimate, reference, self._advice)

  def _after_warmup(self):
    return [(e, r) for s, e, r in zip(self._history["step"],
                                      self._history["estimate"],
                                      self._history["reference"])
            if s >= self._warmup_steps]

  def end(self, session):
    del session
    after = self._after_warmup()
    ratio = median_ratio([e for e, _ in after], [r for _, r in after])
    result_files.write_json(self._history_path, dict(
        self._history, quantity=self._name, warmup_steps=self._warmup_steps))
    result_files.write_json(self._summary_path, {
        "quantity": self._name,
        "readings_after_warmup": len(after),
        "median_ratio_after_warmup": ratio,
        "lagging": bool(ratio is not None and ratio < LAG_RATIO),
        "final_estimate": self._history["estimate"][-1] if after else None,
        "final_reference": self._history["reference"][-1] if after else None,
    })

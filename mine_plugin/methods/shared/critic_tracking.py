"""Whether a critic keeps up: its estimate next to a gradient-free reference.

`CriticTrackingHook` warns when the critic falls far behind and writes
`<model_dir>/results/json/critic_tracking.json` (a flat summary, aggregated by dlib)
and `<model_dir>/results/critic_tracking_history.json` (estimate, reference by step).
"""
import gin
from mine_plugin.methods.shared import estimators
from mine_plugin.records import run_files
import numpy as np
import tensorflow.compat.v1 as tf

TRACKING_FILE = "critic_tracking.json"
TRACKING_HISTORY_FILE = "critic_tracking_history.json"
# A critic whose estimate stays below this share of its reference after
# warm-up is reported as lagging.
LAG_RATIO = 0.25
# References below this many nats carry no information on the critic's lag: the
# logged ratio divides by at least this, and `median_ratio` skips such readings.
MIN_REFERENCE = 0.05


# Observations of recent batches kept for the in-training reference (64 batches
# of 64). Leave-one-out needs other copies of a sample's own observation: with the
# 576 squares each appears 7.1 times on average. Measured against the exact mixture
# on two trained squares models (exact sum_{i!=j} I 1.44 and 1.34 nats; 5 draws of
# the memory): 1024 stored read -0.67, 2048 read 1.19 and 1.23, 3072 read 1.45 and
# 1.34, 4096 read 1.47 (sd 0.05).
REFERENCE_MEMORY = 4096
# Samples of the mixture per reading, drawn from the posteriors of as many stored
# observations picked at random (all stored ones below this): the cost of a reading
# grows with samples x capacity, its bias (leave-one-out over the components) does
# not depend on the samples. Measured on this project's 2-core CPU with another
# training sharing it (scripts/benchmark_models.py, 64x64 squares, 10 latents): with
# all 4,096 stored observations as samples one reading took 2.0 s (total correlation,
# mine_tc_vae) and 4.1 s (pairwise sum, pairwise_mi_vae_mine), 29 and 46 training
# steps.
REFERENCE_SAMPLES = 1024
# Samples evaluated at once when the reference is read (memory: chunk x capacity x L).
REFERENCE_CHUNK = 512
# Readings averaged into the final reference, taken when training ends. One reading
# during training (4,096 samples, before REFERENCE_SAMPLES) scattered by ~0.1 nats
# around its neighbours on the critic models of docs/mine_penalty.md, and the last
# reading during training, up to `every_n_steps` steps before the end, is of another
# encoder than the exported one.
FINAL_READINGS = 8


# Training steps between two readings of estimate and reference. At 50 with every
# stored observation as a sample (this release's earlier setting) the readings made a
# critic model's training 1.6-1.9x as long (2.0 and 4.1 s a reading, see
# REFERENCE_SAMPLES). With REFERENCE_SAMPLES, measured the same way: 0.83 s
# (mine_tc_vae) and 1.25 s (pairwise_mi_vae_mine), 11 and 13 training steps, so
# readings every 100 steps add ~12 % to the training op's time. A lag warning needs
# `window` (5) readings after warm-up: 500 steps.
DEFAULT_EVERY_N_STEPS = 100


def checked_interval(every_n_steps):
  """`every_n_steps`; ValueError naming the binding unless it is an integer >= 1."""
  if (isinstance(every_n_steps, bool) or not isinstance(every_n_steps, int) or
      every_n_steps < 1):
    raise ValueError(
        "critic_tracking.every_n_steps must be an integer >= 1 (training steps "
        "between two readings of the critic's estimate and its reference; the "
        "tracking cannot be turned off), got {!r}. Set it in the gin config or "
        "with --gin_bindings='critic_tracking.every_n_steps = {}' (the "
        "default).".format(every_n_steps, DEFAULT_EVERY_N_STEPS))
  return every_n_steps


@gin.configurable("critic_tracking", allowlist=["every_n_steps"])
def reading_interval(every_n_steps=DEFAULT_EVERY_N_STEPS):
  """Training steps between the critic tracking's readings (`every_n_steps` >= 1)."""
  return checked_interval(every_n_steps)


class ObservationMemory(object):
  """The last `capacity` observations, encoded anew into a reference mixture.

  The reference of a critic penalty is the quantity it estimates, computed without
  gradient by `estimators.mixture_dependence` over the aggregate posterior of the
  stored observations under the current encoder: one sample from the posterior of
  each of `samples` stored observations picked at random, each evaluated under the
  mixture of the other stored posteriors (leave-one-out: a
  sample's own component would bias it upwards, as the self-term biases a minibatch
  estimate towards log M per pair). Stored observations are encoded again when the
  reference is read (every few steps, not every step), so the components are not
  stale; the memory spans many batches, so the estimate has the variance of
  `samples` samples (from as many stored observations picked at random), not of one
  batch, and the components are those of all `capacity` observations. On a data
  set of N < capacity observations
  drawn uniformly the stored ones are a sample of the data set and the mixture
  approaches the exact aggregate posterior.
  """

  def __init__(self, observations, capacity=REFERENCE_MEMORY,
               samples=REFERENCE_SAMPLES):
    self.capacity = capacity
    self.samples = min(samples, capacity)
    shape = [capacity] + observations.shape.as_list()[1:]
    with tf.variable_scope("critic_reference_memory"):
      self._observations = tf.get_variable(
          "observations", shape, tf.float32, tf.zeros_initializer(),
          trainable=False)
      self._stored = tf.get_variable("stored", [], tf.int64,
                                     tf.zeros_initializer(), trainable=False)

  def reference(self, quantity, gaussian_encoder):
    """`quantity` ("pairwise_mi_sum" or "total_correlation"); 0 below 2 stored.

    gaussian_encoder: images -> (z_mean, z_logvar), the model's encoder with its
    variables reused.
    """
    # Read without ordering against `update`: a training step that also fetches
    # the reference may see up to one batch of rows before or after its write, both
    # stored observations; ordering them would copy the memory at every step.
    observations, stored = self._observations.read_value(), self._stored.read_value()
    mean, logvar = [tf.cast(tf.stop_gradient(t), tf.float32)
                    for t in gaussian_encoder(observations)]
    num = tf.cast(tf.minimum(stored, self.capacity), tf.int32)
    in_use = tf.range(self.capacity) < num
    # `samples` stored rows without replacement (all of them below `samples`),
    # padded to a static length; padding rows get weight 0.
    taken = tf.minimum(num, self.samples)
    rows = tf.pad(tf.random_shuffle(tf.range(num))[:taken],
                  [[0, self.samples - taken]])
    z = tf.gather(mean, rows) + tf.exp(tf.gather(logvar, rows) / 2.) * (
        tf.random_normal([self.samples, tf.shape(mean)[1]]))
    # Every stored component but the sample's own.
    others = tf.logical_and(
        in_use[None, :],
        tf.not_equal(tf.range(self.capacity)[None, :], rows[:, None]))
    count = tf.cast(tf.maximum(num - 1, 1), tf.float32)
    log_weight = tf.where(others, tf.fill(tf.shape(others), -tf.log(count)),
                          tf.fill(tf.shape(others), -np.inf))
    sample_weight = (tf.cast(tf.range(self.samples) < taken, tf.float32) /
                     tf.cast(tf.maximum(taken, 1), tf.float32))
    index = {"pairwise_mi_sum": 0, "total_correlation": 1}[quantity]
    parts = []
    for start in range(0, self.samples, REFERENCE_CHUNK):
      chunk = slice(start, start + REFERENCE_CHUNK)
      # One chunk after the other, to bound the memory of the [chunk, K, L] tensor.
      with tf.control_dependencies(parts[-1:]):
        parts.append(estimators.mixture_dependence(
            z[chunk], mean, logvar, log_weight[chunk], sample_weight[chunk])[index])
    value = tf.add_n(parts)
    return tf.where(num > 1, value, tf.zeros_like(value))

  def evaluation_reference(self, quantity, gaussian_encoder, batch,
                           readings=FINAL_READINGS):
    """The reference for an evaluation: `readings` readings, then their mean.

    dlib's train evaluates the exported model over `model.eval_steps` batches
    (1,000 by default) and reports the mean of each logged tensor over them. Each
    reading encodes the whole memory again (seconds at 64x64), and in evaluation
    the memory holds the same observations for every batch, so the first
    `readings` batches each take a new reading (a new draw from the stored
    posteriors) and every later batch gives the mean of those: the evaluation's
    mean is the mean of min(batches, `readings`) readings, as the training's
    final reference (`CriticTrackingHook.end`) is. The counters are local
    variables, set to 0 when the evaluation's session starts. The reading waits
    for the evaluation's `batch`: the run that finds the input exhausted takes none.
    """
    with tf.variable_scope("critic_reference_evaluation"):
      total = tf.get_local_variable("total", [], tf.float32,
                                    initializer=tf.zeros_initializer())
      taken = tf.get_local_variable("taken", [], tf.int32,
                                    initializer=tf.zeros_initializer())

    def new_reading():
      value = self.reference(quantity, gaussian_encoder)
      with tf.control_dependencies([tf.assign_add(total, value),
                                    tf.assign_add(taken, 1)]):
        return tf.identity(value)

    def mean_of_readings():
      return total.read_value() / tf.cast(taken.read_value(), tf.float32)

    with tf.control_dependencies([batch]):
      return tf.cond(taken.read_value() < readings, new_reading,
                     mean_of_readings)

  def update(self, observations):
    """Writes the batch over the oldest observations; returns the op."""
    batch = tf.shape(observations)[0]
    rows = tf.cast(tf.mod(self._stored + tf.range(tf.cast(batch, tf.int64)),
                          self.capacity), tf.int32)
    write = tf.scatter_update(self._observations, rows,
                              tf.cast(observations, tf.float32))
    with tf.control_dependencies([write]):
      return tf.assign_add(self._stored, tf.cast(batch, tf.int64))


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
  """Records a critic's estimate next to its reference while training.

  Every `every_n_steps` steps (default: `critic_tracking.every_n_steps`, gin) it
  reads the estimate and the reference. After
  warm-up, when the median ratio estimate / reference of the last `window` records
  falls below LAG_RATIO, it logs a warning that names the settings to change (at
  most once per `window` records). When training ends it writes the history to
  `results/critic_tracking_history.json` and a summary (one dict, so that dlib
  aggregates it) to `results/json/critic_tracking.json`.
  """

  def __init__(self, tracking, warmup_steps, estimator_model_dir, advice,
               every_n_steps=None, window=5):
    self._name, self._estimate, self._reference = tracking
    every_n_steps = (reading_interval() if every_n_steps is None else
                     checked_interval(every_n_steps))
    self._warmup_steps = warmup_steps
    self._estimator_model_dir = estimator_model_dir
    self._summary_path = run_files.results_json_path(estimator_model_dir,
                                                        TRACKING_FILE)
    self._history_path = run_files.results_path(estimator_model_dir,
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
    self._log_reading(step, float(estimate), float(reference))
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
          "inert. %s (The reference is the mixture of the posteriors of the last %d observations; "
          "the latent_dependence metric measures the trained model's value "
          "exactly on a finite noiseless data set: docs/mine_penalty.md.)", step,
          self._name, ratio, self._window, estimate, reference, self._advice,
          REFERENCE_MEMORY)

  def _log_reading(self, step, estimate, reference):
    """dlib's log and the estimator's summaries get `<name>_reference`, `_ratio`.

    (The training step's own logs leave them out: a reading is seconds.)
    """
    ratio = estimate / max(reference, MIN_REFERENCE)
    tf.logging.info("%s_reference = %.4g, %s_ratio = %.3g (step %d)", self._name,
                    reference, self._name, ratio, step)
    summary = tf.Summary(value=[
        tf.Summary.Value(tag=self._name + "_reference", simple_value=reference),
        tf.Summary.Value(tag=self._name + "_ratio", simple_value=ratio)])
    tf.summary.FileWriterCache.get(self._estimator_model_dir).add_summary(
        summary, step)

  def _after_warmup(self):
    return [(e, r) for s, e, r in zip(self._history["step"],
                                      self._history["estimate"],
                                      self._history["reference"])
            if s >= self._warmup_steps]

  def end(self, session):
    after = self._after_warmup()
    final_reference = None
    if after:
      # The trained encoder's reference: the mean of FINAL_READINGS readings
      # (each a new draw from the stored posteriors) at the last step.
      final_reference = float(np.mean([session.run(self._reference)
                                       for _ in range(FINAL_READINGS)]))
    ratio = median_ratio([e for e, _ in after], [r for _, r in after])
    tf.summary.FileWriterCache.get(self._estimator_model_dir).flush()
    run_files.write_json(self._history_path, dict(
        self._history, quantity=self._name, warmup_steps=self._warmup_steps))
    run_files.write_json(self._summary_path, {
        "quantity": self._name,
        "readings_after_warmup": len(after),
        "median_ratio_after_warmup": ratio,
        "lagging": bool(ratio is not None and ratio < LAG_RATIO),
        "final_estimate": self._history["estimate"][-1] if after else None,
        "last_reading_reference": self._history["reference"][-1] if after else None,
        "final_reference": final_reference,
        "final_reference_step": self._first_step + self._calls,
    })

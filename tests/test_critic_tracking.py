"""Tests of mine_plugin.methods.shared.critic_tracking: the lag warning and the files it writes."""
import json
import math
import re
import subprocess

from disentanglement_lib.utils import resources
import gin
from mine_plugin import pipeline
import numpy as np

from mine_plugin.methods.shared import critic_tracking
import pytest
import tensorflow.compat.v1 as tf


def _run_tracking_hook(tmp_path, estimate, reference, steps, warmup_steps=0,
                       estimator_dir=None):
  """Runs CriticTrackingHook over `steps` steps of constant tensors."""
  estimator_dir = estimator_dir or tmp_path / "model" / "tf_checkpoint"
  with tf.Graph().as_default():
    global_step = tf.train.get_or_create_global_step()
    train_op = tf.assign_add(global_step, 1)
    hook = critic_tracking.CriticTrackingHook(
        ("tc_density_ratio", tf.constant(estimate), tf.constant(reference)),
        warmup_steps, str(estimator_dir), "Raise mine_tc_vae.inner_steps.",
        every_n_steps=10, window=3)
    with tf.train.MonitoredSession(hooks=[hook]) as session:
      for _ in range(steps):
        session.run(train_op)
  results = tmp_path / "model" / "results"
  summary = json.loads((results / "json" / critic_tracking.TRACKING_FILE).read_text())
  history = json.loads((results / critic_tracking.TRACKING_HISTORY_FILE).read_text())
  return summary, history


def test_a_lagging_critic_is_reported_with_the_settings_to_change(tmp_path,
                                                                   caplog):
  summary, history = _run_tracking_hook(tmp_path, 0.1, 2.0, steps=100,
                                        warmup_steps=20)
  assert history["step"] == list(range(0, 100, 10))
  assert history["estimate"] == pytest.approx([0.1] * 10)
  assert summary["median_ratio_after_warmup"] == pytest.approx(0.05)
  assert summary["readings_after_warmup"] == 8  # steps 20, 30, ..., 90
  assert summary["lagging"] is True
  warnings = [r.getMessage() for r in caplog.records
              if "the critic lags" in r.getMessage()]
  # Warned once the first window after warm-up was full, then once per window.
  assert len(warnings) == 2
  assert "tc_density_ratio is 0.05 of its reference" in warnings[0]
  assert "Raise mine_tc_vae.inner_steps." in warnings[0]


def test_a_critic_that_keeps_up_is_not_reported(tmp_path, caplog):
  summary, _ = _run_tracking_hook(tmp_path, 1.5, 2.0, steps=60)
  assert summary["median_ratio_after_warmup"] == pytest.approx(0.75)
  assert summary["lagging"] is False
  assert not [r for r in caplog.records if "the critic lags" in r.getMessage()]


def test_another_estimator_directory_gets_both_files_inside_it(tmp_path):
  estimator_dir = tmp_path / "estimator"
  estimator_dir.mkdir()
  with tf.Graph().as_default():
    train_op = tf.assign_add(tf.train.get_or_create_global_step(), 1)
    hook = critic_tracking.CriticTrackingHook(
        ("x", tf.constant(1.), tf.constant(1.)), 0, str(estimator_dir), "")
    with tf.train.MonitoredSession(hooks=[hook]) as session:
      session.run(train_op)
  assert sorted(p.name for p in tmp_path.iterdir()) == ["estimator"]
  # Besides the two files, the readings' summaries (an estimator's events file).
  names = sorted(p.name for p in estimator_dir.iterdir())
  assert [n for n in names if not n.startswith("events.out.tfevents.")] == [
      critic_tracking.TRACKING_FILE, critic_tracking.TRACKING_HISTORY_FILE]
  assert len(names) == 3


def test_the_final_reference_is_the_mean_of_readings_taken_when_training_ends(
    tmp_path):
  # A reference that counts its own readings: the final one is taken after the
  # last step, as the mean of FINAL_READINGS fresh readings.
  with tf.Graph().as_default():
    global_step = tf.train.get_or_create_global_step()
    train_op = tf.assign_add(global_step, 1)
    readings = tf.Variable(0., trainable=False)
    reference = tf.assign_add(readings, 1.)
    hook = critic_tracking.CriticTrackingHook(
        ("x", tf.constant(1.), reference), 0, str(tmp_path / "model" / "tf_checkpoint"), "",
        every_n_steps=10)
    with tf.train.MonitoredSession(hooks=[hook]) as session:
      for _ in range(25):
        session.run(train_op)
  summary = json.loads((tmp_path / "model" / "results" / "json" /
                        critic_tracking.TRACKING_FILE).read_text())
  # Readings 1, 2, 3 at steps 0, 10, 20; then 4 .. 3 + FINAL_READINGS at the end.
  assert summary["last_reading_reference"] == 3.
  assert summary["final_reference"] == pytest.approx(
      3. + (critic_tracking.FINAL_READINGS + 1) / 2.)
  assert summary["final_reference_step"] == 25


def test_median_ratio_skips_uninformative_references():
  assert critic_tracking.median_ratio([0.1, 0.5, 3.], [0.01, 1., 2.]) == 1.
  assert critic_tracking.median_ratio([0.1], [0.01]) is None


def _memory_reference(quantity, observations, steps, batch_size=64, seed=0):
  """ObservationMemory fed `steps` batches drawn uniformly from `observations`.

  The stand-in encoder: mean = the observation's three values, std 0.3.
  Returns (reference before any update, reference after, stored count).
  """
  rng = np.random.RandomState(seed)
  with tf.Graph().as_default():
    tf.set_random_seed(seed)
    batch = tf.placeholder(tf.float32, [batch_size, 1, 1, 3])
    memory = critic_tracking.ObservationMemory(batch)

    def encode(images):
      mean = tf.reshape(images, [-1, 3])
      return mean, tf.fill(tf.shape(mean), 2. * np.log(0.3))

    reference = memory.reference(quantity, encode)
    update = memory.update(batch)
    with tf.Session() as session:
      session.run(tf.global_variables_initializer())
      feed = {batch: observations[rng.randint(len(observations), size=batch_size)]}
      empty = session.run(reference, feed)
      for _ in range(steps):
        session.run(update, {batch: observations[
            rng.randint(len(observations), size=batch_size)]})
      return empty, session.run(reference, feed), session.run(memory._stored)


@pytest.mark.parametrize("quantity", ["pairwise_mi_sum", "total_correlation"])
def test_the_memory_reference_is_the_exact_mixture_of_the_data(quantity):
  # 64 observations on a 4 x 4 x 4 grid, the third value tied to the first two:
  # the exact aggregate posterior is the mixture of their 64 posteriors.
  from mine_plugin.evaluation.metrics import latent_dependence  # pylint: disable=g-import-not-at-top
  grid = np.array([[a, b, c] for a in range(4) for b in range(4) for c in range(4)],
                  np.float32)
  means = np.stack([grid[:, 0], grid[:, 1],
                    (grid[:, 0] + grid[:, 1]) / 2. + 0.25 * grid[:, 2]], axis=1)
  exact = latent_dependence.mixture_dependence(
      means, np.full(means.shape, 0.09), 20000, np.random.RandomState(0))[quantity]
  assert exact > 0.5
  empty, reference, stored = _memory_reference(
      quantity, means.reshape(64, 1, 1, 3),
      critic_tracking.REFERENCE_MEMORY // 64 + 8)
  assert empty == 0.
  assert stored == critic_tracking.REFERENCE_MEMORY + 8 * 64  # kept counting
  assert reference == pytest.approx(exact, rel=0.1)


def test_an_evaluation_encodes_the_memory_for_its_first_readings_only():
  # dlib's train evaluates 1,000 batches by default; each reading encodes the
  # whole memory again, so only the first FINAL_READINGS batches take one.
  readings = critic_tracking.FINAL_READINGS
  encoded = []
  rng = np.random.RandomState(0)
  with tf.Graph().as_default():
    tf.set_random_seed(0)
    batch = tf.placeholder(tf.float32, [64, 1, 1, 3])
    memory = critic_tracking.ObservationMemory(batch)

    def encode(images):
      def count(values):
        encoded.append(len(values))
        return values
      mean = tf.reshape(tf.py_func(count, [images], tf.float32), [-1, 3])
      return mean, tf.fill(tf.shape(mean), 2. * np.log(0.3))

    reference = memory.evaluation_reference("pairwise_mi_sum", encode, batch)
    update = memory.update(batch)
    with tf.Session() as session:
      session.run(tf.global_variables_initializer())
      for _ in range(critic_tracking.REFERENCE_MEMORY // 64):
        session.run(update, {batch: rng.normal(size=(64, 1, 1, 3))})

      def evaluation(batches):
        session.run(tf.local_variables_initializer())
        del encoded[:]
        feed = {batch: np.zeros((64, 1, 1, 3))}
        values = [session.run(reference, feed) for _ in range(batches)]
        return values, len(encoded)

      values, encodings = evaluation(20)
      assert encodings == readings
      first = values[:readings]
      assert len(set(first)) == readings  # each a new draw
      assert values[readings:] == pytest.approx(
          [np.mean(first)] * (20 - readings), rel=1e-6)
      # A new evaluation (its local variables set to 0 again) reads anew.
      again, encodings = evaluation(3)
      assert encodings == 3
      assert again[0] not in first


def test_dlib_train_of_a_critic_model_ends_with_dlibs_default_evaluation(tmp_path):
  # dlib's test config as a user runs it, model.eval_steps left at dlib's 1,000:
  # before evaluation_reference each batch re-encoded the memory (~4 s at 64x64),
  # an hour after a one-step training. The timeout only turns a hang into a failure.
  model_dir = tmp_path / "model"
  command = [pipeline.console_script("dlib_train"), "--model_dir", str(model_dir),
             "--gin_config", resources.get_file(
                 "config/tests/methods/unsupervised/train_test.gin")]
  for binding in ("model.model = @pairwise_mi_vae()", "pairwise_mi_vae.lam = 1.",
                  "pairwise_mi_vae.estimator = 'mine'", "model.training_steps = 1"):
    command += ["--gin_bindings", binding]
  finished = subprocess.run(command, capture_output=True, text=True, timeout=600)
  assert finished.returncode == 0, finished.stderr[-3000:]
  train_results = json.loads(
      (model_dir / "results" / "json" / "train_results.json").read_text())
  assert math.isfinite(train_results["pairwise_mi_mine_reference"])


def test_the_reading_interval_is_a_gin_binding_and_a_bad_one_is_named():
  with gin.unlock_config():
    gin.bind_parameter("critic_tracking.every_n_steps", 7)
  try:
    hook = critic_tracking.CriticTrackingHook(
        ("tc", tf.constant(0.), tf.constant(1.)), 0, "unused", "advice")
    assert hook._every_n_steps == 7
  finally:
    gin.clear_config()
  assert critic_tracking.reading_interval() == critic_tracking.DEFAULT_EVERY_N_STEPS
  for bad in (0, -5, 2.5, True, "50"):
    with pytest.raises(ValueError, match="every_n_steps"):
      critic_tracking.CriticTrackingHook(
          ("tc", tf.constant(0.), tf.constant(1.)), 0, "unused", "advice",
          every_n_steps=bad)
    with pytest.raises(ValueError, match=r"critic_tracking.every_n_steps must be an "
                       r"integer >= 1 .*got {}".format(re.escape(repr(bad)))):
      critic_tracking.checked_interval(bad)


def _evaluate_through_an_estimator(model_dir, eval_batches):
  """TPUEstimator (CPU) trains a model with a memory, then evaluates it.

  Returns (the evaluation's metric of the reference, the readings each evaluation
  batch gave, how many readings encoded the memory).
  """
  from disentanglement_lib.methods.unsupervised import vae  # pylint: disable=g-import-not-at-top
  from tensorflow.compat.v1.estimator import tpu  # pylint: disable=g-import-not-at-top
  encodings, batch_values = [], []

  def model_fn(features, labels, mode, params):
    del labels, params
    memory = critic_tracking.ObservationMemory(features)
    scale = tf.get_variable("scale", [], initializer=tf.ones_initializer())
    loss = tf.reduce_mean(features) * scale
    if mode == tf.estimator.ModeKeys.TRAIN:
      train_op = tf.group(memory.update(features), tf.assign_add(
          tf.train.get_or_create_global_step(), 1))
      return tpu.TPUEstimatorSpec(mode=mode, loss=loss, train_op=train_op)

    def encode(images):
      def count(values):
        encodings.append(len(values))
        return values
      mean = tf.reshape(tf.py_func(count, [images], tf.float32), [-1, 3]) * scale
      return mean, tf.fill(tf.shape(mean), 2. * np.log(0.3))

    def record(value):
      batch_values.append(float(value))
      return value

    reference = memory.evaluation_reference("pairwise_mi_sum", encode, features)
    reference = tf.reshape(tf.py_func(record, [reference], tf.float32), [])
    return tpu.TPUEstimatorSpec(mode=mode, loss=loss, eval_metrics=(
        vae.make_metric_fn("reference"), [reference]))

  def input_fn(batches):
    def make(params):
      data = np.random.RandomState(0).normal(size=(6400, 1, 1, 3))
      dataset = tf.data.Dataset.from_tensor_slices(data.astype(np.float32))
      dataset = dataset.repeat().batch(params["batch_size"], drop_remainder=True)
      return dataset.take(batches) if batches else dataset
    return make

  estimator = tpu.TPUEstimator(
      use_tpu=False, model_fn=model_fn, model_dir=str(model_dir),
      train_batch_size=64, eval_batch_size=64,
      config=tpu.RunConfig(tf_random_seed=0))
  estimator.train(input_fn(None), steps=critic_tracking.REFERENCE_MEMORY // 64)
  del encodings[:]
  # As dlib's train: the input ends after `eval_batches` batches.
  result = estimator.evaluate(input_fn(eval_batches))
  return result["reference"], batch_values, len(encodings)


@pytest.mark.parametrize("eval_batches", [3, 20])
def test_an_estimators_evaluation_reports_the_mean_of_its_readings(tmp_path,
                                                                   eval_batches):
  metric, batch_values, encodings = _evaluate_through_an_estimator(
      tmp_path / "model", eval_batches)
  readings = min(eval_batches, critic_tracking.FINAL_READINGS)
  # The run that finds the input exhausted takes no reading.
  assert encodings == readings
  assert len(batch_values) == eval_batches
  assert metric == pytest.approx(np.mean(batch_values[:readings]), rel=1e-5)
  assert len(set(batch_values[:readings])) == readings


def test_a_bad_reading_interval_is_refused_before_anything_is_written(tmp_path):
  model_dir = tmp_path / "model"
  completed = subprocess.run(
      [pipeline.console_script("dlib_train"), "--model_dir", str(model_dir),
       "--gin_config", resources.get_file(
           "config/tests/methods/unsupervised/train_test.gin"),
       "--gin_bindings", "model.model = @pairwise_mi_vae()",
       "--gin_bindings", "pairwise_mi_vae.lam = 1.",
       "--gin_bindings", "pairwise_mi_vae.estimator = 'mine'",
       "--gin_bindings", "critic_tracking.every_n_steps = 2.5"],
      capture_output=True, text=True, timeout=600)
  assert completed.returncode == 1, completed.stderr[-3000:]
  last = completed.stderr.strip().splitlines()[-1]
  assert last.startswith("ValueError: critic_tracking.every_n_steps must be an "
                         "integer >= 1"), last
  assert ("got 2.5. Set it in the gin config or with --gin_bindings="
          "'critic_tracking.every_n_steps = 100' (the default). Nothing was "
          "written.") in last, last
  assert not model_dir.exists()


def _leave_one_out_total_correlation(means, std, draws, rng):
  """E over stored i and draws of log q_-i(z_i) - sum_l log q_-i(z_il), in numpy:
  z_i ~ N(means[i], std^2), q_-i the mixture of the other rows' posteriors."""
  num = len(means)
  values = []
  for _ in range(draws):
    z = means + std * rng.normal(size=means.shape)
    log_density = (-0.5 * ((z[:, None, :] - means[None, :, :]) / std) ** 2 -
                   np.log(std) - 0.5 * np.log(2. * np.pi))  # [sample, component, L]
    log_density[np.arange(num), np.arange(num)] = -np.inf  # its own component out

    def log_mixture(log_values):
      return np.logaddexp.reduce(log_values, axis=1) - np.log(num - 1)

    values.append(np.mean(log_mixture(log_density.sum(axis=2)) -
                          sum(log_mixture(log_density[:, :, l])
                              for l in range(means.shape[1]))))
  return float(np.mean(values))


@pytest.mark.parametrize("stored", [384, 1536])  # below and above REFERENCE_SAMPLES
def test_a_reading_leaves_each_samples_own_observation_out(stored):
  # Distinct, narrowly encoded observations: a sample's own component would
  # dominate its density: with it left in, TC reads +0.30 instead of -0.43 (384
  # stored) and +0.08 instead of -0.09 (1,536 stored), in numpy.
  std = 0.05
  rng = np.random.RandomState(0)
  means = rng.uniform(size=(stored, 3)).astype(np.float32)
  expected = _leave_one_out_total_correlation(means, std, 20, rng)
  with tf.Graph().as_default():
    tf.set_random_seed(0)
    batch = tf.placeholder(tf.float32, [128, 1, 1, 3])
    memory = critic_tracking.ObservationMemory(batch)

    def encode(images):
      mean = tf.reshape(images, [-1, 3])
      return mean, tf.fill(tf.shape(mean), 2. * np.log(std))

    reference = memory.reference("total_correlation", encode)
    update = memory.update(batch)
    with tf.Session() as session:
      session.run(tf.global_variables_initializer())
      for start in range(0, stored, 128):
        session.run(update, {batch: means[start:start + 128].reshape(128, 1, 1, 3)})
      readings = [session.run(reference) for _ in range(20)]
  assert expected < -0.05
  assert np.mean(readings) == pytest.approx(expected, abs=0.04)

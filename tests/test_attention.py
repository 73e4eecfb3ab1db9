"""Tests of attention_mine_vae and its modules in mine_plugin.methods.unsupervised:
the allocator's math (capacity_allocator), the model and a dlib run (the
allocation file: test_records.py)."""
import json
import math
import os

import gin
import gin.tf.external_configurables  # pylint: disable=unused-import
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from mine_plugin import pipeline
from mine_plugin.config import gin_files
from mine_plugin.methods.shared import critics
from mine_plugin.methods.unsupervised import attention_mine_vae
from mine_plugin.methods.unsupervised import capacity_allocator
from mine_plugin.records import run_files


def _run(build, feed=None):
  """Builds tensors with `build()` in a fresh graph and evaluates them."""
  graph = tf.Graph()
  with graph.as_default():
    tf.set_random_seed(0)
    fetches = build()
    with tf.Session(graph=graph) as session:
      session.run(tf.global_variables_initializer())
      return session.run(fetches, feed)


def _softmax(logits):
  logits = logits - logits.max(axis=1, keepdims=True)
  return np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)


# A hand-made allocation of 3 latent dimensions to 2 factors + the nuisance slot.
HAND_MADE = np.array([[1., 0., 0.],
                      [.5, .5, 0.],
                      [1. / 3, 1. / 3, 1. / 3]], dtype=np.float32)


def test_attention_weights_match_scaled_dot_product_softmax():
  rng = np.random.RandomState(0)
  queries = rng.normal(size=(5, 4)).astype(np.float32)
  keys = rng.normal(size=(3, 4)).astype(np.float32)
  weights = _run(lambda: capacity_allocator.attention_weights(
      tf.constant(queries), tf.constant(keys)))
  # Vaswani et al. 2017, Eq. 1, with d_k = 4: logits scaled by 1/2.
  np.testing.assert_allclose(weights, _softmax(queries @ keys.T / 2.), rtol=1e-5)
  np.testing.assert_allclose(weights.sum(axis=1), np.ones(5), rtol=1e-6)
  assert weights.shape == (5, 3)


@pytest.mark.parametrize("queries_shape, keys_shape, message", [
    ((5,), (3, 4), "queries must have rank 2"),
    ((5, 4), (3, 4, 1), "keys must have rank 2"),
    ((5, 4), (3, 2), "same, static feature size d_k"),
    ((5, 4), (1, 4), "needs one per factor plus the nuisance slot"),
])
def test_attention_weights_reject_bad_shapes(queries_shape, keys_shape, message):
  with tf.Graph().as_default():
    with pytest.raises(ValueError, match=message):
      capacity_allocator.attention_weights(tf.zeros(queries_shape),
                                           tf.zeros(keys_shape))


def test_allocation_entropy_closed_form():
  entropy = _run(lambda: capacity_allocator.allocation_entropy(
      tf.constant(HAND_MADE)))
  # Rows: one-hot (0 nats), two halves (ln 2), uniform over three (ln 3).
  assert entropy == pytest.approx((0. + math.log(2.) + math.log(3.)) / 3., rel=1e-6)


def test_capacity_l2_closed_form():
  prior = capacity_allocator.capacity_prior(2, nuisance_capacity=.2)
  np.testing.assert_allclose(prior, [.4, .4, .2], rtol=1e-6)
  capacity, l2 = _run(lambda: (
      capacity_allocator.slot_capacity(tf.constant(HAND_MADE)),
      capacity_allocator.capacity_l2(tf.constant(HAND_MADE), prior)))
  expected_capacity = np.array([(1. + .5 + 1. / 3) / 3, (.5 + 1. / 3) / 3,
                                (1. / 3) / 3])
  np.testing.assert_allclose(capacity, expected_capacity, rtol=1e-6)
  assert l2 == pytest.approx(np.sum((expected_capacity - [.4, .4, .2])**2),
                             rel=1e-5)


def test_capacity_l2_penalises_collapse_that_entropy_cannot_see():
  """All dimensions in one slot and a balanced hard partition have the same (zero)

  entropy and the same row-wise L2 norm; only the capacity prior tells them apart.
  """
  prior = capacity_allocator.capacity_prior(3)  # uniform: 1/4 per slot
  balanced = np.eye(4, dtype=np.float32)[[0, 1, 2, 3, 0, 1, 2, 3]]
  collapsed = np.eye(4, dtype=np.float32)[[3] * 8]
  values = _run(lambda: [
      (capacity_allocator.capacity_l2(tf.constant(a), prior),
       capacity_allocator.allocation_entropy(tf.constant(a)))
      for a in (balanced, collapsed)])
  (l2_balanced, h_balanced), (l2_collapsed, h_collapsed) = values
  assert h_balanced == h_collapsed == 0.
  assert l2_balanced == pytest.approx(0., abs=1e-7)
  # c = (0, 0, 0, 1) against 1/4 each: 3 (1/4)^2 + (3/4)^2 = 0.75.
  assert l2_collapsed == pytest.approx(.75, rel=1e-6)


@pytest.mark.parametrize("num_factors, nuisance, message", [
    (0, None, "num_factors must be an integer >= 1"),
    (2.5, None, "num_factors must be an integer >= 1"),
    (3, 1., r"nuisance_capacity must lie in \[0, 1\)"),
    (3, -.1, r"nuisance_capacity must lie in \[0, 1\)"),
])
def test_capacity_prior_rejects_bad_values(num_factors, nuisance, message):
  with pytest.raises(ValueError, match=message):
    capacity_allocator.capacity_prior(num_factors, nuisance)


def test_capacity_l2_rejects_prior_of_wrong_length():
  with tf.Graph().as_default():
    with pytest.raises(ValueError, match=r"prior must have shape \(3,\)"):
      capacity_allocator.capacity_l2(tf.constant(HAND_MADE),
                                     capacity_allocator.capacity_prior(3))


def test_factor_partitions_closed_form():
  z = np.array([[1., 2., 3.], [-1., 0., 4.]], dtype=np.float32)
  own, rest = _run(lambda: capacity_allocator.factor_partitions(
      tf.constant(z), tf.constant(HAND_MADE)))
  assert own.shape == rest.shape == (2, 2, 3)
  # Factor 0 owns column 0 of A, its complement is factor 1's column (column 1);
  # the nuisance column (2) enters neither.
  np.testing.assert_allclose(own[:, 0], z * HAND_MADE[:, 0], rtol=1e-6)
  np.testing.assert_allclose(rest[:, 0], z * HAND_MADE[:, 1], rtol=1e-6)
  np.testing.assert_allclose(own[:, 1], z * HAND_MADE[:, 1], rtol=1e-6)
  np.testing.assert_allclose(rest[:, 1], z * HAND_MADE[:, 0], rtol=1e-6)


def test_factor_partitions_reject_mismatched_latents():
  with tf.Graph().as_default():
    with pytest.raises(ValueError, match="z has 4 latent dimensions but the "
                       "allocation has 3 rows"):
      capacity_allocator.factor_partitions(tf.zeros([2, 4]), tf.constant(HAND_MADE))
    with pytest.raises(ValueError, match="allocation must have rank 2"):
      capacity_allocator.factor_partitions(tf.zeros([2, 3]), tf.zeros([3]))


def _mine_penalty(z, allocation):
  """The model's MINE term with a fixed (untrained) critic and a fixed shuffle."""
  own, rest = capacity_allocator.factor_partitions(z, allocation)
  # A fixed derangement of the batch instead of a random one, so that two
  # evaluations see the same marginal samples.
  joint, marginal = capacity_allocator.critic_inputs(own, rest,
                                                     tf.roll(rest, 1, axis=0))
  critic = critics.Critic("critic")
  estimate, loss, _ = critic.terms(joint, marginal, train_critic=False)
  return estimate, loss


def test_mine_penalty_has_no_gradient_through_nuisance_column():
  rng = np.random.RandomState(1)
  z = rng.normal(size=(16, 6)).astype(np.float32)
  allocation = _softmax(rng.normal(size=(6, 4))).astype(np.float32)

  def build():
    a = tf.constant(allocation)
    estimate, loss = _mine_penalty(tf.constant(z), a)
    return tf.gradients(loss, a)[0], tf.gradients(tf.reduce_sum(estimate), a)[0]

  for gradient in _run(build):
    np.testing.assert_array_equal(gradient[:, 3], np.zeros(6))
    # The factor columns do move the penalty (the test above could fail).
    assert np.all(np.abs(gradient[:, :3]).sum(axis=0) > 1e-6)


def test_mine_penalty_ignores_dimensions_assigned_to_nuisance():
  rng = np.random.RandomState(2)
  z = rng.normal(size=(16, 6)).astype(np.float32)
  # Dimensions 0-3 split among three factors, dimensions 4 and 5 wholly nuisance.
  allocation = np.eye(4, dtype=np.float32)[[0, 1, 2, 0, 3, 3]]
  z_changed = z.copy()
  z_changed[:, 4:] = rng.normal(scale=5., size=(16, 2))
  z_factor_changed = z.copy()
  z_factor_changed[:, 0] = rng.normal(scale=5., size=16)

  def build():
    z_in = tf.placeholder(tf.float32, [16, 6])
    estimate, _ = _mine_penalty(z_in, tf.constant(allocation))
    return z_in, estimate

  graph = tf.Graph()
  with graph.as_default():
    tf.set_random_seed(0)
    z_in, estimate = build()
    with tf.Session() as session:
      session.run(tf.global_variables_initializer())
      values = [session.run(estimate, {z_in: v})
                for v in (z, z_changed, z_factor_changed)]
  np.testing.assert_array_equal(values[0], values[1])
  # Changing a factor dimension does change the estimate.
  assert np.abs(values[0] - values[2]).max() > 1e-4


def test_allocate_rows_sum_to_one_and_variables_live_in_scope():
  names = []

  def build():
    with tf.variable_scope("attention_allocator"):
      allocation = capacity_allocator.allocate(num_latent=10, num_factors=3)
    names.extend(v.op.name for v in tf.trainable_variables())
    return allocation

  allocation = _run(build)
  assert allocation.shape == (10, 4)
  np.testing.assert_allclose(allocation.sum(axis=1), np.ones(10), rtol=1e-5)
  assert sorted(names) == ["attention_allocator/" + n for n in (
      "key_kernel", "latent_embeddings", "query_kernel", "slot_embeddings")]


def test_allocate_rejects_bad_sizes():
  with tf.Graph().as_default():
    with pytest.raises(ValueError, match="num_factors must be an integer >= 1"):
      capacity_allocator.allocate(num_latent=10, num_factors=0)


def _entropy_after_optimising(gamma, steps=300):
  """Optimises the allocator alone on alpha * L2 + gamma * H; returns H."""
  def build():
    allocation = capacity_allocator.allocate(num_latent=10, num_factors=3)
    entropy = capacity_allocator.allocation_entropy(allocation)
    objective = (capacity_allocator.capacity_l2(
        allocation, capacity_allocator.capacity_prior(3)) + gamma * entropy)
    return entropy, tf.train.AdamOptimizer(0.05).minimize(objective)

  graph = tf.Graph()
  with graph.as_default():
    tf.set_random_seed(0)
    entropy, train_op = build()
    with tf.Session() as session:
      session.run(tf.global_variables_initializer())
      initial = session.run(entropy)
      for _ in range(steps):
        session.run(train_op)
      return initial, session.run(entropy)


def test_entropy_falls_as_gamma_grows():
  results = {gamma: _entropy_after_optimising(gamma) for gamma in (0., .05, 1.)}
  initial = results[0.][0]
  final = {gamma: value for gamma, (_, value) in results.items()}
  assert final[0.] > final[.05] > final[1.]
  # gamma = 0 leaves the rows soft; a large gamma makes the allocation nearly hard.
  assert final[0.] > .5 * initial
  assert final[1.] < .05 * math.log(4.)


def _train_step_changes(vae_learning_rate, critic_learning_rate,
                        allocator="attention"):
  """Runs one training step of attention_mine_vae; returns which scopes changed."""
  gin.clear_config()
  gin.parse_config([
      "encoder.num_latent = 6",
      "encoder.encoder_fn = @test_encoder",
      "decoder.decoder_fn = @test_decoder",
      "reconstruction_loss.loss_fn = @bernoulli_loss",
      "vae_optimizer.optimizer_fn = @vae/GradientDescentOptimizer",
      "vae_optimizer.learning_rate = {}".format(vae_learning_rate),
      "critic_optimizer.optimizer_fn = @critic/GradientDescentOptimizer",
      "critic_optimizer.learning_rate = {}".format(critic_learning_rate),
  ])
  try:
    model = attention_mine_vae.AttentionMineVAE(
        num_factors=2, lam=1., alpha=1., gamma=1., warmup_steps=0,
        allocator=allocator)
    graph = tf.Graph()
    with graph.as_default():
      tf.set_random_seed(0)
      tf.train.get_or_create_global_step()
      features = tf.constant(np.random.RandomState(0).uniform(
          size=(8, 64, 64, 1)).astype(np.float32))
      spec = model.model_fn(features, None, tf.estimator.ModeKeys.TRAIN, {})
      train_op = spec.as_estimator_spec().train_op
      variables = tf.trainable_variables()
      with tf.Session() as session:
        session.run(tf.global_variables_initializer())
        before = session.run(variables)
        session.run(train_op)
        after = session.run(variables)
  finally:
    gin.clear_config()
  changed = {}
  for variable, old, new in zip(variables, before, after):
    scope = variable.op.name.split("/")[0]
    changed.setdefault(scope, []).append(not np.array_equal(old, new))
  return {scope: any(flags) for scope, flags in changed.items()}


def test_critic_and_vae_optimizers_train_disjoint_variables():
  scopes = {"encoder", "decoder", "attention_allocator", "attention_critic"}
  only_critic = _train_step_changes(vae_learning_rate=0., critic_learning_rate=.1)
  assert set(only_critic) == scopes
  assert only_critic == {"encoder": False, "decoder": False,
                         "attention_allocator": False, "attention_critic": True}
  only_vae = _train_step_changes(vae_learning_rate=.1, critic_learning_rate=0.)
  assert only_vae == {"encoder": True, "decoder": True,
                      "attention_allocator": True, "attention_critic": False}


def test_fixed_allocation_is_hard_balanced_and_leaves_the_nuisance_empty():
  np.testing.assert_array_equal(capacity_allocator.fixed_allocation(5, 2), [
      [1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 1, 0], [1, 0, 0]])
  with pytest.raises(ValueError, match="num_factors must be an integer >= 1, got 0"):
    capacity_allocator.fixed_allocation(4, 0)


def test_without_the_allocator_the_critic_and_the_vae_still_train():
  # The ablation: no allocator variables, the same penalty on fixed partitions.
  only_critic = _train_step_changes(vae_learning_rate=0., critic_learning_rate=.1,
                                    allocator="fixed")
  assert only_critic == {"encoder": False, "decoder": False,
                         "attention_critic": True}
  only_vae = _train_step_changes(vae_learning_rate=.1, critic_learning_rate=0.,
                                 allocator="fixed")
  assert only_vae == {"encoder": True, "decoder": True, "attention_critic": False}
  with pytest.raises(ValueError, match="allocator must be one of 'attention', "
                     "'fixed', got 'none'"):
    attention_mine_vae.AttentionMineVAE(lam=1., alpha=0., gamma=0., allocator="none")


def test_model_rejects_bad_hyperparameters():
  with pytest.raises(ValueError, match="attention_mine_vae.gamma must be a finite "
                     "number >= 0, got -1"):
    attention_mine_vae.AttentionMineVAE(lam=1., alpha=1., gamma=-1.)
  with pytest.raises(ValueError, match="inner_steps must be an integer >= 1"):
    attention_mine_vae.AttentionMineVAE(lam=1., alpha=1., gamma=1., inner_steps=0)
  with pytest.raises(ValueError, match="Unknown MINE bound"):
    attention_mine_vae.AttentionMineVAE(lam=1., alpha=1., gamma=1., bound="infonce")


def test_allocation_goes_beside_dlibs_results():
  assert attention_mine_vae.allocation_path("/m/tf_checkpoint") == (
      "/m/results/json/" + run_files.ALLOCATION_FILE)


@pytest.fixture(scope="module")
def dlib_run(tmp_path_factory):
  """dlib's chain (train -> postprocess -> evaluate MIG), a few steps, 32x32."""
  model_dir = str(tmp_path_factory.mktemp("attention") / "run")
  return pipeline.run_pipeline(
      model_dir,
      [gin_files.plugin_config("shared.gin"),
       gin_files.plugin_config("models/attention_mine_vae.gin")],
      ("model.training_steps=4", "model.batch_size=8", "model.eval_steps=2",
       "dataset.name='synthetic_squares_32'",
       "encoder.encoder_fn=@conv_encoder_32",
       "decoder.decoder_fn=@deconv_decoder_32"),
      postprocess=("mean",), metrics=("mig",),
      metric_bindings=("mig.num_train=100",))


def test_dlib_run_exports_a_readable_allocation(dlib_run):
  trained = os.path.join(dlib_run.model_dir, "model")
  allocation = run_files.read_allocation(trained)
  assert allocation.shape == (10, 4)  # shared.gin: 10 latents; K = 3 + nuisance.
  np.testing.assert_allclose(allocation.sum(axis=1), np.ones(10), rtol=1e-5)
  # The same matrix is in dlib's own train results, as EVAL metrics ...
  with open(os.path.join(trained, "results", "json",
                         "train_results.json")) as results_file:
    results = json.load(results_file)
  names = attention_mine_vae.allocation_metric_names(10, 3)
  np.testing.assert_allclose([results[n] for n in names], allocation.ravel(),
                             rtol=1e-5)
  # ... and dlib copied the file into the postprocessed representation's results.
  np.testing.assert_allclose(run_files.read_allocation(
      os.path.join(dlib_run.model_dir, "postprocessed", "mean")), allocation)
  mig = dlib_run.scores["mean"]["mig"]["discrete_mig"]
  assert 0. <= mig <= 1.


def test_partition_dependence_proxy_weighs_pairwise_mi_by_the_partitions():
  # Hard allocation: dims 0, 1 -> factor0, dim 2 -> factor1, dim 3 -> nuisance.
  # factor0's partition {0, 1} vs the others' {2}: I_02 + I_12; factor1's {2} vs
  # {0, 1}: I_20 + I_21. The nuisance dimension 3 enters neither.
  pairwise = np.array([[0., 1., 2., 4.],
                       [1., 0., 3., 5.],
                       [2., 3., 0., 6.],
                       [4., 5., 6., 0.]], np.float32)
  allocation = np.eye(3, dtype=np.float32)[[0, 0, 1, 2]]
  with tf.Graph().as_default(), tf.Session() as session:
    proxy = session.run(capacity_allocator.partition_dependence_proxy(
        tf.constant(pairwise), tf.constant(allocation)))
  assert proxy == pytest.approx(2. * (2. + 3.))

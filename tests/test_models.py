"""Tests of penalized_vae and its models (mine_tc_vae, pairwise_mi_vae,
lambda_beta_vae in mine_plugin.methods.unsupervised): loss composition,
optimizer/variable separation, TF-Hub export, NaN handling, equality with dlib's
beta-VAE, and dlib's pipeline."""
import concurrent.futures
import json
import math
import os
import pathlib
import re

from disentanglement_lib.methods.unsupervised import gaussian_encoder_model
from disentanglement_lib.methods.unsupervised import train  # pylint: disable=unused-import
from disentanglement_lib.methods.unsupervised import vae
import gin
from mine_plugin.methods.shared import critic_tracking
from mine_plugin.methods.shared import critics
from mine_plugin.methods.shared import estimators
from mine_plugin.methods.unsupervised import critic_penalty
from mine_plugin.methods.unsupervised import lambda_beta_vae
from mine_plugin.methods.unsupervised import mine_tc_vae
from mine_plugin.methods.unsupervised import pairwise_mi_vae
from mine_plugin.methods.unsupervised import penalized_vae
from mine_plugin import pipeline
from mine_plugin.config import gin_files
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

GIN_CONFIGS = pathlib.Path(gin_files.GIN_CONFIGS)
SHAPE = [64, 64, 1]
TRAIN = tf.estimator.ModeKeys.TRAIN


@pytest.fixture(autouse=True)
def shared_config():
  gin.clear_config()
  gin.parse_config_files_and_bindings([str(GIN_CONFIGS / "shared.gin")],
                                      ["dataset.name = 'dummy_data'"])
  yield
  gin.clear_config()


def bind(key, value):
  with gin.unlock_config():
    gin.bind_parameter(key, value)


def batch(size=4, seed=0):
  return np.random.RandomState(seed).rand(size, *SHAPE).astype(np.float32)


class Built(object):
  """A model_fn built in its own graph with an initialised session."""

  def __init__(self, model, features=None, seed=0, checkpoint=None):
    self.graph = tf.Graph()
    with self.graph.as_default():
      tf.set_random_seed(seed)
      self.global_step = tf.train.get_or_create_global_step()
      self.spec = model.model_fn(tf.constant(batch() if features is None
                                             else features),
                                 None, TRAIN, {})
      # The model's logs (name -> tensor); None for a dlib model, whose logging
      # hook keeps its tensors private.
      hook = self.spec.training_hooks[0]
      self.logs = (hook.logs if isinstance(hook, penalized_vae.LoggingHook)
                   else None)
      self.session = tf.Session(graph=self.graph)
      self.session.run(tf.global_variables_initializer())
      if checkpoint is not None:
        tf.train.Saver().restore(self.session, checkpoint)

  def save(self, path):
    with self.graph.as_default():
      return tf.train.Saver().save(self.session, path)

  def run(self, fetches):
    return self.session.run(fetches)

  def values(self, prefixes):
    with self.graph.as_default():
      variables = [v for v in tf.trainable_variables()
                   if v.op.name.startswith(prefixes)]
    return dict(zip([v.op.name for v in variables], self.run(variables)))


def mine_models():
  return [mine_tc_vae.MineTCVAE(beta=6., estimator="mine"),
          mine_tc_vae.MineTCVAE(beta=6., estimator="density_ratio"),
          pairwise_mi_vae.PairwiseMIVAE(lam=1., estimator="mine"),
          pairwise_mi_vae.PairwiseMIVAE(lam=1., estimator="density_ratio"),
          pairwise_mi_vae.PairwiseMIVAE(lam=1., estimator="club")]


MINE_MODEL_IDS = ["tc_mine", "tc_density_ratio", "pairwise_mine",
                  "pairwise_density_ratio", "pairwise_club"]


@pytest.mark.parametrize("model", mine_models(), ids=MINE_MODEL_IDS)
def test_vae_and_critic_optimizers_update_disjoint_variables(model):
  critic = model.penalty.critic_scope + "/"
  vae_scopes = ("encoder/", "decoder/")
  for frozen, moving in (("vae", critic), ("critic", vae_scopes)):
    # With one optimizer's learning rate at 0, only the other one's variables move.
    bind(frozen + "/AdamOptimizer.learning_rate", 0.)
    built = Built(model)
    before = built.values(vae_scopes + (critic,))
    built.run(built.spec.train_op)
    after = built.values(vae_scopes + (critic,))
    bind(frozen + "/AdamOptimizer.learning_rate", 1e-4)
    for name in before:
      changed = not np.array_equal(before[name], after[name])
      if name == critic + "output/bias":
        # The DV bound is invariant to T + c: this gradient is 0 up to rounding,
        # so this bias may or may not move, but never under the frozen optimizer.
        assert not changed or name.startswith(moving)
      else:
        assert changed == name.startswith(moving), (frozen, name)


def test_inner_critic_steps_run_once_each_and_the_global_step_once():
  built = Built(mine_tc_vae.MineTCVAE(beta=6., estimator="mine", inner_steps=3))
  built.run(built.spec.train_op)
  with built.graph.as_default():
    powers = sorted(built.run([v for v in tf.global_variables()
                               if v.op.name.startswith("beta1_power")]))
  # Adam's beta1^(1 + updates): critic beta1 = 0.5, vae beta1 = 0.9.
  np.testing.assert_allclose(powers, [0.5 ** 4, 0.9 ** 2], rtol=1e-6)
  assert built.run(built.global_step) == 1
  # The critic updates ran MINE's moving average (initially -inf).
  with built.graph.as_default():
    log_ma = tf.global_variables("tc_critic/log_moving_average")
  assert np.isfinite(built.run(log_ma[0]))


@pytest.mark.parametrize("model", mine_models(), ids=MINE_MODEL_IDS)
def test_exported_tf_hub_module_holds_only_encoder_and_decoder(model, tmp_path):
  built = Built(model)
  with built.graph.as_default():
    checkpoint = tf.train.Saver().save(built.session, str(tmp_path / "ckpt"))
  saved = [name for name, _ in tf.train.list_variables(checkpoint)]
  assert any(name.startswith(model.penalty.critic_scope + "/") for name in saved)
  export = str(tmp_path / "tfhub")
  gaussian_encoder_model.export_as_tf_hub(model, SHAPE, checkpoint, export)
  exported = [name for name, _ in tf.train.list_variables(
      os.path.join(export, "variables", "variables"))]
  assert exported
  assert all(name.split("/")[0] in ("encoder", "decoder") for name in exported)


def test_lambda_zero_gives_dlibs_beta_vae_loss_exactly(tmp_path):
  # Same batch, same weights (TF 2's layer initialisers ignore the graph seed, so
  # they are copied through a checkpoint) and the same graph seed, which fixes the
  # sampling noise as both graphs create the same ops before sampling.
  features = batch(seed=7)
  dlib = Built(vae.BetaVAE(beta=4.), features, seed=3)
  dlib_loss = dlib.run(dlib.spec.loss)
  weights = dlib.save(str(tmp_path / "beta_vae"))
  ours = Built(lambda_beta_vae.LambdaBetaVAE(beta=4., lam=0.), features, seed=3,
               checkpoint=weights)
  assert ours.run(ours.spec.loss) == dlib_loss
  # ... and lam > 0 adds exactly lam * the logged L2 term on the same sample.
  lam = Built(lambda_beta_vae.LambdaBetaVAE(beta=4., lam=2.5), features, seed=3,
              checkpoint=weights)
  loss, l2 = lam.run([lam.spec.loss, lam.logs["reconstruction_l2"]])
  assert loss == pytest.approx(dlib_loss + 2.5 * l2, rel=1e-6)


def test_reconstruction_l2_is_the_squared_error_of_the_bernoulli_mean():
  rng = np.random.RandomState(0)
  x = rng.rand(3, 4, 4, 1).astype(np.float32)
  logits = rng.randn(3, 4, 4, 1).astype(np.float32)
  with tf.Graph().as_default(), tf.Session() as session:
    outputs = penalized_vae.VAEOutputs(tf.constant(x), tf.constant(logits),
                                       *([None] * 5))
    terms = lambda_beta_vae.ReconstructionL2(0.5)(outputs, True)
    loss, logged = session.run([terms.loss, terms.logs["reconstruction_l2"]])
  expected = np.mean(np.sum((x - 1. / (1. + np.exp(-logits))) ** 2, axis=(1, 2, 3)))
  assert logged == pytest.approx(expected, rel=1e-5)
  assert loss == pytest.approx(0.5 * expected, rel=1e-5)
  assert terms.critic_loss is None


@pytest.mark.parametrize("model,weight,log", [
    (mine_tc_vae.MineTCVAE(beta=6., estimator="mine", warmup_steps=0), 5.,
     "tc_mine"),
    (mine_tc_vae.MineTCVAE(beta=3., estimator="mine", bound="nwj",
                           warmup_steps=0), 2., "tc_mine"),
    (mine_tc_vae.MineTCVAE(beta=6., warmup_steps=0), 5., "tc_density_ratio"),
    (pairwise_mi_vae.PairwiseMIVAE(beta=2., lam=3.), 3., "pairwise_mi"),
    (pairwise_mi_vae.PairwiseMIVAE(beta=2., lam=3., estimator="mine",
                                   warmup_steps=0), 3., "pairwise_mi_mine"),
    (pairwise_mi_vae.PairwiseMIVAE(beta=2., lam=3., estimator="density_ratio",
                                   warmup_steps=0), 3.,
     "pairwise_mi_density_ratio"),
    (lambda_beta_vae.LambdaBetaVAE(beta=4., lam=0.5), 0.5, "reconstruction_l2"),
], ids=["mine_tc", "mine_tc_nwj", "density_ratio_tc", "pairwise_mws",
        "pairwise_mine", "pairwise_density_ratio", "lambda_beta"])
def test_loss_is_reconstruction_plus_beta_kl_plus_weighted_penalty(model, weight,
                                                                   log):
  built = Built(model)
  logs = built.run(built.logs)
  expected = (logs["reconstruction_loss"] + model.beta * logs["kl_loss"] +
              weight * logs[log])
  assert logs["loss"] == pytest.approx(expected, rel=1e-6)
  assert logs["elbo"] == pytest.approx(
      -(logs["reconstruction_loss"] + logs["kl_loss"]), rel=1e-6)
  assert all(np.isfinite(value) for value in logs.values())


@pytest.mark.parametrize("warmup_steps", [0, 1, 500])
def test_warmup_switches_the_penalty_on_at_its_step(warmup_steps):
  # Off before global step `warmup_steps`, on from it; the estimate and its
  # reference are logged either way.
  built = Built(mine_tc_vae.MineTCVAE(beta=6., warmup_steps=warmup_steps))
  for step in sorted({max(warmup_steps - 1, 0), warmup_steps}):
    with built.graph.as_default():
      built.run(built.global_step.assign(step))
    logs = built.run(built.logs)
    penalty = 5. * logs["tc_density_ratio"] if step >= warmup_steps else 0.
    assert logs["regularizer"] == pytest.approx(logs["kl_loss"] + penalty,
                                                rel=1e-6), step
  assert logs["tc_density_ratio_ratio"] == pytest.approx(
      logs["tc_density_ratio"] / max(logs["tc_density_ratio_reference"], 0.05),
      rel=1e-5)


class _StrayVariablePenalty(penalized_vae.Penalty):
  """Creates a trainable variable outside every optimizer's scope."""

  name = "stray"

  def __call__(self, outputs, is_training):
    with tf.variable_scope("stray", reuse=tf.AUTO_REUSE):
      weight = tf.get_variable("weight", shape=[], initializer=tf.ones_initializer())
    return penalized_vae.PenaltyTerms(weight * outputs.kl_loss, None, {})


def test_variables_outside_every_optimizer_scope_are_an_error():
  with pytest.raises(ValueError, match=r"\['stray/weight'\] are in no optimizer's "
                                       r"scope.*outer_scope=None"):
    Built(penalized_vae.PenalizedVAE(_StrayVariablePenalty(), beta=1.))


def test_nan_in_the_critic_stops_training_and_names_the_term():
  exploding = lambda inputs: tf.exp(1e4 * critics.mlp_critic(inputs) + 1e4)
  model = mine_tc_vae.MineTCVAE(beta=6., estimator="mine")
  model.penalty.critic.critic_fn = exploding
  built = Built(model)
  before = built.values(("encoder/", "tc_critic/"))
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match="'tc_mine_critic_loss' of MineTCVAE is NaN or inf"):
    built.run(built.spec.train_op)
  after = built.values(("encoder/", "tc_critic/"))
  # The check runs before any update: nothing was overwritten with NaN.
  for name in before:
    np.testing.assert_array_equal(before[name], after[name])


def test_pair_samples_feed_every_pair_with_its_id_through_one_batch():
  z_np = np.arange(12, dtype=np.float32).reshape(4, 3)
  with tf.Graph().as_default(), tf.Session() as session:
    joint, marginal = session.run(
        pairwise_mi_vae.PairwiseCriticMutualInformation.pair_samples(
            tf.constant(z_np)))
  first, second = estimators.pairs(3)  # (0,1), (0,2), (1,2)
  assert joint.shape == marginal.shape == (4, 3, 2 + 3)
  np.testing.assert_array_equal(joint[:, :, 0], z_np[:, first])
  np.testing.assert_array_equal(joint[:, :, 1], z_np[:, second])
  np.testing.assert_array_equal(joint[:, :, 2:], np.broadcast_to(np.eye(3),
                                                                 (4, 3, 3)))
  np.testing.assert_array_equal(marginal[:, :, 0], z_np[:, first])
  np.testing.assert_array_equal(marginal[:, :, 2:], joint[:, :, 2:])
  # The second member comes from one permutation of the batch rows.
  rows = [int(np.where(z_np[:, 2] == v)[0][0]) for v in marginal[:, 2, 1]]
  np.testing.assert_array_equal(marginal[:, :, 1], z_np[rows][:, second])
  assert sorted(rows) == [0, 1, 2, 3]


def _outputs(z_sampled, z_mean, z_logvar):
  return penalized_vae.VAEOutputs(None, None, z_mean, z_logvar, z_sampled, None,
                                  None)


def test_more_samples_per_input_draw_from_each_posterior():
  penalty = pairwise_mi_vae.PairwiseMIVAE(
      lam=1., estimator="density_ratio", samples_per_input=3).penalty
  mean = np.array([[0., 5., -5.], [1., 2., 3.]], np.float32)
  with tf.Graph().as_default(), tf.Session() as session:
    z = tf.constant(np.full((2, 3), 9., np.float32))
    outputs = _outputs(z, tf.constant(mean),
                       tf.constant(np.full((2, 3), np.log(1e-4), np.float32)))
    codes = penalty.codes(outputs, is_training=True)
    draws = np.stack([session.run(codes) for _ in range(200)])
    evaluated = session.run(penalty.codes(outputs, is_training=False))
  assert draws.shape == (200, 6, 3)
  np.testing.assert_array_equal(draws[:, :2], 9.)  # the batch's own sample first
  for k in (1, 2):  # then draws of N(mean, 0.01^2)
    np.testing.assert_allclose(draws[:, 2 * k:2 * k + 2].mean(0), mean, atol=0.003)
    np.testing.assert_allclose(draws[:, 2 * k:2 * k + 2].std(0), 0.01, rtol=0.2)
  assert evaluated.shape == (2, 3)


def test_replay_keeps_the_last_batches_codes_for_the_critic():
  penalty = pairwise_mi_vae.PairwiseMIVAE(
      lam=1., estimator="density_ratio", replay_batches=2).penalty
  with tf.Graph().as_default(), tf.Session() as session:
    z = tf.placeholder(tf.float32, [4, 3])
    stored = penalty.replay_memory(z)
    penalty.replay_write(z)
    writes = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    assert len(writes) == 1
    session.run(tf.global_variables_initializer())
    batches = [np.full((4, 3), k, np.float32) for k in (1., 2., 3.)]
    assert session.run(stored).shape == (0, 3)
    for k, values in enumerate(batches):
      session.run(writes, {z: values})
      held = session.run(stored)
      assert held.shape == (4 * min(k + 1, 2), 3)
    # After three batches the memory holds the last two (the oldest overwritten).
    assert sorted(set(held[:, 0])) == [2., 3.]


def test_a_model_with_every_critic_setting_trains(tmp_path):
  model = pairwise_mi_vae.PairwiseMIVAE(
      lam=1., estimator="density_ratio", samples_per_input=2, replay_batches=3,
      critic_fn=critics.separable_pair_critic, warmup_steps=0)
  built = Built(model)
  for _ in range(4):
    built.run(built.spec.train_op)
  with built.graph.as_default():
    stored = [v for v in tf.global_variables()
              if v.op.name.endswith("pairwise_mi_replay/stored")]
  assert built.run(stored[0]) == 4 * 4  # one write of the batch per step
  assert built.run(built.global_step) == 4
  # The write comes after the last critic update (its control input).
  with built.graph.as_default():
    write = [op for op in tf.get_collection(tf.GraphKeys.UPDATE_OPS)]
  assert len(write) == 1
  ancestors, frontier = set(), [write[0].op if hasattr(write[0], "op") else write[0]]
  while frontier:
    op = frontier.pop()
    for parent in list(op.control_inputs) + [t.op for t in op.inputs]:
      if parent not in ancestors:
        ancestors.add(parent)
        frontier.append(parent)
  assert any(op.name.startswith("critic_step_{}".format(model.penalty.inner_steps - 1))
             for op in ancestors)
  assert np.isfinite(built.run(built.logs["pairwise_mi_density_ratio"]))


def test_the_separable_critic_is_a_low_rank_function_of_the_pair():
  # T(a_i, b_j) for a fixed pair is f(a_i) . g(b_j) + c: rank <= embedding + 1,
  # where an MLP critic of the same inputs is of full rank.
  values = np.linspace(-2., 2., 12).astype(np.float32)
  grid = np.stack(np.meshgrid(values, values, indexing="ij"), -1).reshape(-1, 2)
  inputs = np.concatenate([grid, np.tile([[1., 0., 0.]], (len(grid), 1))], 1)
  ranks = {}
  for name, critic in (("separable", lambda x: critics.separable_pair_critic(
      x, hidden_units=(16,), embedding=2)), ("mlp", critics.mlp_critic)):
    with tf.Graph().as_default(), tf.Session() as session:
      tf.set_random_seed(0)
      out = critic(tf.constant(inputs.astype(np.float32)))
      session.run(tf.global_variables_initializer())
      matrix = session.run(out).reshape(12, 12)
    singular = np.linalg.svd(matrix.astype(np.float64), compute_uv=False)
    ranks[name] = int(np.sum(singular > 1e-4 * singular[0]))
  assert ranks["separable"] <= 3
  assert ranks["mlp"] >= 6


def test_invalid_settings_name_the_value_and_the_valid_ones():
  with pytest.raises(ValueError, match="'mws', 'mine', 'density_ratio', 'club'"):
    pairwise_mi_vae.PairwiseMIVAE(lam=1., estimator="kde")
  with pytest.raises(ValueError, match="'mine', 'density_ratio'"):
    mine_tc_vae.MineTCVAE(beta=6., estimator="mws")
  # vCLUB estimates the MI of two variables: not TC.
  with pytest.raises(ValueError, match="'club' for MineTotalCorrelation; valid: "
                     "'mine', 'density_ratio'"):
    mine_tc_vae.MineTCVAE(beta=6., estimator="club")
  with pytest.raises(ValueError, match="bound='nwj' applies to estimator 'mine' "
                     "only; the 'club' critic"):
    pairwise_mi_vae.PairwiseMIVAE(lam=1., estimator="club", bound="nwj")
  with pytest.raises(ValueError, match="warmup_steps must be an integer >= 0"):
    pairwise_mi_vae.PairwiseMIVAE(lam=1., estimator="density_ratio", warmup_steps=-1)
  with pytest.raises(ValueError, match="bound='nwj' applies to estimator 'mine'"):
    mine_tc_vae.MineTCVAE(beta=6., estimator="density_ratio", bound="nwj")
  with pytest.raises(ValueError, match="pairwise_mi_vae.replay_batches must be an "
                     "integer >= 0, got -2"):
    pairwise_mi_vae.PairwiseMIVAE(lam=1., estimator="mine", replay_batches=-2)
  with pytest.raises(ValueError, match="pairwise_mi_vae.samples_per_input must be "
                     "an integer >= 1, got 0"):
    pairwise_mi_vae.PairwiseMIVAE(lam=1., estimator="mine", samples_per_input=0)
  with pytest.raises(ValueError, match="inner_steps must be an integer >= 1"):
    mine_tc_vae.MineTCVAE(beta=6., inner_steps=0)
  with pytest.raises(ValueError, match="'dv', 'nwj'"):
    mine_tc_vae.MineTCVAE(beta=6., bound="infonce")
  with pytest.raises(TypeError, match="must be a mine_plugin.methods.unsupervised."
                     "penalized_vae.Penalty"):
    penalized_vae.PenalizedVAE(penalty="tc")
  with pytest.raises(ValueError, match=r"pairwise_mi_vae.lam must be a finite "
                     r"number >= 0, got 'x' \(a str\)"):
    pairwise_mi_vae.PairwiseMIVAE(lam="x")
  with pytest.raises(ValueError, match="pairwise_mi_vae.lam must be a finite "
                     "number >= 0, got -1"):
    pairwise_mi_vae.PairwiseMIVAE(lam=-1.)
  with pytest.raises(ValueError, match="lambda_beta_vae.lam .* got nan"):
    lambda_beta_vae.LambdaBetaVAE(beta=1., lam=float("nan"))
  with pytest.raises(ValueError, match="mine_tc_vae.beta must be a finite number "
                     ">= 1, got 0.5"):
    mine_tc_vae.MineTCVAE(beta=0.5)


def test_one_latent_dimension_is_an_error_for_the_pairwise_penalty():
  bind("encoder.num_latent", 1)
  for estimator in ("mws", "density_ratio"):
    with pytest.raises(ValueError, match="needs >= 2 latent dimensions .* got "
                       "encoder.num_latent = 1"):
      Built(pairwise_mi_vae.PairwiseMIVAE(lam=1., estimator=estimator))


@pytest.mark.parametrize("settings, unused", [
    (dict(estimator="mws", inner_steps=3, bound="nwj"),
     "pairwise_mi_vae.bound (= 'nwj'), pairwise_mi_vae.inner_steps (= 3); they "
     "apply only to the critic estimators 'mine', 'density_ratio', 'club'"),
    (dict(estimator="mws", warmup_steps=0), "pairwise_mi_vae.warmup_steps"),
    (dict(estimator="club", ema_decay=0.5),
     "pairwise_mi_vae.ema_decay (= 0.5); it applies only to estimator 'mine' "
     "with bound 'dv'"),
    (dict(estimator="density_ratio", ema_decay=0.5), "pairwise_mi_vae.ema_decay"),
    (dict(estimator="mine", bound="nwj", ema_decay=0.5),
     "pairwise_mi_vae.ema_decay"),
], ids=["mws_bound_inner_steps", "mws_warmup", "club_ema", "density_ratio_ema",
        "nwj_ema"])
def test_a_setting_the_estimator_does_not_use_is_an_error(settings, unused):
  with pytest.raises(ValueError, match=re.escape(
      "pairwise_mi_vae.estimator = {!r} does not use {}".format(
          settings["estimator"], unused))):
    pairwise_mi_vae.PairwiseMIVAE(lam=1., **settings)


def test_unused_settings_at_their_defaults_are_accepted():
  # dlib's train.gin of a trained model lists every parameter, defaults included.
  pairwise_mi_vae.PairwiseMIVAE(
      lam=1., estimator="mws", bound="dv",
      inner_steps=critic_penalty.DEFAULT_INNER_STEPS, ema_decay=0.99,
      warmup_steps=critic_penalty.DEFAULT_WARMUP_STEPS)
  for estimator in ("club", "density_ratio"):
    pairwise_mi_vae.PairwiseMIVAE(lam=1., estimator=estimator, ema_decay=0.99)
  model = pairwise_mi_vae.PairwiseMIVAE(lam=1., estimator="mine", ema_decay=0.5)
  assert model.penalty.critic.ema_decay == 0.5


MODEL_CONFIGS = {
    # config file: (model.model, a penalty log that dlib_train saves)
    "beta_vae": ("@vae()", None),
    "beta_tc_vae": ("@beta_tc_vae()", None),
    "mine_tc_vae": ("@mine_tc_vae()", "tc_density_ratio"),
    "pairwise_mi_vae": ("@pairwise_mi_vae()", "pairwise_mi"),
    "pairwise_mi_vae_mine": ("@pairwise_mi_vae()", "pairwise_mi_mine"),
    "pairwise_mi_vae_density_ratio": ("@pairwise_mi_vae()",
                                      "pairwise_mi_density_ratio"),
    "pairwise_mi_vae_club": ("@pairwise_mi_vae()", "pairwise_mi_club"),
    "lambda_beta_vae": ("@lambda_beta_vae()", "reconstruction_l2"),
    "info_vae": ("@info_vae()", "mmd"),
}


@pytest.mark.parametrize("name", sorted(MODEL_CONFIGS))
def test_model_configs_parse_with_shared_gin(name):
  gin.clear_config()
  gin.parse_config_files_and_bindings(
      [str(GIN_CONFIGS / "shared.gin"), str(GIN_CONFIGS / "models" / (name + ".gin"))],
      [])
  assert gin.query_parameter("model.name") == name
  assert str(gin.query_parameter("model.model")) == MODEL_CONFIGS[name][0]
  assert (GIN_CONFIGS / "models" / (name + ".gin")).read_text().startswith(
      "#") and "\nimport mine_plugin\n" in (
          GIN_CONFIGS / "models" / (name + ".gin")).read_text()


# Every shipped model config, dlib's models included (dlib's train_test.gin pattern:
# a few steps on small data); attention_mine_vae.gin trains in test_attention.py.
SMOKE_MODELS = sorted(MODEL_CONFIGS)


def test_every_shipped_model_config_is_smoke_trained():
  shipped = {path.stem for path in (GIN_CONFIGS / "models").glob("*.gin")}
  assert shipped == set(SMOKE_MODELS) | {"attention_mine_vae"}


QUICK_TRAIN = ("dataset.name='synthetic_squares_32'",
               "encoder.encoder_fn=@conv_encoder_32",
               "decoder.decoder_fn=@deconv_decoder_32",
               "model.training_steps=3", "model.batch_size=8", "model.eval_steps=1")


@pytest.fixture(scope="module")
def pipelines(tmp_path_factory):
  """dlib's train -> postprocess -> evaluate (MIG) for every shipped model config."""
  root = tmp_path_factory.mktemp("models")

  def run(name):
    return pipeline.run_pipeline(
        str(root / name),
        [str(GIN_CONFIGS / "shared.gin"), str(GIN_CONFIGS / "models" / (name + ".gin"))],
        QUICK_TRAIN, postprocess=("mean",), metrics=("mig",),
        metric_bindings=("mig.num_train=64",))

  # Two at a time: one per CPU core.
  with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
    futures = {name: pool.submit(run, name) for name in SMOKE_MODELS}
  return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("name", SMOKE_MODELS)
def test_model_trains_and_scores_through_dlibs_chain(pipelines, name):
  result = pipelines[name]
  json_dir = os.path.join(result.model_dir, "model", "results", "json")
  with open(os.path.join(json_dir, "train_results.json")) as results_file:
    train_results = json.load(results_file)
  with open(os.path.join(json_dir, "train_config.json")) as config_file:
    train_config = json.load(config_file)
  assert train_config["model.model"] == MODEL_CONFIGS[name][0]
  assert train_config["model.name"] == "'{}'".format(name)
  assert train_results["global_step"] == 3  # one increment per training step
  penalty_log = MODEL_CONFIGS[name][1]
  for key in ("loss", "reconstruction_loss", "kl_loss") + (
      (penalty_log,) if penalty_log else ()):
    assert math.isfinite(train_results[key]), key
  assert os.path.isfile(os.path.join(result.model_dir, "model", "tfhub",
                                     "saved_model.pb"))
  mig = result.scores["mean"]["mig"]["discrete_mig"]
  assert 0. <= mig <= 1.


def test_tracking_summary_is_in_train_results_through_dlib(pipelines):
  result = pipelines["mine_tc_vae"]
  json_dir = os.path.join(result.model_dir, "model", "results", "json")
  with open(os.path.join(json_dir, critic_tracking.TRACKING_FILE)) as summary_file:
    summary = json.load(summary_file)
  # QUICK_TRAIN is 3 steps, inside the warm-up: recorded, nothing after it.
  assert summary["quantity"] == "tc_density_ratio"
  assert summary["readings_after_warmup"] == 0
  assert summary["median_ratio_after_warmup"] is None
  with open(os.path.join(json_dir, "train_results.json")) as results_file:
    train_results = json.load(results_file)
  # One evaluation batch (eval_steps=1): the logged ratio is that batch's.
  estimate, reference, ratio = (train_results["tc_density_ratio" + suffix]
                                for suffix in ("", "_reference", "_ratio"))
  assert math.isfinite(reference)
  assert ratio == pytest.approx(estimate / max(reference, 0.05), rel=1e-4)


@pytest.mark.parametrize("objective", ["density_ratio", "dv", "club"])
def test_critic_follows_a_dependence_that_changes_while_it_trains(objective):
  # The critic as the models train it (critic_optimizer of shared.gin,
  # DEFAULT_INNER_STEPS updates per step, standardised inputs, batch 64) on
  # correlated Gaussians whose rho falls from 0.9 to 0.2 over 2000 steps (true MI
  # 0.83 -> 0.02 nats). After 250 steps, the estimate averaged over each window of
  # 250 steps is within 0.08 nats of the true MI averaged over the same window
  # (measured: within 0.03). vCLUB's target is its own closed form,
  # rho^2 / (1 - rho^2) (4.3 -> 0.04), above the MI: within 0.08 nats + 10 %.
  steps, batch_size, window = 2000, 64, 250
  rhos = 0.9 - 0.7 * np.arange(steps) / steps
  rng = np.random.RandomState(0)
  graph = tf.Graph()
  with graph.as_default():
    tf.set_random_seed(0)
    samples = tf.placeholder(tf.float32, [batch_size, 2])
    z = estimators.standardize(samples)
    marginal = tf.stack([z[:, 0], estimators.shuffle_rows(z)[:, 1]], axis=1)
    if objective == "club":
      critic = critics.ClubCritic("critic", target_columns=[1])
    else:
      critic = critics.Critic("critic", objective=objective)
    estimate, _, critic_loss = critic.terms(z, marginal, train_critic=True)
    train_op = penalized_vae.make_critic_optimizer().minimize(critic_loss)
    estimates = []
    with tf.Session() as session:
      session.run(tf.global_variables_initializer())
      for rho in rhos:
        for _ in range(critic_penalty.DEFAULT_INNER_STEPS):
          x = rng.randn(batch_size)
          y = rho * x + math.sqrt(1. - rho ** 2) * rng.randn(batch_size)
          value, _ = session.run([estimate, train_op],
                                 {samples: np.stack([x, y], axis=1)})
        estimates.append(value)
  if objective == "club":
    truth = rhos ** 2 / (1. - rhos ** 2)
  else:
    truth = -0.5 * np.log(1. - rhos ** 2)
  estimates = np.array(estimates)
  for start in range(window, steps, window):
    piece = slice(start, start + window)
    target = truth[piece].mean()
    tolerance = 0.08 + (0.1 * target if objective == "club" else 0.)
    assert estimates[piece].mean() == pytest.approx(target, abs=tolerance), (
        start, estimates[piece].mean(), target)


def test_aggregate_posterior_samples_come_from_the_exported_encoder(pipelines):
  from disentanglement_lib.data.ground_truth import named_data  # pylint: disable=g-import-not-at-top
  from mine_plugin.evaluation import posterior_mi  # pylint: disable=g-import-not-at-top
  gin.clear_config()
  gin.parse_config_files_and_bindings([], ["dataset.name='synthetic_squares_32'"])
  data = named_data.get_named_ground_truth_data()
  gin.clear_config()
  tfhub = os.path.join(pipelines["pairwise_mi_vae"].model_dir, "model", "tfhub")
  z, z_mean, z_logvar = posterior_mi.aggregate_posterior_samples(
      tfhub, data, 2000, batch_size=500)
  assert z.shape == z_mean.shape == z_logvar.shape == (2000, 10)
  # z = mean + std * noise with standard normal noise.
  noise = (z - z_mean) / np.exp(z_logvar / 2.)
  assert abs(noise.mean()) < 0.05 and noise.std() == pytest.approx(1., abs=0.05)
  again, _, _ = posterior_mi.aggregate_posterior_samples(tfhub, data, 2000,
                                                         batch_size=1000)
  np.testing.assert_allclose(again, z, rtol=1e-5, atol=1e-5)  # seeded


def test_in_training_only_the_tracking_hook_reads_the_reference(tmp_path):
  # A reading encodes the observation memory: the step's logs and summaries must
  # not fetch it, or they would read it at their own interval whatever
  # critic_tracking.every_n_steps says.
  bind("critic_tracking.every_n_steps", 7)
  model = pairwise_mi_vae.PairwiseMIVAE(lam=1., estimator="mine")
  # As dlib's train: the estimator writes to <model_dir>/tf_checkpoint.
  model_dir = str(tmp_path / "model" / "tf_checkpoint")
  with tf.Graph().as_default():
    tf.set_random_seed(0)
    tf.train.get_or_create_global_step()
    spec = model.model_fn(tf.constant(batch()), None, TRAIN, {},
                          config=tf.estimator.RunConfig(model_dir=model_dir))
    summaries = {op.op.name for op in tf.get_collection(tf.GraphKeys.SUMMARIES)}
    logging_hook, tracking_hook = spec.training_hooks
    assert "pairwise_mi_mine" in summaries and "pairwise_mi_mine" in logging_hook.logs
    for suffix in ("_reference", "_ratio"):
      assert "pairwise_mi_mine" + suffix not in summaries
      assert "pairwise_mi_mine" + suffix not in logging_hook.logs
    with tf.train.MonitoredSession(hooks=[tracking_hook]) as session:
      for _ in range(15):
        session.run(spec.train_op)
  with open(str(tmp_path / "model" / "results" /
               critic_tracking.TRACKING_HISTORY_FILE)) as f:
    assert json.load(f)["step"] == [0, 7, 14]
  # The readings reach the estimator's summaries at their steps.
  steps = {}
  for path in pathlib.Path(model_dir).glob("events.out.tfevents.*"):
    for event in tf.train.summary_iterator(str(path)):
      for value in event.summary.value:
        steps.setdefault(value.tag, []).append(event.step)
  assert steps == {"pairwise_mi_mine_reference": [0, 7, 14],
                   "pairwise_mi_mine_ratio": [0, 7, 14]}

"""VAEs with a penalty term, and the extension point for adding one.

Extension point
---------------
A model of this module is a `PenalizedVAE`: dlib's VAE (encoder, sampling, decoder,
reconstruction loss, KL; `vae.BaseVAE`) plus a `Penalty`, so that

  loss = reconstruction_loss + beta * kl_loss + penalty.loss

`PenalizedVAE.model_fn` owns all graph plumbing; a penalty only builds tensors.

`Penalty.__call__(outputs, is_training) -> PenaltyTerms(loss, critic_loss, logs,
tracking=None)`

  outputs      `VAEOutputs(features, reconstructions, z_mean, z_logvar, z_sampled,
               kl_loss, reconstruction_loss)` of the current batch.
  loss         scalar added to the VAE objective (already weighted).
  critic_loss  scalar that the penalty's auxiliary networks MINIMISE, or None.
  logs         dict name -> scalar: every loss term and MI estimate; each becomes a
               tf.summary.scalar, a LoggingTensorHook entry and an EVAL metric.
  tracking     for a critic: (name, estimate, reference), a reference estimate of
               the same quantity without gradient; the model logs `<name>_reference`
               and `<name>_ratio` and runs `critic_tracking.CriticTrackingHook`.

Attributes a penalty sets (class defaults: no auxiliary networks):

  name          names the penalty in logs and error messages.
  critic_scope  exact variable scope (relative to the model's) of the auxiliary
                networks; its trainable variables, and only they, are trained on
                `critic_loss` by `critic_optimizer` (`make_critic_optimizer`).
  outer_scope   optional exact variable scope of variables trained with the VAE
                (by dlib's `vae_optimizer`, together with `encoder/` and `decoder/`).
  inner_steps   critic updates per training step.
  warmup_steps  training steps before the critic's term switches on
                (`CriticPenalty.warmed_up`); read by the tracking hook.

In training, `model_fn` calls the penalty `inner_steps + 1` times on the same
`outputs`: call k (k < inner_steps) builds the k-th critic update, chained after the
previous one by control dependencies; the last call, made after all critic updates,
gives the `loss` that the VAE step minimises (bi-level optimisation: critic inner,
VAE outer). The last call's `critic_loss` is never run. A penalty must therefore
create its variables with `tf.variable_scope(scope, reuse=tf.AUTO_REUSE)` and fixed
layer names, and must not assume it is called once. In EVAL mode it is called once
with is_training=False. The global step is incremented once per training step (by
the VAE update).

Every loss term and every logged penalty term is checked with
`tf.debugging.check_numerics` before the VAE update is applied, and each critic
update checks its own loss first: a NaN or inf stops training with an error naming
the term. The exported
TF-Hub module (dlib's `export_as_tf_hub`) calls `gaussian_encoder`/`decode` only,
so auxiliary networks never enter it.

Models (gin names)
------------------
`PenalizedVAE` itself is the base class, not a gin configurable: a new penalty comes
with a small named subclass that builds it from its hyperparameters (as below), so
every model is selected in gin the same way (`model.model = @<name>()`) and its
hyperparameters are bound under its own name.

  mine_tc_vae        beta-TCVAE's objective with the total correlation estimated by
                     a critic, "density_ratio" or "mine" (`MineTotalCorrelation`).
  pairwise_mi_vae    beta-VAE + lam * sum_{i != j} I(z_i; z_j), estimator "mws"
                     (`PairwiseMutualInformation`), "density_ratio" or "mine"
                     (`PairwiseCriticMutualInformation`).
  lambda_beta_vae    beta-VAE + lam * ||x - x_hat||^2 (`ReconstructionL2`).
"""
import abc
import collections
import math
import numbers

from disentanglement_lib.methods.shared import losses
from disentanglement_lib.methods.shared import optimizers
from disentanglement_lib.methods.unsupervised import vae
import gin
from mine_plugin.methods.shared import critic_tracking
from mine_plugin.methods.shared import estimators
import tensorflow.compat.v1 as tf
from tensorflow.compat.v1.estimator import tpu as contrib_tpu

VAEOutputs = collections.namedtuple(
    "VAEOutputs", ["features", "reconstructions", "z_mean", "z_logvar",
                   "z_sampled", "kl_loss", "reconstruction_loss"])

# tracking: None, or (name, estimate, reference) for a critic-based penalty: the
# critic's estimate and a closed-form estimate of the same quantity that receives
# no gradient (see `critic_tracking.CriticTrackingHook`).
PenaltyTerms = collections.namedtuple(
    "PenaltyTerms", ["loss", "critic_loss", "logs", "tracking"],
    defaults=(None,))

# dlib's BaseVAE logs every 100 steps.
_LOG_EVERY_N_STEPS = 100


class Penalty(abc.ABC):
  """Base class of a term added to the VAE loss; see the module docstring."""

  name = "penalty"
  critic_scope = None
  outer_scope = None
  inner_steps = 0
  warmup_steps = 0

  @abc.abstractmethod
  def __call__(self, outputs, is_training):
    """Returns the PenaltyTerms of `outputs` (a VAEOutputs)."""


def check_weight(model, name, value, minimum=0.):
  """Raises ValueError naming `model.name` unless value is a finite number >= minimum.

  A string from a gin binding such as `lam = 'x'` is reported here, with the
  parameter's name, instead of as a dtype error deep inside the graph.
  """
  if (isinstance(value, bool) or not isinstance(value, numbers.Real) or
      not math.isfinite(value) or value < minimum):
    raise ValueError("{}.{} must be a finite number >= {:g}, got {!r}{}.".format(
        model, name, minimum, value,
        "" if isinstance(value, numbers.Real) else
        " (a {})".format(type(value).__name__)))
  return float(value)


def warn_unused_critic_settings(model, estimator, settings, used_by=None):
  """Warns about critic settings that differ from their defaults but do nothing.

  `settings`: {name: (value, default)} of the critic parameters of `model`;
  `used_by`: the estimators they apply to (default: every critic estimator).
  """
  changed = sorted(name for name, (value, default) in settings.items()
                   if value != default)
  if changed:
    tf.logging.warning(
        "mine_plugin: %s.estimator = %r does not use %s; %s nothing here "
        "(%s apply to %s).", model, estimator,
        ", ".join("{}.{}".format(model, n) for n in changed),
        "it does" if len(changed) == 1 else "they do",
        "it would" if len(changed) == 1 else "they would",
        used_by or ", ".join(repr(e) for e in PAIRWISE_CRITIC_ESTIMATORS))
  return changed


def check_inner_steps(inner_steps):
  """Raises ValueError unless inner_steps (critic updates per step) is an int >= 1."""
  if not isinstance(inner_steps, int) or inner_steps < 1:
    raise ValueError(
        "inner_steps must be an integer >= 1 (critic updates per training step), "
        "got {!r}.".format(inner_steps))


def check_warmup_steps(warmup_steps):
  """Raises ValueError unless warmup_steps is an int >= 0."""
  if not isinstance(warmup_steps, int) or warmup_steps < 0:
    raise ValueError(
        "warmup_steps must be an integer >= 0 (training steps during which the "
        "critic trains and its penalty is off), got {!r}.".format(warmup_steps))


# Critic-based estimators of the models: MINE (with its `bound`) or the
# density-ratio classifier (estimators.density_ratio_critic_loss). The pairwise
# penalty also takes vCLUB (estimators.ClubCritic), an upper bound on the MI of
# two variables when its q fits (Cheng et al. 2020, Thm. 3.2), which does not apply to TC or to the allocator's partitions.
CRITIC_ESTIMATORS = ("mine", "density_ratio")
PAIRWISE_CRITIC_ESTIMATORS = CRITIC_ESTIMATORS + ("club",)

# Defaults of the critic-based models; docs/mine_penalty.md has the measurements
# behind them.
DEFAULT_CRITIC_ESTIMATOR = "density_ratio"
DEFAULT_INNER_STEPS = 5
DEFAULT_WARMUP_STEPS = 500


def critic_objective(estimator, bound):
  """The estimators.Critic objective of a model's `estimator` and MINE `bound`."""
  estimators.check_bound(bound)
  if estimator in ("density_ratio", "club"):
    if bound != "dv":
      raise ValueError(
          "bound={!r} applies to estimator 'mine' only; the {!r} critic has no "
          "bound. Drop the `bound` binding or set estimator = 'mine'.".format(
              bound, estimator))
    return estimator
  return bound


# The critics' optimizer when `critic_optimizer` is not bound in gin: Adam with
# FactorVAE's discriminator moments (Kim & Mnih 2018, Appendix: beta1 0.5, beta2 0.9)
# and learning rate 1e-3. At dlib's discriminator rate (1e-4) the critic did not
# keep up with an encoder trained at 1e-3 (docs/mine_penalty.md).
CRITIC_LEARNING_RATE = 1e-3


@gin.configurable("critic_optimizer")
def make_critic_optimizer(optimizer_fn=None, learning_rate=None):
  """The optimizer of the plugin's critics, gin-configurable like dlib's.

  dlib's `discriminator_optimizer` stays FactorVAE's (so dlib's baselines keep their
  published settings); the plugin's critics have their own. Unbound, it is
  Adam(CRITIC_LEARNING_RATE, beta1=0.5, beta2=0.9).

  Args:
    optimizer_fn: a tf.train optimizer class (e.g. @critic/AdamOptimizer), or None.
    learning_rate: overrides the optimizer's learning rate (dlib's convention).
  """
  if optimizer_fn is None:
    return tf.train.AdamOptimizer(
        CRITIC_LEARNING_RATE if learning_rate is None else learning_rate,
        beta1=0.5, beta2=0.9)
  return optimizers.make_optimizer(optimizer_fn, learning_rate)


class CriticPenalty(Penalty):
  """weight * an MI-type quantity estimated by a critic trained in the inner loop.

  The critic sees standardised codes (`estimators.standardize`, which leaves MI and
  TC unchanged). For the first `warmup_steps` training steps the critic's term is
  off (`warmed_up`: weight 0) while the critic trains and the VAE trains on the rest
  of its loss, so that the critic starts from a fitted estimate instead of chasing
  the encoder from scratch. Each call also returns, as `tracking`, a
  closed-form estimate of the same quantity that receives no gradient: the model
  logs both and their ratio, and warns when the critic lags
  (`critic_tracking.CriticTrackingHook`).
  """

  # The estimators a subclass accepts.
  valid_estimators = CRITIC_ESTIMATORS

  def __init__(self, weight, estimator, bound, inner_steps, ema_decay,
               warmup_steps, critic_fn):
    if estimator not in self.valid_estimators:
      raise ValueError(
          "Unknown critic estimator {!r} for {}; valid: {} (the model's gin "
          "parameter `estimator`).".format(
              estimator, type(self).__name__,
              ", ".join(repr(e) for e in self.valid_estimators)))
    check_inner_steps(inner_steps)
    check_warmup_steps(warmup_steps)
    self.weight = weight
    self.estimator = estimator
    self.inner_steps = inner_steps
    self.warmup_steps = warmup_steps
    objective = critic_objective(estimator, bound)
    if objective == "club":
      # q(z_b | z_a, pair id): the second column of the pairwise critic inputs.
      self.critic = estimators.ClubCritic(self.critic_scope, target_columns=[1])
    else:
      self.critic = estimators.Critic(
          self.critic_scope, objective=objective, ema_decay=ema_decay,
          critic_fn=critic_fn)

  def warmed_up(self, critic_term, is_training):
    """critic_term in training from step `warmup_steps` on, else 0 (EVAL: as is)."""
    if not is_training or not self.warmup_steps:
      return critic_term
    active = tf.cast(tf.train.get_global_step() >= self.warmup_steps,
                     critic_term.dtype)
    return active * critic_term


class MineTotalCorrelation(CriticPenalty):
  """weight * TC(z), the total correlation of the code estimated by a critic.

  TC(z) = KL(q(z) || prod_l q(z_l)) (Watanabe 1960; Chen et al. 2018, Eq. 2) is the
  mutual information between the joint code and its dimension-wise independent
  version, so MINE applies with joint samples z ~ q(z) and product samples from
  dlib's `shuffle_codes` (every dimension shuffled across the batch on its own, as
  FactorVAE does); so does the density-ratio critic (FactorVAE's own estimator,
  Kim & Mnih 2018, Sec. 3). The critic learns in `inner_steps` updates, the encoder
  minimises the estimate. Reference: dlib's minibatch-weighted `total_correlation`
  plus its dropped constant (L - 1) log M (`total_correlation_mws`).
  """

  critic_scope = "tc_critic"

  def __init__(self, weight, estimator=DEFAULT_CRITIC_ESTIMATOR, bound="dv",
               inner_steps=DEFAULT_INNER_STEPS, ema_decay=0.99,
               warmup_steps=DEFAULT_WARMUP_STEPS, critic_fn=estimators.mlp_critic):
    self.name = "tc_mine" if estimator == "mine" else "tc_" + estimator
    super(MineTotalCorrelation, self).__init__(
        weight, estimator, bound, inner_steps, ema_decay, warmup_steps, critic_fn)

  def __call__(self, outputs, is_training):
    z = estimators.standardize(outputs.z_sampled)
    estimate, loss, critic_loss = self.critic.terms(
        z, vae.shuffle_codes(z), train_critic=is_training)
    reference = tf.stop_gradient(total_correlation_mws(
        outputs.z_sampled, outputs.z_mean, outputs.z_logvar))
    return PenaltyTerms(self.weight * self.warmed_up(loss, is_training),
                        critic_loss, {self.name: estimate},
                        (self.name, estimate, reference))


def total_correlation_mws(z, z_mean, z_logvar):
  """dlib's `total_correlation` (minibatch-weighted sampling) in nats.

  dlib drops the constant of the normalisers 1/M of its minibatch estimates of
  q(z) and prod_l q(z_l) (Chen et al. 2018, Sec. 4.1): restoring it adds
  (L - 1) log M for L latent dimensions and batch size M, as
  `estimators.pairwise_mutual_information_mws` does for each pair.
  """
  num_latent = tf.compat.dimension_value(z.shape[1])
  num = tf.cast(tf.shape(z)[0], z.dtype)
  return (vae.total_correlation(z, z_mean, z_logvar) +
          (num_latent - 1.) * tf.log(num))


class PairwiseMutualInformation(Penalty):
  """weight * sum_{i != j} I(z_i; z_j) over all ordered pairs of latent dimensions.

  Estimators:
    "mws": closed form over the Gaussian posteriors of the batch,
      `estimators.pairwise_mutual_information_mws` (no auxiliary network).
    "mine", "density_ratio", "club": one critic shared by all pairs
      (`PairwiseCriticMutualInformation`).
  I(z_i; z_j) is symmetric, so the sum over ordered pairs is twice the sum over
  a < b.
  """

  name = "pairwise_mi"

  def __init__(self, weight):
    self.weight = weight

  def __call__(self, outputs, is_training):
    del is_training
    check_pairs(outputs.z_sampled)
    total = pairwise_total_mws(outputs)
    return PenaltyTerms(self.weight * total, None, {self.name: total})


def check_pairs(z):
  """The number of latent dimensions of z; ValueError unless it is static and >= 2."""
  num_latent = tf.compat.dimension_value(z.shape[1])
  if num_latent is None or num_latent < 2:
    raise ValueError(
        "The pairwise MI penalty needs >= 2 latent dimensions (it sums I(z_i; z_j) "
        "over pairs i != j, so with one it is identically 0); got "
        "encoder.num_latent = {}.".format(num_latent))
  return num_latent


def pairwise_total_mws(outputs):
  """sum_{i != j} I(z_i; z_j) of a batch by `pairwise_mutual_information_mws`."""
  return tf.reduce_sum(estimators.pairwise_mutual_information_mws(
      outputs.z_sampled, outputs.z_mean, outputs.z_logvar))


class PairwiseCriticMutualInformation(CriticPenalty):
  """weight * sum_{i != j} I(z_i; z_j), estimated by one critic shared by all pairs.

  For the pair p = (a, b), a < b, the critic sees (z_a, z_b, one-hot(p)); product
  samples pair z_a with z_b of a shuffled batch. All pairs go through the critic
  as one batch. With estimator "club" the critic is vCLUB's q(z_b | z_a, p)
  (`estimators.ClubCritic`), an upper bound on the MI where q fits (instead of a
  lower bound).
  Reference: the "mws" estimate of the same sum.
  """

  critic_scope = "pairwise_mi_critic"
  valid_estimators = PAIRWISE_CRITIC_ESTIMATORS

  def __init__(self, weight, estimator=DEFAULT_CRITIC_ESTIMATOR, bound="dv",
               inner_steps=DEFAULT_INNER_STEPS, ema_decay=0.99,
               warmup_steps=DEFAULT_WARMUP_STEPS, critic_fn=estimators.mlp_critic):
    self.name = "pairwise_mi_" + estimator
    super(PairwiseCriticMutualInformation, self).__init__(
        weight, estimator, bound, inner_steps, ema_decay, warmup_steps, critic_fn)

  def __call__(self, outputs, is_training):
    joint, marginal = self.pair_samples(
        estimators.standardize(outputs.z_sampled))
    estimate, loss, critic_loss = self.critic.terms(
        joint, marginal, train_critic=is_training)
    total = 2. * tf.reduce_sum(estimate)
    reference = tf.stop_gradient(pairwise_total_mws(outputs))
    return PenaltyTerms(self.weight * 2. * self.warmed_up(loss, is_training),
                        critic_loss, {self.name: total},
                        (self.name, total, reference))

  @staticmethod
  def pair_samples(z):
    """Critic inputs [batch, num_pairs, 2 + num_pairs] for joint and product samples."""
    num_latent = check_pairs(z)
    first, second = estimators.pairs(num_latent)
    num_pairs = len(first)
    pair_ids = tf.tile(tf.eye(num_pairs)[None], [tf.shape(z)[0], 1, 1])
    z_a = tf.gather(z, first, axis=1)[:, :, None]
    z_b = tf.gather(z, second, axis=1)[:, :, None]
    z_b_shuffled = tf.gather(estimators.shuffle_rows(z), second,
                             axis=1)[:, :, None]
    return (tf.concat([z_a, z_b, pair_ids], axis=2),
            tf.concat([z_a, z_b_shuffled, pair_ids], axis=2))


class ReconstructionL2(Penalty):
  """weight * ||x - x_hat||^2, averaged over the batch.

  x_hat is the Bernoulli mean sigmoid(decoder logits); the squared error is summed
  over pixels and channels per sample, then averaged over the batch -- dlib's
  `l2_loss` with activation "logits".
  """

  name = "reconstruction_l2"

  def __init__(self, weight):
    self.weight = weight

  def __call__(self, outputs, is_training):
    del is_training
    l2 = tf.reduce_mean(losses.l2_loss(outputs.features, outputs.reconstructions,
                                       "logits"))
    return PenaltyTerms(self.weight * l2, None, {self.name: l2})


def _scope_variables(scope):
  """Trainable variables in the exact variable scope `scope` (not a name prefix)."""
  outer = tf.get_variable_scope().name
  full = "{}/{}/".format(outer, scope) if outer else scope + "/"
  return [v for v in tf.trainable_variables() if v.op.name.startswith(full)]


def _checked(tensor, term, model_name):
  return tf.debugging.check_numerics(
      tensor,
      "mine_plugin: the loss term '{}' of {} is NaN or inf; training stopped. "
      "Lower the learning rates (vae_optimizer/critic_optimizer) or the "
      "penalty weight.".format(
          term, model_name))


def _checked_in_order(terms, model_name):
  """Checks of (tensor, name) pairs, each run after the previous one.

  In the order the terms are computed, so that the first non-finite term is the
  one reported (grouped checks run in any order).
  """
  checks = []
  for tensor, name in terms:
    with tf.control_dependencies(checks[-1:]):
      checks.append(_checked(tensor, name, model_name))
  return checks


def _checked_gradients(gradients, terms, model_name):
  """Asserts that the VAE's gradients are finite; the error shows every term.

  A finite but huge term (say a penalty weight of 1e30) gives inf gradients before
  any loss term is NaN; the values printed with the error show which term it was.
  """
  norm = tf.linalg.global_norm([g for g, _ in gradients if g is not None])
  data = ["mine_plugin: the gradients of the loss of {} are NaN or inf although "
          "every loss term is finite; training stopped. One term is too large for "
          "its weight or learning rate; the terms now:".format(model_name)]
  for tensor, name in terms:
    data += [name, tensor]
  return tf.debugging.Assert(tf.math.is_finite(norm), data, summarize=4)


class PenalizedVAE(vae.BaseVAE):
  """dlib VAE + a Penalty: loss = reconstruction + beta * KL + penalty.loss."""

  def __init__(self, penalty, beta=1.):
    """Creates the model.

    Args:
      penalty: a `Penalty`.
      beta: weight of the KL term (beta-VAE, Higgins et al. 2017, Eq. 4).
    """
    if not isinstance(penalty, Penalty):
      raise TypeError("penalty must be a mine_plugin.methods.unsupervised.penalized_vae.Penalty, got "
                      "{!r}.".format(penalty))
    self.penalty = penalty
    self.beta = beta

  def model_fn(self, features, labels, mode, params, config=None):
    """TPUEstimator compatible model function (cf. dlib's FactorVAE.model_fn).

    TPUEstimator passes `config` (its RunConfig), whose model_dir locates the
    critic-tracking files.
    """
    del labels, params
    is_training = (mode == tf.estimator.ModeKeys.TRAIN)
    model_name = type(self).__name__
    # Same op order as dlib's BaseVAE.model_fn up to the loss, so that with a
    # penalty of 0 the graph-seeded sampling and initialisation match dlib's.
    data_shape = features.get_shape().as_list()[1:]
    z_mean, z_logvar = self.gaussian_encoder(features, is_training=is_training)
    z_sampled = self.sample_from_latent_distribution(z_mean, z_logvar)
    reconstructions = self.decode(z_sampled, data_shape, is_training)
    per_sample_loss = losses.make_reconstruction_loss(features, reconstructions)
    reconstruction_loss = tf.reduce_mean(per_sample_loss)
    kl_loss = vae.compute_gaussian_kl(z_mean, z_logvar)
    outputs = VAEOutputs(features, reconstructions, z_mean, z_logvar, z_sampled,
                         kl_loss, reconstruction_loss)
    penalty = self.penalty

    critic_updates, critic_logs = [], {}
    if is_training and penalty.critic_scope is not None:
      critic_optimizer = make_critic_optimizer()
      for step in range(penalty.inner_steps):
        with tf.control_dependencies(critic_updates[-1:]):
          with tf.name_scope("critic_step_{}".format(step)):
            critic_loss = penalty(outputs, is_training).critic_loss
          if critic_loss is None:
            raise ValueError("{} has critic_scope {!r} but returned no "
                             "critic_loss.".format(penalty.name,
                                                   penalty.critic_scope))
          critic_vars = self._critic_variables()
          term = penalty.name + "_critic_loss"
          with tf.control_dependencies([_checked(critic_loss, term,
                                                 model_name)]):
            critic_updates.append(critic_optimizer.minimize(
                critic_loss, var_list=critic_vars))
      critic_logs[penalty.name + "_critic_loss"] = critic_loss

    with tf.control_dependencies(critic_updates[-1:]):
      terms = penalty(outputs, is_training)
    regularizer = self.beta * kl_loss + terms.loss
    loss = tf.add(reconstruction_loss, regularizer, name="loss")
    elbo = tf.add(reconstruction_loss, kl_loss, name="elbo")
    logs = collections.OrderedDict([
        ("loss", loss), ("reconstruction_loss", reconstruction_loss),
        ("elbo", -elbo), ("kl_loss", kl_loss), ("regularizer", regularizer)])
    tracking_logs = {}
    if terms.tracking is not None:
      name, estimate, reference = terms.tracking
      tracking_logs[name + "_reference"] = reference
      tracking_logs[name + "_ratio"] = estimate / tf.maximum(
          reference, critic_tracking.MIN_REFERENCE)
    for name, value in (list(terms.logs.items()) + list(critic_logs.items()) +
                        list(tracking_logs.items())):
      if name in logs:
        raise ValueError("{} logs {!r}, which the model already logs; rename "
                         "it.".format(penalty.name, name))
      logs[name] = value

    if mode == tf.estimator.ModeKeys.TRAIN:
      # The order the terms are computed in: the first bad one is reported.
      checked_terms = ([(reconstruction_loss, "reconstruction_loss"),
                        (kl_loss, "kl_loss"), (terms.loss, penalty.name)] +
                       [(value, name) for name, value in terms.logs.items()])
      checks = _checked_in_order(checked_terms, model_name)
      vae_vars = self._vae_variables()
      critic_vars = self._critic_variables()
      overlap = set(vae_vars) & set(critic_vars)
      if overlap:
        raise ValueError(
            "Variables {} are both in the VAE's scopes and in critic_scope {!r}; "
            "give the penalty's networks their own scope.".format(
                sorted(v.op.name for v in overlap), penalty.critic_scope))
      untrained = set(tf.trainable_variables()) - set(vae_vars) - set(critic_vars)
      if untrained:
        raise ValueError(
            "{}: trainable variables {} are in no optimizer's scope (VAE: encoder, "
            "decoder, outer_scope={!r}; critic: critic_scope={!r}); create them "
            "inside one of these scopes.".format(
                penalty.name, sorted(v.op.name for v in untrained),
                penalty.outer_scope, penalty.critic_scope))
      update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
      vae_optimizer = optimizers.make_vae_optimizer()
      with tf.control_dependencies(checks + critic_updates[-1:]):
        gradients = vae_optimizer.compute_gradients(loss, var_list=vae_vars)
        with tf.control_dependencies(checks[-1:]):
          gradient_check = _checked_gradients(gradients, checked_terms[:3],
                                              model_name)
        with tf.control_dependencies([gradient_check]):
          train_op = vae_optimizer.apply_gradients(
              gradients, global_step=tf.train.get_global_step())
      train_op = tf.group([train_op, update_ops] + critic_updates)
      for name, value in logs.items():
        tf.summary.scalar(name, value)
      hooks = [tf.train.LoggingTensorHook(dict(logs),
                                          every_n_iter=_LOG_EVERY_N_STEPS)]
      if terms.tracking is not None and config is not None:
        hooks.append(critic_tracking.CriticTrackingHook(
            terms.tracking, penalty.warmup_steps, config.model_dir,
            self.lag_advice()))
      return contrib_tpu.TPUEstimatorSpec(
          mode=mode, loss=loss, train_op=train_op, training_hooks=hooks)
    elif mode == tf.estimator.ModeKeys.EVAL:
      names = [name for name in logs if name != "loss"]
      return contrib_tpu.TPUEstimatorSpec(
          mode=mode, loss=loss,
          eval_metrics=(vae.make_metric_fn(*names), [logs[n] for n in names]))
    else:
      raise NotImplementedError(
          "Mode {!r} is not supported; use TRAIN or EVAL.".format(mode))

  def lag_advice(self):
    """What to change when the critic lags, for the warning of CriticTrackingHook."""
    gin_name = getattr(type(self), "gin_name", type(self).__name__)
    return ("Give the critic more updates per training step ({0}.inner_steps, now "
            "{1}), a higher learning rate than the VAE's "
            "(critic_optimizer.learning_rate vs vae/AdamOptimizer.learning_rate), "
            "or a longer warm-up ({0}.warmup_steps, now {2}); or compare another "
            "estimator ({0}.estimator, now {3!r}; valid: {4}).".format(
                gin_name, self.penalty.inner_steps, self.penalty.warmup_steps,
                self.penalty.estimator,
                ", ".join(repr(e) for e in self.penalty.valid_estimators)))

  def _critic_variables(self):
    scope = self.penalty.critic_scope
    if scope is None:
      return []
    variables = _scope_variables(scope)
    if not variables:
      raise ValueError("{}: no trainable variables in critic_scope {!r}; create "
                       "the critic inside tf.variable_scope({!r}).".format(
                           self.penalty.name, scope, scope))
    return variables

  def _vae_variables(self):
    scopes = ["encoder", "decoder"]
    if self.penalty.outer_scope is not None:
      scopes.append(self.penalty.outer_scope)
    variables = []
    for scope in scopes:
      found = _scope_variables(scope)
      if not found:
        raise ValueError("No trainable variables in the exact scope {!r}; the VAE "
                         "optimizer trains the scopes {}.".format(scope, scopes))
      variables.extend(found)
    return variables


_CRITIC_ARGS = ["estimator", "bound", "inner_steps", "ema_decay", "warmup_steps"]



@gin.configurable("mine_tc_vae", allowlist=["beta"] + _CRITIC_ARGS)
class MineTCVAE(PenalizedVAE):
  """beta-TCVAE with the total correlation estimated by a critic.

  Chen et al. 2018, "Isolating Sources of Disentanglement in Variational
  Autoencoders" (https://arxiv.org/abs/1802.04942), Eq. 4 with alpha = gamma = 1:
  loss = reconstruction + KL + (beta - 1) * TC, as dlib's `beta_tc_vae`, but TC is
  a critic's estimate (MINE, Belghazi et al. 2018, or the density-ratio critic of
  FactorVAE, Kim & Mnih 2018) instead of minibatch-weighted sampling.
  """

  gin_name = "mine_tc_vae"

  def __init__(self, beta=gin.REQUIRED, estimator=DEFAULT_CRITIC_ESTIMATOR,
               bound="dv", inner_steps=DEFAULT_INNER_STEPS, ema_decay=0.99,
               warmup_steps=DEFAULT_WARMUP_STEPS):
    """Creates the model.

    Args:
      beta: weight of the total correlation (beta-TCVAE's beta).
      estimator: "density_ratio" (logistic critic) or "mine" (MINE with `bound`).
      bound: "dv" (Donsker-Varadhan, bias-corrected gradient) or "nwj" (MINE-f);
        estimator "mine" only.
      inner_steps: critic updates per VAE update.
      ema_decay: decay of MINE's moving average (Sec. 3.2); bound "dv" only.
      warmup_steps: training steps during which the critic trains and its
        penalty is off.
    """
    # beta < 1 would give TC a negative weight, rewarding dependent latents.
    beta = check_weight(self.gin_name, "beta", beta, minimum=1.)
    super(MineTCVAE, self).__init__(
        penalty=MineTotalCorrelation(
            beta - 1., estimator=estimator, bound=bound, inner_steps=inner_steps,
            ema_decay=ema_decay, warmup_steps=warmup_steps), beta=1.)


PAIRWISE_ESTIMATORS = ("mws",) + PAIRWISE_CRITIC_ESTIMATORS


@gin.configurable("pairwise_mi_vae",
                  allowlist=["beta", "lam"] + _CRITIC_ARGS)
class PairwiseMIVAE(PenalizedVAE):
  """beta-VAE + lam * sum_{i != j} I(z_i; z_j).

  The MI-constrained VAE's objective (Lan, Putra, Fernandez, "Mutual Information
  Constrained Variational Framework for Identifiable Representation Disentangling",
  Sec. 4.2): the pairwise MI in closed form ("mws", `PairwiseMutualInformation`)
  or by a critic ("density_ratio", "mine", "club";
  `PairwiseCriticMutualInformation`).
  """

  gin_name = "pairwise_mi_vae"

  def __init__(self, beta=1., lam=gin.REQUIRED, estimator="mws", bound="dv",
               inner_steps=DEFAULT_INNER_STEPS, ema_decay=0.99,
               warmup_steps=DEFAULT_WARMUP_STEPS):
    """Creates the model.

    Args:
      beta: weight of the KL term.
      lam: weight of the pairwise MI penalty.
      estimator: "mws" (closed form, Gaussian posteriors), "density_ratio",
        "mine" or "club" (vCLUB, Cheng et al. 2020).
      bound, inner_steps, ema_decay, warmup_steps: critic settings (see
        MineTCVAE); not used by "mws".
    """
    if estimator not in PAIRWISE_ESTIMATORS:
      raise ValueError("Unknown pairwise MI estimator {!r}; valid: {}.".format(
          estimator, ", ".join(repr(e) for e in PAIRWISE_ESTIMATORS)))
    beta = check_weight(self.gin_name, "beta", beta)
    lam = check_weight(self.gin_name, "lam", lam)
    if estimator == "mws":
      warn_unused_critic_settings(self.gin_name, estimator, {
          "bound": (bound, "dv"),
          "inner_steps": (inner_steps, DEFAULT_INNER_STEPS),
          "ema_decay": (ema_decay, 0.99),
          "warmup_steps": (warmup_steps, DEFAULT_WARMUP_STEPS)})
      penalty = PairwiseMutualInformation(lam)
    else:
      if estimator == "club":
        # vCLUB fits a Gaussian q (club_conditional), not a critic with a moving
        # average or mlp_critic.
        warn_unused_critic_settings(self.gin_name, estimator,
                                    {"ema_decay": (ema_decay, 0.99)},
                                    "'mine' (bound 'dv')")
      penalty = PairwiseCriticMutualInformation(
          lam, estimator=estimator, bound=bound, inner_steps=inner_steps,
          ema_decay=ema_decay, warmup_steps=warmup_steps)
    super(PairwiseMIVAE, self).__init__(penalty=penalty, beta=beta)


@gin.configurable("lambda_beta_vae", allowlist=["beta", "lam"])
class LambdaBetaVAE(PenalizedVAE):
  """lambda-beta-VAE: beta-VAE + lam * ||x - x_hat||^2.

  Vu, Wan, Wei 2026, "Mutual Information Collapse Explains Disentanglement Failure
  in beta-VAEs" (https://arxiv.org/abs/2602.09277): an auxiliary L2 reconstruction term keeps the mutual information
  between x and z from collapsing at large beta. x_hat = sigmoid(decoder logits),
  the Bernoulli mean; see ReconstructionL2. With lam = 0 the loss is dlib's
  beta-VAE (`vae`) loss exactly.
  """

  gin_name = "lambda_beta_vae"

  def __init__(self, beta=gin.REQUIRED, lam=gin.REQUIRED):
    beta = check_weight(self.gin_name, "beta", beta)
    lam = check_weight(self.gin_name, "lam", lam)
    super(LambdaBetaVAE, self).__init__(penalty=ReconstructionL2(lam), beta=beta)

"""A dlib VAE with a penalty term: the extension point of the plugin's models.

loss = reconstruction_loss + beta * kl_loss + penalty.loss. `PenalizedVAE.model_fn`
owns the graph plumbing; a penalty only builds tensors:

  `Penalty.__call__(outputs: VAEOutputs, is_training) -> PenaltyTerms(loss,
  critic_loss, logs, tracking=None)`: `loss` added to the VAE objective (weighted);
  `critic_loss` minimised by the auxiliary networks, or None; `logs` name -> scalar
  (summary, logging hook, EVAL metric); `tracking` (name, estimate, reference) for a
  critic, giving `<name>_reference`, `<name>_ratio` and `CriticTrackingHook`.
  Attributes: `name`; `critic_scope` (exact scope whose variables, only they,
  `critic_optimizer` trains on `critic_loss`); `outer_scope` (trained with the VAE);
  `inner_steps`; `warmup_steps`.

In training it is called `inner_steps + 1` times on the same outputs (chained critic
updates, then the VAE loss; that call's `critic_loss` never runs), so variables need
`tf.variable_scope(scope, reuse=tf.AUTO_REUSE)` and fixed layer names; in EVAL, once.
The global step counts training steps. The TF-Hub export has no auxiliary networks.
Each model is a small named gin subclass: `model.model = @<name>()`.
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
from mine_plugin.methods.shared import numerics
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
  # For a critic penalty whose `tracking` reference is None: the quantity
  # ("pairwise_mi_sum" or "total_correlation") that the model computes as its
  # reference from recent observations (critic_tracking.ObservationMemory).
  reference_quantity = None

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


def _scope_variables(scope):
  """Trainable variables in the exact variable scope `scope` (not a name prefix)."""
  outer = tf.get_variable_scope().name
  full = "{}/{}/".format(outer, scope) if outer else scope + "/"
  return [v for v in tf.trainable_variables() if v.op.name.startswith(full)]


_NAN_FIX = ("Lower the learning rates (vae_optimizer/critic_optimizer) or the "
            "penalty weight.")


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


class LoggingHook(tf.train.LoggingTensorHook):
  """dlib's LoggingTensorHook of a model's logs, which it keeps as `logs`.

  `logs` (name -> tensor) are the tensors that training logs, summarises and
  evaluates, for whoever builds a model_fn and wants to read them.
  """

  def __init__(self, logs, every_n_iter=_LOG_EVERY_N_STEPS):
    super(LoggingHook, self).__init__(dict(logs), every_n_iter=every_n_iter)
    self.logs = dict(logs)


class PenalizedVAE(vae.BaseVAE):
  """dlib VAE + a Penalty: loss = reconstruction + beta * KL + penalty.loss."""

  def __init__(self, penalty, beta=1.):
    """Creates the model.

    Args:
      penalty: a `Penalty`.
      beta: weight of the KL term (beta-VAE, Higgins et al. 2017, Eq. 4).
    """
    if not isinstance(penalty, Penalty):
      raise TypeError("penalty must be a mine_plugin.methods.unsupervised."
                      "penalized_vae.Penalty, got {!r}.".format(penalty))
    self.penalty = penalty
    self.beta = beta

  def model_fn(self, features, labels, mode, params, config=None):
    """TPUEstimator compatible model function (cf. dlib's FactorVAE.model_fn).

    TPUEstimator passes `config` (its RunConfig), whose model_dir locates the
    critic-tracking files.
    """
    del labels, params
    is_training = (mode == tf.estimator.ModeKeys.TRAIN)
    return self.penalized_spec(self.vae_outputs(features, is_training), mode,
                               config)

  def vae_outputs(self, features, is_training):
    """The VAEOutputs of a batch: dlib's BaseVAE.model_fn up to the loss."""
    # Same op order as dlib's BaseVAE.model_fn, so that with a penalty of 0 the
    # graph-seeded sampling and initialisation match dlib's.
    data_shape = features.get_shape().as_list()[1:]
    z_mean, z_logvar = self.gaussian_encoder(features, is_training=is_training)
    z_sampled = self.sample_from_latent_distribution(z_mean, z_logvar)
    reconstructions = self.decode(z_sampled, data_shape, is_training)
    per_sample_loss = losses.make_reconstruction_loss(features, reconstructions)
    reconstruction_loss = tf.reduce_mean(per_sample_loss)
    kl_loss = vae.compute_gaussian_kl(z_mean, z_logvar)
    return VAEOutputs(features, reconstructions, z_mean, z_logvar, z_sampled,
                      kl_loss, reconstruction_loss)

  def penalized_spec(self, outputs, mode, config):
    """The TPUEstimatorSpec of `outputs` (a VAEOutputs): loss, updates, logs."""
    is_training = (mode == tf.estimator.ModeKeys.TRAIN)
    model_name = type(self).__name__
    kl_loss = outputs.kl_loss
    reconstruction_loss = outputs.reconstruction_loss
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
          with tf.control_dependencies([numerics.checked(
              critic_loss, term, model_name, _NAN_FIX)]):
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
    tracking, memory_updates = terms.tracking, []
    if tracking is not None and tracking[2] is None:
      name, estimate, _ = tracking
      memory = critic_tracking.ObservationMemory(outputs.features)

      def encode(images):
        with tf.variable_scope(tf.get_variable_scope(), reuse=True):
          return self.gaussian_encoder(images, is_training=False)

      if is_training:
        reference = memory.reference(penalty.reference_quantity, encode)
        memory_updates.append(memory.update(outputs.features))
      else:
        reference = memory.evaluation_reference(penalty.reference_quantity,
                                                encode, outputs.features)
      tracking = (name, estimate, reference)
    if tracking is not None:
      name, estimate, reference = tracking
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
      checks = numerics.checked_in_order(checked_terms, model_name, _NAN_FIX)
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
      train_op = tf.group([train_op, update_ops] + critic_updates + memory_updates)
      # A reading of the reference encodes the observation memory (~1 s at 64x64):
      # where CriticTrackingHook runs (TPUEstimator passes `config`), only it
      # fetches the reference, at its own interval, and logs and summarises it;
      # the step's logs and summaries leave it out.
      hook_tracks = tracking is not None and config is not None
      train_logs = collections.OrderedDict(
          (name, value) for name, value in logs.items()
          if not (hook_tracks and name in tracking_logs))
      for name, value in train_logs.items():
        tf.summary.scalar(name, value)
      hooks = [LoggingHook(train_logs)]
      if hook_tracks:
        hooks.append(critic_tracking.CriticTrackingHook(
            tracking, penalty.warmup_steps, config.model_dir,
            penalty.lag_advice(getattr(type(self), "gin_name",
                                       type(self).__name__))))
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

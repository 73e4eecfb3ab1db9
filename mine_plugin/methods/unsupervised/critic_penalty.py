"""The base of the penalties estimated by a critic trained in the inner loop.

A `penalized_vae.Penalty` whose quantity a `critics.Critic` estimates: MINE (Belghazi
et al. 2018) or the density-ratio classifier (FactorVAE, Kim & Mnih 2018, Sec. 3).
"""
from mine_plugin.methods.shared import critics
from mine_plugin.methods.unsupervised import penalized_vae
import tensorflow.compat.v1 as tf

# Critic-based estimators of every critic penalty: MINE (with its `bound`) or the
# density-ratio classifier. A penalty of two variables may add others
# (`pairwise_mi_vae` adds vCLUB).
CRITIC_ESTIMATORS = ("mine", "density_ratio")

# The estimator of the critic-based models when their gin file does not set it;
# docs/mine_penalty.md has the measurements behind it.
DEFAULT_CRITIC_ESTIMATOR = "density_ratio"

# The critics' training schedule when a model's gin file does not set it:
# `inner_steps` critic updates per training step, the critic's term off for the
# first `warmup_steps` steps. docs/mine_penalty.md has the measurements behind them.
DEFAULT_INNER_STEPS = 5
DEFAULT_WARMUP_STEPS = 500


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


def critic_objective(estimator, bound):
  """The critics.Critic objective of a model's `estimator` and MINE `bound`."""
  critics.check_bound(bound)
  if estimator != "mine":
    if bound != "dv":
      raise ValueError(
          "bound={!r} applies to estimator 'mine' only; the {!r} critic has no "
          "bound. Drop the `bound` binding or set estimator = 'mine'.".format(
              bound, estimator))
    return estimator
  return bound


def check_unused_settings(model, estimator, settings, used_by):
  """Raises ValueError naming every setting that `estimator` does not use.

  A setting at its default is not reported: dlib writes every parameter of a
  trained model, defaults included, to its train.gin, and that file must load.

  Args:
    model: the model's gin name, e.g. "pairwise_mi_vae".
    estimator: the selected estimator.
    settings: {name: (value, default)} of the settings that `estimator` ignores.
    used_by: the estimators (or estimator and bound) that do use them, for the
      message.
  """
  changed = [name for name, (value, default) in settings.items()
             if value != default]
  if changed:
    one = len(changed) == 1
    raise ValueError(
        "{0}.estimator = {1!r} does not use {2}; {3} only to {4}. Remove {5} or "
        "set {6} ({7}), or choose an estimator that uses {8}.".format(
            model, estimator,
            ", ".join("{}.{} (= {!r})".format(model, n, settings[n][0])
                      for n in changed),
            "it applies" if one else "they apply", used_by,
            "the binding" if one else "the bindings",
            "it to its default" if one else "them to their defaults",
            ", ".join("{}.{} = {!r}".format(model, n, settings[n][1])
                      for n in changed),
            "it" if one else "them"))


class CriticPenalty(penalized_vae.Penalty):
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
  # A subclass that logs its estimate as `<log_prefix>_<estimator>` sets this.
  log_prefix = None

  def __init__(self, weight, estimator=DEFAULT_CRITIC_ESTIMATOR, bound="dv",
               inner_steps=DEFAULT_INNER_STEPS, ema_decay=0.99,
               warmup_steps=DEFAULT_WARMUP_STEPS,
               critic_fn=critics.mlp_critic):
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
    self.critic = self.make_critic(critic_objective(estimator, bound), ema_decay,
                                   critic_fn)
    if self.log_prefix is not None:
      self.name = self.log_prefix + "_" + estimator

  def make_critic(self, objective, ema_decay, critic_fn):
    """The critic of `objective` in `critic_scope`: a critics.Critic."""
    return critics.Critic(self.critic_scope, objective=objective,
                             ema_decay=ema_decay, critic_fn=critic_fn)

  def warmed_up(self, critic_term, is_training):
    """critic_term in training from step `warmup_steps` on, else 0 (EVAL: as is)."""
    if not is_training or not self.warmup_steps:
      return critic_term
    active = tf.cast(tf.train.get_global_step() >= self.warmup_steps,
                     critic_term.dtype)
    return active * critic_term

  def lag_advice(self, gin_name):
    """What to change when the critic lags, for the warning of CriticTrackingHook."""
    return ("Give the critic more updates per training step ({0}.inner_steps, now "
            "{1}), a higher learning rate than the VAE's "
            "(critic_optimizer.learning_rate vs vae/AdamOptimizer.learning_rate), "
            "or a longer warm-up ({0}.warmup_steps, now {2}); or compare another "
            "estimator ({0}.estimator, now {3!r}; valid: {4}).".format(
                gin_name, self.inner_steps, self.warmup_steps, self.estimator,
                ", ".join(repr(e) for e in self.valid_estimators)))

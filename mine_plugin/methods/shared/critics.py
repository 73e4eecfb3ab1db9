"""Critics: the networks that MI estimators train, and their state in a TF1 graph.

`Critic`: MINE's "dv" (Algorithm 1's moving average) or "nwj" bound (Belghazi et al.
2018, https://arxiv.org/abs/1801.04062), or the "density_ratio" classifier (FactorVAE,
Kim & Mnih 2018, Sec. 3). `ClubCritic`: vCLUB's q(y|x) (Cheng et al. 2020,
https://arxiv.org/abs/2006.12013, Sec. 3.2). Both give `terms(joint, marginal,
train_critic)` -> (estimate, loss, critic_loss).
"""
import math

import gin
import numpy as np
import tensorflow.compat.v1 as tf

from mine_plugin.methods.shared import estimators

BOUNDS = ("dv", "nwj")
# What a `Critic` optimises: one of MINE's bounds, or the density-ratio classifier.
OBJECTIVES = BOUNDS + ("density_ratio",)


def check_bound(bound):
  """Raises ValueError naming the valid MINE bounds unless `bound` is one."""
  if bound not in BOUNDS:
    raise ValueError("Unknown MINE bound {!r}; valid bounds are {} ('dv': "
                     "Donsker-Varadhan with the moving-average gradient, 'nwj': "
                     "MINE-f).".format(bound, ", ".join(repr(b) for b in BOUNDS)))


def _check_objective(objective):
  if objective not in OBJECTIVES:
    raise ValueError(
        "Unknown critic objective {!r}; valid: {} ('dv', 'nwj': MINE's bounds, "
        "'density_ratio': a classifier of joint vs product samples).".format(
            objective, ", ".join(repr(o) for o in OBJECTIVES)))



@gin.configurable("mlp_critic", allowlist=["hidden_units"])
def mlp_critic(inputs, hidden_units=(64, 64)):
  """Statistics network T of MINE: a ReLU MLP with a scalar linear output.

  Variables are created in the caller's variable scope under fixed layer names, so a
  second call in a reusing scope applies the same network (joint and marginal
  samples must see one T).

  Args:
    inputs: [batch, d] tensor.
    hidden_units: widths of the hidden layers.

  Returns:
    [batch] tensor of critic outputs.
  """
  net = inputs
  for index, width in enumerate(hidden_units):
    net = tf.layers.dense(net, width, activation=tf.nn.relu,
                          name="hidden_{}".format(index))
  return tf.squeeze(tf.layers.dense(net, 1, name="output"), axis=1)


@gin.configurable("separable_pair_critic", allowlist=["hidden_units", "embedding"])
def separable_pair_critic(inputs, hidden_units=(64, 64), embedding=32):
  """A separable (bilinear) critic of a pair: T(a, b, p) = f(a, p) . g(b, p) + c.

  For the inputs of `pairwise_mi_vae`'s critic, [batch, 2 + num_pairs] = (z_a, z_b,
  one-hot pair id). f and g are ReLU MLPs to `embedding` features; the separable
  form is the critic family of contrastive bounds (Poole et al. 2019, "On Variational
  Bounds of Mutual Information", Sec. 2.3). Variables under fixed names, as
  `mlp_critic`.
  """
  pair_id = inputs[:, 2:]
  features = []
  for side, column in (("first", 0), ("second", 1)):
    net = tf.concat([inputs[:, column:column + 1], pair_id], axis=1)
    for index, width in enumerate(hidden_units):
      net = tf.layers.dense(net, width, activation=tf.nn.relu,
                            name="{}_hidden_{}".format(side, index))
    features.append(tf.layers.dense(net, embedding, name=side + "_embedding"))
  bias = tf.get_variable("separable_bias", [], tf.float32,
                         tf.zeros_initializer())
  return tf.reduce_sum(features[0] * features[1], axis=1) + bias



class Critic(object):
  """A critic network with its training objective, for use inside a TF1 graph.

  Calling `terms(joint, marginal)` applies `critic_fn` (in variable scope `scope`,
  reused) to both sample sets and returns the estimate and the critic's loss.
  Inputs may be [batch, d] (one critic output each) or [batch, k, d] (k estimates
  with one shared critic; the estimates are returned as [k]).

  Attributes:
    scope: variable scope of the critic network and its moving average.
    objective: "dv" (Donsker-Varadhan, bias-corrected gradient), "nwj" (MINE-f) or
      "density_ratio" (logistic classifier; see estimators.py).
    ema_decay: decay of the moving average of E_Q[e^T] for "dv" (MINE uses
      alpha = 0.01, i.e. 0.99).
  """

  def __init__(self, scope, objective="dv", ema_decay=0.99, critic_fn=mlp_critic):
    _check_objective(objective)
    if not 0. <= ema_decay < 1.:
      raise ValueError("ema_decay must be in [0, 1), got {!r}.".format(ema_decay))
    self.scope = scope
    self.objective = objective
    self.ema_decay = ema_decay
    self.critic_fn = critic_fn

  def apply(self, inputs):
    """Critic outputs for [batch, d] or [batch, k, d] inputs: [batch] / [batch, k]."""
    with tf.variable_scope(self.scope, reuse=tf.AUTO_REUSE):
      if inputs.shape.ndims == 2:
        return self.critic_fn(inputs)
      shape = tf.shape(inputs)
      flat = tf.reshape(inputs, [-1, inputs.shape[-1]])
      return tf.reshape(self.critic_fn(flat), shape[:2])

  def _log_moving_average(self, shape):
    with tf.variable_scope(self.scope, reuse=tf.AUTO_REUSE):
      return tf.get_variable(
          "log_moving_average", shape=shape, dtype=tf.float32,
          initializer=tf.constant_initializer(-np.inf), trainable=False)

  def terms(self, joint, marginal, train_critic):
    """Returns (estimate, loss, critic_loss).

    estimate: the MI estimate, [] or [k].
    loss: scalar sum of the estimates whose gradient w.r.t. the inputs is the one
      the encoder should follow (with the moving average for "dv", through the joint
      logits for "density_ratio"); reads but does not update the moving average.
    critic_loss: scalar the critic minimises (minus the summed bound, or the
      summed logistic loss), which updates the moving average when run; None
      unless `train_critic`.
    """
    t_joint = self.apply(joint)
    t_marginal = self.apply(marginal)
    shape = t_joint.shape[1:]
    if self.objective == "density_ratio":
      estimate = estimators.density_ratio_estimate(t_joint)
      critic_loss = None
      if train_critic:
        critic_loss = tf.reduce_sum(
            estimators.density_ratio_critic_loss(t_joint, t_marginal))
      return estimate, tf.reduce_sum(estimate), critic_loss
    if self.objective == "nwj":
      estimate = estimators.nwj_bound(t_joint, t_marginal)
      critic_loss = -tf.reduce_sum(estimate) if train_critic else None
      return estimate, tf.reduce_sum(estimate), critic_loss
    estimate = estimators.donsker_varadhan_bound(t_joint, t_marginal)
    log_ma = self._log_moving_average(shape)
    loss = tf.reduce_sum(estimators.bias_corrected_dv_surrogate(
        t_joint, t_marginal, log_ma.read_value()))
    critic_loss = None
    if train_critic:
      # MINE, Algorithm 1: the average is updated with this batch before it is
      # used in the gradient.
      new_log_ma = estimators.update_log_moving_average(
          log_ma.read_value(), t_marginal, self.ema_decay)
      with tf.control_dependencies([log_ma.assign(new_log_ma)]):
        critic_loss = -tf.reduce_sum(
            estimators.bias_corrected_dv_surrogate(t_joint, t_marginal, new_log_ma))
    return estimate, loss, critic_loss


# q(y|x)'s log-variance lies in [-LOG_VARIANCE_RANGE, LOG_VARIANCE_RANGE]: for
# standardised y (unit variance) a conditional std between e^-4 and e^4 covers any
# dependence the penalties meet, and a bounded variance keeps log q finite while the
# encoder moves y away from where q was fitted.
LOG_VARIANCE_RANGE = 8.


@gin.configurable("club_conditional", allowlist=["hidden_units"])
def gaussian_conditional(inputs, num_outputs, hidden_units=(64, 64)):
  """The variational conditional q(y|x) of CLUB: a diagonal Gaussian from a ReLU MLP.

  Variables are created in the caller's variable scope under fixed layer names (as
  `mlp_critic`).

  Args:
    inputs: [batch, dx] tensor, the conditioning x.
    num_outputs: dimension dy of y.
    hidden_units: widths of the hidden layers.

  Returns:
    (mean, log_variance), each [batch, dy].
  """
  net = inputs
  for index, width in enumerate(hidden_units):
    net = tf.layers.dense(net, width, activation=tf.nn.relu,
                          name="hidden_{}".format(index))
  mean = tf.layers.dense(net, num_outputs, name="mean")
  log_variance = tf.layers.dense(net, num_outputs, activation=tf.nn.tanh,
                                 name="log_variance_unscaled") * LOG_VARIANCE_RANGE
  return mean, log_variance


def gaussian_log_likelihood(y, mean, log_variance):
  """log N(y; mean, diag(exp(log_variance))), summed over the last axis."""
  return -0.5 * tf.reduce_sum(
      tf.square(y - mean) * tf.exp(-log_variance) + log_variance +
      math.log(2. * math.pi), axis=-1)



class ClubCritic(object):
  """vCLUB inside a TF1 graph, with the `Critic` interface.

  `terms(joint, marginal)` takes the same inputs as `Critic`: [batch, d] or
  [batch, k, d] rows of (x, y) for joint and product samples, where the columns
  `target_columns` are y and the rest x (the product samples differ from the joint
  ones in y only). q(y|x) = `conditional_fn(x, len(target_columns))` is fitted by
  maximum likelihood on the joint samples (`critic_loss`); the estimate is
  `estimators.club_estimate`, and its gradient w.r.t. the inputs (q held fixed) is
  what the encoder follows.
  """

  objective = "club"

  def __init__(self, scope, target_columns, conditional_fn=gaussian_conditional):
    target_columns = [int(c) for c in np.atleast_1d(target_columns)]
    if not target_columns or min(target_columns) < 0:
      raise ValueError("target_columns must name at least one column index >= 0, "
                       "got {!r}.".format(target_columns))
    self.scope = scope
    self.target_columns = target_columns
    self.conditional_fn = conditional_fn

  def _split(self, inputs):
    width = inputs.shape[-1]
    if width is None or max(self.target_columns) >= width:
      raise ValueError("ClubCritic: target columns {} outside inputs of width "
                       "{}.".format(self.target_columns, width))
    rest = [c for c in range(width) if c not in self.target_columns]
    if not rest:
      raise ValueError("ClubCritic: no conditioning columns left; every column "
                       "is a target.")
    return (tf.gather(inputs, rest, axis=-1),
            tf.gather(inputs, self.target_columns, axis=-1))

  def log_likelihood(self, inputs):
    """log q(y|x) per row: [batch] for [batch, d] inputs, [batch, k] for 3-D."""
    x, y = self._split(inputs)
    with tf.variable_scope(self.scope, reuse=tf.AUTO_REUSE):
      if inputs.shape.ndims == 2:
        mean, log_variance = self.conditional_fn(x, len(self.target_columns))
        return gaussian_log_likelihood(y, mean, log_variance)
      shape = tf.shape(inputs)
      flat_x = tf.reshape(x, [-1, x.shape[-1]])
      flat_y = tf.reshape(y, [-1, y.shape[-1]])
      mean, log_variance = self.conditional_fn(flat_x, len(self.target_columns))
      return tf.reshape(gaussian_log_likelihood(flat_y, mean, log_variance),
                        shape[:2])

  def terms(self, joint, marginal, train_critic):
    """(estimate, loss, critic_loss) as `Critic.terms`; critic_loss is the NLL."""
    log_q_joint = self.log_likelihood(joint)
    log_q_marginal = self.log_likelihood(marginal)
    estimate = estimators.club_estimate(log_q_joint, log_q_marginal)
    critic_loss = None
    if train_critic:
      critic_loss = -tf.reduce_sum(tf.reduce_mean(log_q_joint, axis=0))
    return estimate, tf.reduce_sum(estimate), critic_loss


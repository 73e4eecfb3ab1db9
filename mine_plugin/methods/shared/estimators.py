"""Mutual-information estimators: MINE and a minibatch estimator for Gaussian codes.

MINE (Belghazi et al. 2018, "Mutual Information Neural Estimation", ICML,
https://arxiv.org/abs/1801.04062) lower-bounds I(X; Y) = KL(P_XY || P_X P_Y) with a
statistics network ("critic") T:

  Donsker-Varadhan (Thm. 1):  I >= E_P[T] - log E_Q[e^T]       (`donsker_varadhan_bound`)
  NWJ / MINE-f (Sec. 3.1):    I >= E_P[T] - E_Q[e^(T - 1)]     (`nwj_bound`)

where P is the joint and Q the product of marginals. Samples of Q are made by
shuffling one side across the batch (`shuffle_rows`; for the total correlation of a
code, dlib's `shuffle_codes` shuffles every dimension on its own). The critic
maximises the bound; the bound is the estimate.

The minibatch gradient of log E_Q[e^T] is biased. MINE (Sec. 3.2, Algorithm 1)
replaces its denominator by a moving average of E_Q[e^T]:
`bias_corrected_dv_surrogate` has the value of the DV bound and that gradient. The
moving average is kept in log space (`update_log_moving_average`), so it neither
overflows nor underflows.

The functions take tensors and return tensors (reductions over axis 0, the batch;
a [batch, k] input gives k bounds at once). `mlp_critic` is the gin-configurable
critic network and `Critic` applies it with one of the objectives inside a graph
(`evaluation.posterior_mi.estimate_mutual_information` trains one on samples).

Density-ratio critic (`density_ratio_critic_loss`, `density_ratio_estimate`): the
critic is a classifier between joint and product samples trained with the logistic
loss; at its optimum its logit is log dP/dQ (the density-ratio trick, Sugiyama et
al. 2012; FactorVAE, Kim & Mnih 2018, Sec. 3), so the mean logit over joint samples
estimates KL(P || Q) = I. It is not a bound, but its loss is bounded below and its
gradients do not pass through exponentials, which makes it the estimator that keeps
up with an encoder that minimises it (docs/mine_penalty.md has the measurements).

Critics see standardised codes (`standardize`: each column to zero mean and unit
variance over the batch). MI and TC are invariant under such per-dimension affine
maps, so the estimated quantity is unchanged, while the critic's inputs keep one
scale however the encoder's scale drifts during training.

CLUB (`club_estimate`, `ClubCritic`; Cheng et al. 2020, "CLUB: A Contrastive
Log-ratio Upper Bound of Mutual Information", ICML, https://arxiv.org/abs/2006.12013,
Eq. 3 and Sec. 3.2 "vCLUB") is made for minimisation: with the true conditional
p(y|x),

  I(X; Y) <= E_P[log p(y|x)] - E_Q[log p(y|x)],

and the variational version replaces p(y|x) by a network q(y|x) (here Gaussian,
`gaussian_conditional`) fitted by maximum likelihood on joint samples. The encoder
then minimises an estimate that is an upper bound when q is close enough to p(y|x)
(their Thm. 3.2: KL(p(x, y) || p(x) q(y|x)) <= KL(p(x) p(y) || p(x) q(y|x))), instead
of a lower bound; with a q that lags the encoder it can fall below the MI too.

`pairwise_mutual_information_mws` is the closed-form alternative for Gaussian
encoders: I(z_a; z_b) for every pair of latent dimensions of the batch's aggregate
posterior, in the way beta-TCVAE's minibatch-weighted sampling estimates the total
correlation (Chen et al. 2018, Sec. 4.1; dlib's `vae.total_correlation`).
"""
import math

from disentanglement_lib.methods.unsupervised import vae
import gin
import numpy as np
import tensorflow.compat.v1 as tf

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


def log_mean_exp(values):
  """log((1/n) sum_i exp(values_i)) over axis 0, by log-sum-exp (no overflow)."""
  num = tf.cast(tf.shape(values)[0], values.dtype)
  return tf.reduce_logsumexp(values, axis=0) - tf.log(num)


def donsker_varadhan_bound(t_joint, t_marginal):
  """Donsker-Varadhan lower bound E_P[T] - log E_Q[e^T] (MINE, Thm. 1, Eq. 4).

  Args:
    t_joint: [batch] or [batch, k] critic outputs on joint samples.
    t_marginal: same shape, critic outputs on product-of-marginals samples.

  Returns:
    The bound in nats: a scalar, or [k] for [batch, k] inputs.
  """
  return tf.reduce_mean(t_joint, axis=0) - log_mean_exp(t_marginal)


def nwj_bound(t_joint, t_marginal):
  """NWJ / MINE-f lower bound E_P[T] - E_Q[e^(T - 1)] (MINE, Sec. 3.1).

  Looser than Donsker-Varadhan but a plain expectation, so its minibatch gradient
  is unbiased and needs no moving average. Shapes as `donsker_varadhan_bound`.
  """
  return (tf.reduce_mean(t_joint, axis=0) -
          tf.reduce_mean(tf.exp(t_marginal - 1.), axis=0))


def density_ratio_critic_loss(logits_joint, logits_marginal):
  """Logistic loss of a classifier of joint (label 1) vs product (label 0) samples.

  With equally many samples of each, the minimiser is logit = log dP/dQ (the
  density-ratio trick; Sugiyama, Suzuki, Kanamori 2012, "Density Ratio Estimation
  in Machine Learning", Sec. 4; used for TC by FactorVAE, Kim & Mnih 2018, Sec. 3).

  Args:
    logits_joint: [batch] or [batch, k] critic logits on joint samples.
    logits_marginal: same shape, on product-of-marginals samples.

  Returns:
    The mean cross-entropy, a scalar or [k].
  """
  return (tf.reduce_mean(tf.nn.softplus(-logits_joint), axis=0) +
          tf.reduce_mean(tf.nn.softplus(logits_marginal), axis=0))


def density_ratio_estimate(logits_joint):
  """KL(P || Q) ~ E_P[logit], the logit being the critic's log dP/dQ.

  FactorVAE (Kim & Mnih 2018, Sec. 3): TC(z) ~ E_q(z)[log D(z) / (1 - D(z))]. For
  joint vs product-of-marginals samples KL(P || Q) is the mutual information.
  Shapes as `density_ratio_critic_loss`.
  """
  return tf.reduce_mean(logits_joint, axis=0)


def standardize(z, epsilon=1e-8, others=()):
  """Each column of z [batch, d] to zero mean and unit variance over the batch.

  A per-dimension affine map, so it leaves MI and TC unchanged; the moments are
  part of the graph (gradients flow through them, which keeps the result exactly
  invariant to the encoder's scale). With `others` (tensors [n, d]), returns
  (z, others) with every tensor mapped by z's moments.
  """
  mean, variance = tf.nn.moments(z, axes=[0], keep_dims=True)
  scale = tf.rsqrt(variance + epsilon)
  if not others:
    return (z - mean) * scale
  return (z - mean) * scale, [(x - mean) * scale for x in others]


def update_log_moving_average(log_moving_average, t_marginal, decay):
  """One step of MINE's moving average of E_Q[e^T], kept in log space.

  MINE, Algorithm 1: ma <- (1 - alpha) ma + alpha mean(e^T), here with
  decay = 1 - alpha, computed as log(decay e^{log ma} + (1 - decay) e^{lme}) with
  lme = log mean e^T. A non-finite `log_moving_average` (the variable's initial
  -inf) means "no average yet": the batch value is taken as it is, which removes the
  initialisation bias.

  Args:
    log_moving_average: [] or [k] current log moving average.
    t_marginal: [batch] or [batch, k] critic outputs on marginal samples.
    decay: float in [0, 1).

  Returns:
    The new log moving average (no gradient flows through it).
  """
  batch_value = tf.stop_gradient(log_mean_exp(t_marginal))
  if decay == 0.:  # No averaging: the batch value (and the naive gradient).
    return batch_value
  old = tf.convert_to_tensor(log_moving_average, dtype=batch_value.dtype)
  old = old + tf.zeros_like(batch_value)
  finite = tf.is_finite(old)
  safe_old = tf.where(finite, old, batch_value)
  mixed = tf.reduce_logsumexp(
      tf.stack([safe_old + math.log(decay), batch_value + math.log1p(-decay)]),
      axis=0)
  return tf.where(finite, mixed, batch_value)


def bias_corrected_dv_surrogate(t_joint, t_marginal, log_moving_average):
  """The DV bound with MINE's bias-corrected gradient (MINE, Sec. 3.2).

  The value equals `donsker_varadhan_bound(t_joint, t_marginal)`. The gradient of
  log E_Q[e^T] is replaced by E_Q[grad T e^T] / ma, where ma = exp(log_moving_average)
  is the moving average of E_Q[e^T] (not the batch mean, whose use makes the
  minibatch gradient biased). Per marginal output t_i of a batch of n:

    d surrogate / d t_joint_i    = 1 / n
    d surrogate / d t_marginal_i = -exp(t_marginal_i - log_moving_average) / n

  A non-finite `log_moving_average` falls back to the batch value, i.e. the naive
  gradient. Shapes as `donsker_varadhan_bound`; `log_moving_average` is [] or [k].
  """
  batch_value = log_mean_exp(t_marginal)
  log_ma = tf.convert_to_tensor(log_moving_average, dtype=batch_value.dtype)
  log_ma = log_ma + tf.zeros_like(batch_value)
  log_ma = tf.stop_gradient(
      tf.where(tf.is_finite(log_ma), log_ma, batch_value))
  # ratio has value 0 and gradient e^{t_i} / (n ma); relative to the moving average,
  # so it stays finite while the average tracks the batch.
  scaled = tf.reduce_mean(tf.exp(t_marginal - log_ma), axis=0)
  ratio = scaled - tf.stop_gradient(scaled)
  return (tf.reduce_mean(t_joint, axis=0) - tf.stop_gradient(batch_value) -
          ratio)


def shuffle_rows(x):
  """Permutes the rows of x (the batch), all columns with the same permutation."""
  return tf.gather(x, tf.random_shuffle(tf.range(tf.shape(x)[0])))


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


def club_estimate(log_q_joint, log_q_marginal):
  """vCLUB: E_P[log q(y|x)] - E_Q[log q(y|x)] (Cheng et al. 2020, Eq. 3, Sec. 3.2).

  With q the true conditional p(y|x) this upper-bounds I(X; Y) (their Thm. 3.1;
  for a bivariate Gaussian with correlation rho it equals rho^2 / (1 - rho^2)
  against I = -log(1 - rho^2) / 2).

  Args:
    log_q_joint: [batch] or [batch, k] log q(y|x) at joint samples (x, y).
    log_q_marginal: same shape, at product samples (x, y') with y' shuffled.

  Returns:
    The estimate, a scalar or [k].
  """
  return (tf.reduce_mean(log_q_joint, axis=0) -
          tf.reduce_mean(log_q_marginal, axis=0))


class ClubCritic(object):
  """vCLUB inside a TF1 graph, with the `Critic` interface.

  `terms(joint, marginal)` takes the same inputs as `Critic`: [batch, d] or
  [batch, k, d] rows of (x, y) for joint and product samples, where the columns
  `target_columns` are y and the rest x (the product samples differ from the joint
  ones in y only). q(y|x) = `conditional_fn(x, len(target_columns))` is fitted by
  maximum likelihood on the joint samples (`critic_loss`); the estimate is
  `club_estimate`, and its gradient w.r.t. the inputs (q held fixed) is what the
  encoder follows.
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
    estimate = club_estimate(log_q_joint, log_q_marginal)
    critic_loss = None
    if train_critic:
      critic_loss = -tf.reduce_sum(tf.reduce_mean(log_q_joint, axis=0))
    return estimate, tf.reduce_sum(estimate), critic_loss


def pairs(num_latent):
  """Unordered pairs (a, b), a < b, of latent dimensions as two int arrays."""
  first, second = np.triu_indices(num_latent, k=1)
  return first.astype(np.int32), second.astype(np.int32)


def pairwise_mutual_information_mws(z, z_mean, z_logvar):
  """I(z_a; z_b) for all pairs of dimensions under the batch's aggregate posterior.

  The aggregate posterior is estimated from the batch as in beta-TCVAE's
  minibatch-weighted sampling (Chen et al. 2018, "Isolating Sources of
  Disentanglement in VAEs", Sec. 4.1, Eq. S6; dlib's `total_correlation`):
  q(z_S) ~ (1/M) sum_i q(z_S | x_i) for the subsets S = {a}, {b}, {a, b} of
  dimensions, and

    I(z_a; z_b) ~ mean_j [log q(z_ja, z_jb) - log q(z_ja) - log q(z_jb)]

  at the samples z_j. The 1/M normalisers leave + log M, which dlib's
  `total_correlation` drops as a constant; here it is kept so the value is in nats
  (it does not change gradients). All pairs a < b are computed at once, as one
  [M, M, L(L-1)/2] tensor (I is symmetric). Like MWS, the estimate is biased for
  small batches (the i = j term of each sum dominates when posteriors are narrow
  compared with the spread of the means): it approaches the true value as M grows.

  Args:
    z: [M, L] sampled codes.
    z_mean: [M, L] encoder means.
    z_logvar: [M, L] encoder log variances.

  Returns:
    [L, L] symmetric tensor of estimates with a zero diagonal.
  """
  # dlib's gaussian_log_density: log q(z_jl | x_i), indexed [j, i, l].
  log_q = vae.gaussian_log_density(
      tf.expand_dims(z, 1), tf.expand_dims(z_mean, 0),
      tf.expand_dims(z_logvar, 0))
  num_latent = tf.compat.dimension_value(z.shape[1])
  first, second = pairs(num_latent)
  num = tf.cast(tf.shape(z)[0], z.dtype)
  # log q(z_ja) + const, [j, a].
  log_q_single = tf.reduce_logsumexp(log_q, axis=1)
  # log q(z_ja, z_jb) + const for the pairs a < b only, [j, pair]: the two
  # conditionals multiply per x_i. (Half the work of all [L, L] combinations.)
  log_q_pair = tf.reduce_logsumexp(
      tf.gather(log_q, first, axis=2) + tf.gather(log_q, second, axis=2), axis=1)
  mi_pairs = tf.reduce_mean(
      log_q_pair - tf.gather(log_q_single, first, axis=1) -
      tf.gather(log_q_single, second, axis=1), axis=0) + tf.log(num)
  indices = np.stack([np.concatenate([first, second]),
                      np.concatenate([second, first])], axis=1)
  return tf.scatter_nd(indices, tf.concat([mi_pairs, mi_pairs], axis=0),
                       [num_latent, num_latent])


def mixture_dependence(z, component_mean, component_logvar, log_weight,
                       sample_weight):
  """sum_{i != j} I(z_i; z_j) and TC(z) at samples z of a Gaussian mixture.

  q(z) = sum_k w_k N(z; component_mean[k], diag exp(component_logvar[k])), the
  aggregate posterior of Chen et al. 2018 (Sec. 4.1), with weights per sample
  (`log_weight`, each row normalised), so that a sample's own component can be left
  out: with the posteriors of every observation as components that is exact up to
  Monte Carlo, with a sample of observations an estimate, and without minibatch
  sampling's bias towards log M per pair when the posteriors are narrow. Marginals
  of the mixture on a subset of dimensions are mixtures of the components'
  marginals, so I(z_a; z_b) = E[log q(z_a, z_b) - log q(z_a) - log q(z_b)] and
  TC = E[log q(z) - sum_l log q(z_l)] (Watanabe 1960) are averages over samples.

  Args:
    z: [M, L] samples of q(z).
    component_mean, component_logvar: [K, L].
    log_weight: [M, K] log mixture weights seen from each sample (-inf: left out).
    sample_weight: [M] weights of the samples in the averages (sum 1).

  Returns:
    (pairwise_sum, total_correlation), scalar tensors in nats.
  """
  log_q = vae.gaussian_log_density(
      tf.expand_dims(z, 1), tf.expand_dims(component_mean, 0),
      tf.expand_dims(component_logvar, 0))  # [M, K, L]

  def log_mixture(log_density):  # [M, K] -> [M]
    return tf.reduce_logsumexp(log_density + log_weight, axis=1)

  def average(values):
    return tf.reduce_sum(sample_weight * values)

  num_latent = tf.compat.dimension_value(z.shape[1])
  single = tf.stack([log_mixture(log_q[:, :, d]) for d in range(num_latent)], 1)
  first, second = pairs(num_latent)
  pair_terms = [log_mixture(log_q[:, :, a] + log_q[:, :, b]) - single[:, a] -
                single[:, b] for a, b in zip(first, second)]
  pairwise_sum = 2. * average(tf.add_n(pair_terms))
  total_correlation = average(
      log_mixture(tf.reduce_sum(log_q, axis=2)) - tf.reduce_sum(single, axis=1))
  return pairwise_sum, total_correlation


class Critic(object):
  """A critic network with its training objective, for use inside a TF1 graph.

  Calling `terms(joint, marginal)` applies `critic_fn` (in variable scope `scope`,
  reused) to both sample sets and returns the estimate and the critic's loss.
  Inputs may be [batch, d] (one critic output each) or [batch, k, d] (k estimates
  with one shared critic; the estimates are returned as [k]).

  Attributes:
    scope: variable scope of the critic network and its moving average.
    objective: "dv" (Donsker-Varadhan, bias-corrected gradient), "nwj" (MINE-f) or
      "density_ratio" (logistic classifier; see the module docstring).
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
      estimate = density_ratio_estimate(t_joint)
      critic_loss = None
      if train_critic:
        critic_loss = tf.reduce_sum(
            density_ratio_critic_loss(t_joint, t_marginal))
      return estimate, tf.reduce_sum(estimate), critic_loss
    if self.objective == "nwj":
      estimate = nwj_bound(t_joint, t_marginal)
      critic_loss = -tf.reduce_sum(estimate) if train_critic else None
      return estimate, tf.reduce_sum(estimate), critic_loss
    estimate = donsker_varadhan_bound(t_joint, t_marginal)
    log_ma = self._log_moving_average(shape)
    loss = tf.reduce_sum(
        bias_corrected_dv_surrogate(t_joint, t_marginal, log_ma.read_value()))
    critic_loss = None
    if train_critic:
      # MINE, Algorithm 1: the average is updated with this batch before it is
      # used in the gradient.
      new_log_ma = update_log_moving_average(log_ma.read_value(), t_marginal,
                                             self.ema_decay)
      with tf.control_dependencies([log_ma.assign(new_log_ma)]):
        critic_loss = -tf.reduce_sum(
            bias_corrected_dv_surrogate(t_joint, t_marginal, new_log_ma))
    return estimate, loss, critic_loss

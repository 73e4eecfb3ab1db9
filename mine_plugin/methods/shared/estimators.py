"""MI estimators as pure functions: MINE's bounds, density ratio, vCLUB, MWS.

Tensors in, tensors out, reduced over axis 0; no variables (critics: `critics.py`).
P: the joint; Q: the product of marginals (one side shuffled across the batch).

  DV (Belghazi et al. 2018, https://arxiv.org/abs/1801.04062, Thm. 1):
      I >= E_P[T] - log E_Q[e^T]; Sec. 3.2 / Alg. 1's moving-average gradient.
  NWJ / MINE-f (ibid., Sec. 3.1): I >= E_P[T] - E_Q[e^(T - 1)].
  Density ratio (Sugiyama et al. 2012; FactorVAE, Kim & Mnih 2018, Sec. 3): mean
      logit of a P-vs-Q classifier; not a bound, keeps up with a minimising encoder.
  vCLUB (Cheng et al. 2020, https://arxiv.org/abs/2006.12013, Eq. 3, Sec. 3.2):
      E_P[log q(y|x)] - E_Q[log q(y|x)]; an upper bound only while q ~ p(y|x).
  MWS (Chen et al. 2018, Sec. 4.1; dlib's `vae.total_correlation`): closed-form
      pairwise I(z_a; z_b) of the batch's aggregate Gaussian posterior.
"""
import math

from disentanglement_lib.methods.unsupervised import vae
import numpy as np
import tensorflow.compat.v1 as tf


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

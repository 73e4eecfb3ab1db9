"""`info_vae`: InfoVAE with the MMD divergence (Zhao, Song, Ermon 2017)."""
import gin
from mine_plugin.methods.unsupervised import penalized_vae
import tensorflow.compat.v1 as tf


def gaussian_kernel(x, y, variance):
  """k(x_i, y_j) = exp(-||x_i - y_j||^2 / (2 variance)) as [N, M]."""
  squared = (tf.reduce_sum(tf.square(x), axis=1)[:, None] +
             tf.reduce_sum(tf.square(y), axis=1)[None, :] -
             2. * tf.matmul(x, y, transpose_b=True))
  return tf.exp(-tf.maximum(squared, 0.) / (2. * variance))


def mmd_squared(x, y, variance):
  """Unbiased MMD^2 between samples x [N, d] and y [M, d] (N, M >= 2).

  Gretton et al. 2012, "A Kernel Two-Sample Test" (JMLR 13), Lemma 6 / Eq. 3:
  MMD_u^2 = sum_{i != j} k(x_i, x_j) / (N (N - 1)) + sum_{i != j} k(y_i, y_j) /
  (M (M - 1)) - 2 sum_{i, j} k(x_i, y_j) / (N M), with `gaussian_kernel`. Unbiased,
  so it can be slightly negative when the two distributions are equal.
  """
  n = tf.cast(tf.shape(x)[0], x.dtype)
  m = tf.cast(tf.shape(y)[0], y.dtype)
  # k(a, a) = 1 on the diagonals of the within-sample sums.
  within_x = (tf.reduce_sum(gaussian_kernel(x, x, variance)) - n) / (n * (n - 1.))
  within_y = (tf.reduce_sum(gaussian_kernel(y, y, variance)) - m) / (m * (m - 1.))
  across = tf.reduce_sum(gaussian_kernel(x, y, variance)) / (n * m)
  return within_x + within_y - 2. * across


class PriorMMD(penalized_vae.Penalty):
  """weight * MMD^2(q(z), p(z)): the batch's z ~ q(z|x) against as many z ~ N(0, I).

  Logs `mmd` (the unweighted MMD^2 estimate).
  """

  name = "mmd"

  def __init__(self, weight, kernel_variance=None):
    self.weight = weight
    self.kernel_variance = kernel_variance

  def __call__(self, outputs, is_training):
    del is_training
    z = outputs.z_sampled
    variance = (tf.cast(tf.shape(z)[1], z.dtype) if self.kernel_variance is None
                else self.kernel_variance)
    mmd = mmd_squared(z, tf.random.normal(tf.shape(z), dtype=z.dtype), variance)
    return penalized_vae.PenaltyTerms(self.weight * mmd, None, {self.name: mmd})


@gin.configurable("info_vae", allowlist=["alpha", "lam", "kernel_variance"])
class InfoVAE(penalized_vae.PenalizedVAE):
  """InfoVAE, MMD version (Zhao, Song, Ermon 2017, https://arxiv.org/abs/1706.02262).

  The InfoVAE objective (Sec. 4, Eq. 6, as a loss to minimise):

    recon + (1 - alpha) * KL(q(z|x) || p(z)) + (alpha + lam - 1) * D(q(z) || p(z)),

  with D the maximum mean discrepancy (the paper's MMD-VAE, Sec. 4.2): `mmd_squared`
  between the batch's z ~ q(z|x) (a sample of the aggregate posterior q(z)) and as
  many draws of p(z) = N(0, I). Kernel: Gaussian, k(a, b) = exp(-||a - b||^2 /
  (2 sigma^2)); `kernel_variance` sigma^2 defaults to the latent dimension d, so that
  2 sigma^2 = E ||a - b||^2 = 2d for a, b ~ p(z). alpha = 1 drops the per-sample KL
  (the common "MMD-VAE"); alpha = 0, lam = 1 is dlib's VAE. Needs 0 <= alpha <= 1
  and alpha + lam - 1 >= 0 (the paper allows any alpha; a negative one, a KL
  weight above 1, is beta-VAE's domain here).
  """

  gin_name = "info_vae"

  def __init__(self, alpha=gin.REQUIRED, lam=gin.REQUIRED, kernel_variance=None):
    alpha = penalized_vae.check_weight(self.gin_name, "alpha", alpha)
    lam = penalized_vae.check_weight(self.gin_name, "lam", lam)
    if alpha > 1. or alpha + lam < 1.:
      raise ValueError(
          "info_vae needs 0 <= alpha <= 1 and alpha + lam - 1 >= 0 (the weights of "
          "the KL and the MMD are 1 - alpha and alpha + lam - 1), got alpha = {:g}, "
          "lam = {:g}; e.g. alpha = 1, lam = 1000 (MMD-VAE).".format(alpha, lam))
    if kernel_variance is not None:
      kernel_variance = penalized_vae.check_weight(
          self.gin_name, "kernel_variance", kernel_variance, minimum=1e-12)
    self.alpha, self.lam = alpha, lam
    super(InfoVAE, self).__init__(
        penalty=PriorMMD(alpha + lam - 1., kernel_variance), beta=1. - alpha)

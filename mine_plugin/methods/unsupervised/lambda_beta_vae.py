"""`lambda_beta_vae`: beta-VAE + lam * ||x - x_hat||^2."""
from disentanglement_lib.methods.shared import losses
import gin
from mine_plugin.methods.unsupervised import penalized_vae
import tensorflow.compat.v1 as tf


class ReconstructionL2(penalized_vae.Penalty):
  """weight * ||x - x_hat||^2, averaged over the batch.

  x_hat is the Bernoulli mean sigmoid(decoder logits); the squared error is summed
  over pixels and channels per sample, then averaged over the batch -- dlib's
  `l2_loss` with activation "logits". Logs `reconstruction_l2`.
  """

  name = "reconstruction_l2"

  def __init__(self, weight):
    self.weight = weight

  def __call__(self, outputs, is_training):
    del is_training
    l2 = tf.reduce_mean(losses.l2_loss(outputs.features, outputs.reconstructions,
                                       "logits"))
    return penalized_vae.PenaltyTerms(self.weight * l2, None, {self.name: l2})


@gin.configurable("lambda_beta_vae", allowlist=["beta", "lam"])
class LambdaBetaVAE(penalized_vae.PenalizedVAE):
  """lambda-beta-VAE: beta-VAE + lam * ||x - x_hat||^2.

  Vu, Wan, Wei 2026, "Mutual Information Collapse Explains Disentanglement Failure
  in beta-VAEs" (https://arxiv.org/abs/2602.09277): an auxiliary L2 reconstruction
  term keeps the mutual information between x and z from collapsing at large beta.
  x_hat = sigmoid(decoder logits), the Bernoulli mean; see ReconstructionL2. With
  lam = 0 the loss is dlib's beta-VAE (`vae`) loss exactly.
  """

  gin_name = "lambda_beta_vae"

  def __init__(self, beta=gin.REQUIRED, lam=gin.REQUIRED):
    beta = penalized_vae.check_weight(self.gin_name, "beta", beta)
    lam = penalized_vae.check_weight(self.gin_name, "lam", lam)
    super(LambdaBetaVAE, self).__init__(penalty=ReconstructionL2(lam), beta=beta)

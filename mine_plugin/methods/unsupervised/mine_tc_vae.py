"""`mine_tc_vae`: beta-TCVAE with the total correlation estimated by a critic."""
from disentanglement_lib.methods.unsupervised import vae
import gin
from mine_plugin.methods.shared import estimators
from mine_plugin.methods.unsupervised import critic_penalty
from mine_plugin.methods.unsupervised import penalized_vae
import tensorflow.compat.v1 as tf


class MineTotalCorrelation(critic_penalty.CriticPenalty):
  """weight * TC(z), the total correlation of the code estimated by a critic.

  TC(z) = KL(q(z) || prod_l q(z_l)) (Watanabe 1960; Chen et al. 2018, Eq. 2) is the
  mutual information between the joint code and its dimension-wise independent
  version, so MINE applies with joint samples z ~ q(z) and product samples from
  dlib's `shuffle_codes` (every dimension shuffled across the batch on its own, as
  FactorVAE does); so does the density-ratio critic (FactorVAE's own estimator,
  Kim & Mnih 2018, Sec. 3). The critic learns in `inner_steps` updates, the encoder
  minimises the estimate. Reference: the TC of the mixture of recent posteriors
  (critic_tracking.ObservationMemory).

  Logs `tc_<estimator>` (the estimate).
  """

  critic_scope = "tc_critic"
  log_prefix = "tc"
  reference_quantity = "total_correlation"

  def __call__(self, outputs, is_training):
    z = estimators.standardize(outputs.z_sampled)
    estimate, loss, critic_loss = self.critic.terms(
        z, vae.shuffle_codes(z), train_critic=is_training)
    # Reference: the mixture of recent posteriors (reference_quantity).
    return penalized_vae.PenaltyTerms(
        self.weight * self.warmed_up(loss, is_training), critic_loss,
        {self.name: estimate}, (self.name, estimate, None))


@gin.configurable("mine_tc_vae",
                  allowlist=["beta", "estimator", "bound", "inner_steps",
                             "ema_decay", "warmup_steps"])
class MineTCVAE(penalized_vae.PenalizedVAE):
  """beta-TCVAE with the total correlation estimated by a critic.

  Chen et al. 2018, "Isolating Sources of Disentanglement in Variational
  Autoencoders" (https://arxiv.org/abs/1802.04942), Eq. 4 with alpha = gamma = 1:
  loss = reconstruction + KL + (beta - 1) * TC, as dlib's `beta_tc_vae`, but TC is
  a critic's estimate (MINE, Belghazi et al. 2018, or the density-ratio critic of
  FactorVAE, Kim & Mnih 2018) instead of minibatch-weighted sampling.
  """

  gin_name = "mine_tc_vae"

  def __init__(self, beta=gin.REQUIRED,
               estimator=critic_penalty.DEFAULT_CRITIC_ESTIMATOR, bound="dv",
               inner_steps=critic_penalty.DEFAULT_INNER_STEPS, ema_decay=0.99,
               warmup_steps=critic_penalty.DEFAULT_WARMUP_STEPS):
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
    beta = penalized_vae.check_weight(self.gin_name, "beta", beta, minimum=1.)
    super(MineTCVAE, self).__init__(
        penalty=MineTotalCorrelation(
            beta - 1., estimator=estimator, bound=bound, inner_steps=inner_steps,
            ema_decay=ema_decay, warmup_steps=warmup_steps), beta=1.)

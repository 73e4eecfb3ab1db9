"""`pairwise_mi_vae`: beta-VAE + lam * sum_{i != j} I(z_i; z_j), two penalties.

Lan, Putra, Fernandez, "Mutual Information Constrained Variational Framework for
Identifiable Representation Disentangling", Sec. 4.2. `PairwiseMIVAE.estimator`
"mws" logs `pairwise_mi`; "mine", "density_ratio", "club" log `pairwise_mi_<estimator>`
(+ `_reference`, `_ratio`, `_critic_loss`), the studies' result columns. Settings
the estimator does not use must stay at their defaults.
"""
import gin
from mine_plugin.methods.shared import critics
from mine_plugin.methods.shared import estimators
from mine_plugin.methods.unsupervised import critic_penalty
from mine_plugin.methods.unsupervised import penalized_vae
import tensorflow.compat.v1 as tf

# The critic estimators of the pairwise penalty: those of every critic penalty and
# vCLUB (critics.ClubCritic), an upper bound on the MI of two variables when its
# q fits (Cheng et al. 2020, Thm. 3.2), which does not apply to TC or to the
# allocator's partitions.
PAIRWISE_CRITIC_ESTIMATORS = critic_penalty.CRITIC_ESTIMATORS + ("club",)
PAIRWISE_ESTIMATORS = ("mws",) + PAIRWISE_CRITIC_ESTIMATORS

# The log name of the closed-form estimate; a critic's is LOG_NAME + "_<estimator>".
LOG_NAME = "pairwise_mi"


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


class PairwiseMWSMutualInformation(penalized_vae.Penalty):
  """weight * sum_{i != j} I(z_i; z_j), in closed form over the batch's posteriors.

  `estimators.pairwise_mutual_information_mws` (minibatch-weighted sampling, as
  beta-TCVAE's estimate of TC, Chen et al. 2018, Sec. 4.1), over all ordered
  pairs of latent dimensions; no auxiliary network.
  """

  name = LOG_NAME

  def __init__(self, weight):
    self.weight = weight

  def __call__(self, outputs, is_training):
    del is_training
    check_pairs(outputs.z_sampled)
    total = pairwise_total_mws(outputs)
    return penalized_vae.PenaltyTerms(self.weight * total, None,
                                      {self.name: total})


class PairwiseCriticMutualInformation(critic_penalty.CriticPenalty):
  """weight * sum_{i != j} I(z_i; z_j), estimated by one critic shared by all pairs.

  For the pair p = (a, b), a < b, the critic sees (z_a, z_b, one-hot(p)); product
  samples pair z_a with z_b of a shuffled batch. All pairs go through the critic
  as one batch. I(z_i; z_j) is symmetric, so the sum over ordered pairs is twice
  the sum over a < b. With estimator "club" the critic is vCLUB's q(z_b | z_a, p)
  (`critics.ClubCritic`), an upper bound on the MI where q fits (instead of a
  lower bound). Reference: the "mws" estimate of the same sum.
  """

  critic_scope = "pairwise_mi_critic"
  valid_estimators = PAIRWISE_CRITIC_ESTIMATORS
  reference_quantity = "pairwise_mi_sum"
  log_prefix = LOG_NAME

  def make_critic(self, objective, ema_decay, critic_fn):
    if objective == "club":
      # q(z_b | z_a, pair id): the second column of `pair_samples`.
      return critics.ClubCritic(self.critic_scope, target_columns=[1])
    return super(PairwiseCriticMutualInformation, self).make_critic(
        objective, ema_decay, critic_fn)

  def __init__(self, weight, samples_per_input=1, replay_batches=0, **kwargs):
    super(PairwiseCriticMutualInformation, self).__init__(weight, **kwargs)
    self.samples_per_input = samples_per_input
    self.replay_batches = replay_batches
    self._replay = None

  def codes(self, outputs, is_training):
    """The batch's codes: z_sampled and `samples_per_input - 1` more draws per x.

    New draws at each call: each critic update and the encoder's term see their own
    (as each sees its own shuffle of the batch).
    """
    z = outputs.z_sampled
    if is_training and self.samples_per_input > 1:
      std = tf.exp(outputs.z_logvar / 2.)
      z = tf.concat([z] + [
          outputs.z_mean + std * tf.random_normal(tf.shape(std))
          for _ in range(self.samples_per_input - 1)], axis=0)
    return z

  def replay_memory(self, z):
    """The stored codes [n, L] of the last `replay_batches` batches (n grows to
    batch * replay_batches); the variables are made once per graph."""
    if self._replay is None or self._replay[0].graph is not tf.get_default_graph():
      batch = tf.compat.dimension_value(z.shape[0])
      if batch is None:
        raise ValueError("replay_batches needs a static batch size.")
      capacity = batch * self.replay_batches
      with tf.variable_scope("pairwise_mi_replay", reuse=tf.AUTO_REUSE):
        codes = tf.get_variable("codes", [capacity, z.shape[1]], tf.float32,
                                tf.zeros_initializer(), trainable=False)
        stored = tf.get_variable("stored", [], tf.int64, tf.zeros_initializer(),
                                 trainable=False)
      self._replay = (codes, stored, batch, capacity, [0])
    codes, stored, _, capacity, _ = self._replay
    return codes.read_value()[:tf.cast(tf.minimum(stored, capacity), tf.int32)]

  def replay_write(self, z):
    """Writes the batch's codes over the oldest; the op joins tf.GraphKeys.UPDATE_OPS.

    `__call__` makes it in its last training call, which `PenalizedVAE.model_fn`
    builds under the critic updates' control dependency: the critics of a step
    train on earlier steps' codes and the current batch, then the batch is stored.
    """
    self.replay_memory(z)
    codes, stored, batch, capacity, _ = self._replay
    rows = tf.cast(tf.mod(stored + tf.range(batch, dtype=tf.int64), capacity),
                   tf.int32)
    with tf.control_dependencies([tf.scatter_update(
        codes, rows, tf.stop_gradient(tf.cast(z, tf.float32)))]):
      write = tf.assign_add(stored, batch)
    tf.add_to_collection(tf.GraphKeys.UPDATE_OPS, write)
    return write

  def __call__(self, outputs, is_training):
    z = self.codes(outputs, is_training)
    if is_training and self.replay_batches:
      self.replay_memory(outputs.z_sampled)
      calls = self._replay[4]
      calls[0] += 1
      if calls[0] == self.inner_steps + 1:  # the encoder's term: after the critics
        self.replay_write(outputs.z_sampled)
      # The critic trains on the current codes and the replayed ones, all mapped
      # by the current batch's moments; the encoder's term uses the current codes.
      current, (replayed,) = estimators.standardize(
          z, others=[self.replay_memory(outputs.z_sampled)])
      critic_joint, critic_marginal = self.pair_samples(
          tf.concat([tf.stop_gradient(current), replayed], axis=0))
      joint, marginal = self.pair_samples(current)
      _, _, critic_loss = self.critic.terms(critic_joint, critic_marginal,
                                            train_critic=True)
      estimate, loss, _ = self.critic.terms(joint, marginal, train_critic=False)
    else:
      joint, marginal = self.pair_samples(estimators.standardize(z))
      estimate, loss, critic_loss = self.critic.terms(
          joint, marginal, train_critic=is_training)
    total = 2. * tf.reduce_sum(estimate)
    # Reference: the mixture of recent posteriors (reference_quantity).
    return penalized_vae.PenaltyTerms(
        self.weight * 2. * self.warmed_up(loss, is_training), critic_loss,
        {self.name: total}, (self.name, total, None))

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


@gin.configurable("pairwise_mi_vae",
                  allowlist=["beta", "lam", "estimator", "bound", "inner_steps",
                             "ema_decay", "warmup_steps", "critic_fn",
                             "samples_per_input", "replay_batches"])
class PairwiseMIVAE(penalized_vae.PenalizedVAE):
  """beta-VAE + lam * sum_{i != j} I(z_i; z_j) (Lan, Putra, Fernandez, Sec. 4.2).

  The pairwise MI in closed form ("mws", `PairwiseMWSMutualInformation`) or by a
  critic ("density_ratio", "mine", "club"; `PairwiseCriticMutualInformation`).
  """

  gin_name = "pairwise_mi_vae"

  def __init__(self, beta=1., lam=gin.REQUIRED, estimator="mws", bound="dv",
               inner_steps=critic_penalty.DEFAULT_INNER_STEPS, ema_decay=0.99,
               warmup_steps=critic_penalty.DEFAULT_WARMUP_STEPS,
               critic_fn=critics.mlp_critic, samples_per_input=1,
               replay_batches=0):
    """Creates the model.

    Args:
      beta: weight of the KL term.
      lam: weight of the pairwise MI penalty.
      estimator: "mws" (closed form, Gaussian posteriors), "density_ratio",
        "mine" or "club" (vCLUB, Cheng et al. 2020).
      bound: "dv" or "nwj"; estimator "mine" only.
      inner_steps: critic updates per VAE update; critic estimators only.
      ema_decay: decay of MINE's moving average; estimator "mine" with bound
        "dv" only.
      warmup_steps: training steps during which the critic trains and its
        penalty is off; critic estimators only.
      critic_fn: the critic network (e.g. @mlp_critic, @separable_pair_critic);
        estimators "mine" and "density_ratio".
      samples_per_input: codes drawn from each posterior for the critic and the
        penalty in training; critic estimators only.
      replay_batches: earlier batches' codes (no gradient) that the critic also
        trains on; 0 = the current batch only; critic estimators only.

    Raises:
      ValueError: for an unknown estimator, a bad value, or a setting that
        `estimator` does not use bound to a value other than its default.
    """
    if estimator not in PAIRWISE_ESTIMATORS:
      raise ValueError(
          "Unknown pairwise MI estimator {!r} ({}.estimator); valid: {}.".format(
              estimator, self.gin_name,
              ", ".join(repr(e) for e in PAIRWISE_ESTIMATORS)))
    beta = penalized_vae.check_weight(self.gin_name, "beta", beta)
    lam = penalized_vae.check_weight(self.gin_name, "lam", lam)
    if estimator == "mws":
      critic_penalty.check_unused_settings(self.gin_name, estimator, {
          "bound": (bound, "dv"),
          "inner_steps": (inner_steps, critic_penalty.DEFAULT_INNER_STEPS),
          "ema_decay": (ema_decay, 0.99),
          "warmup_steps": (warmup_steps, critic_penalty.DEFAULT_WARMUP_STEPS),
          "critic_fn": (critic_fn, critics.mlp_critic),
          "samples_per_input": (samples_per_input, 1),
          "replay_batches": (replay_batches, 0),
      }, used_by="the critic estimators " + ", ".join(
          repr(e) for e in PAIRWISE_CRITIC_ESTIMATORS))
      penalty = PairwiseMWSMutualInformation(lam)
    else:
      for name, value, minimum in (("samples_per_input", samples_per_input, 1),
                                   ("replay_batches", replay_batches, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
          raise ValueError("{}.{} must be an integer >= {}, got {!r}.".format(
              self.gin_name, name, minimum, value))
      if estimator == "club":
        critic_penalty.check_unused_settings(
            self.gin_name, estimator, {"critic_fn": (critic_fn, critics.mlp_critic)},
            used_by="estimators 'mine' and 'density_ratio'")
      penalty = PairwiseCriticMutualInformation(
          lam, estimator=estimator, bound=bound, inner_steps=inner_steps,
          ema_decay=ema_decay, warmup_steps=warmup_steps, critic_fn=critic_fn,
          samples_per_input=samples_per_input, replay_batches=replay_batches)
      if (estimator, bound) != ("mine", "dv"):
        # The density-ratio and vCLUB critics, and MINE's NWJ bound, keep no
        # moving average.
        critic_penalty.check_unused_settings(
            self.gin_name, estimator, {"ema_decay": (ema_decay, 0.99)},
            used_by="estimator 'mine' with bound 'dv'")
    super(PairwiseMIVAE, self).__init__(penalty=penalty, beta=beta)

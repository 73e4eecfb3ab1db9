"""`attention_mine_vae`: a capacity allocator and per-factor MINE penalties.

Critics penalise, per factor k, the MI between its attention-allocated share of the
code and the other factors' shares (items 1-5: `capacity_allocator`; the choices:
docs/attention.md):

    I_k = E_joint[T(x_k, y_k, k)] - log E_marginal[exp T(x_k, y_k~, k)]   (item 3)
    loss = recon + beta * KL + lambda * sum_k I_k + alpha * L2(A) + gamma * H(A)

MINE's DV bound (Belghazi et al. 2018, https://arxiv.org/abs/1801.04062, Thm. 1 /
Eq. 4), bi-level like FactorVAE (Kim & Mnih 2018, https://arxiv.org/abs/1802.05983,
Alg. 1: critic inner; encoder, decoder, allocator outer); L2, H: item 4; tracking
reference: item 5. A finished training writes A to `<model_dir>/results/json/
attention_allocation.json` and EVAL metrics `allocation/z<j>_<slot>` (A[j, i]).
"""
import gin
from mine_plugin.methods.shared import critics
from mine_plugin.methods.shared import estimators
from mine_plugin.methods.unsupervised import capacity_allocator
from mine_plugin.methods.unsupervised import critic_penalty
from mine_plugin.methods.unsupervised import penalized_vae
from mine_plugin.records import run_files
import tensorflow.compat.v1 as tf

# 0.1's `mine_plugin.attention` (an alias of this module, old_module_paths.py)
# held the allocation file's I/O; scripts written against it keep reading it here.
ALLOCATION_FILE = run_files.ALLOCATION_FILE
read_allocation = run_files.read_allocation
write_allocation = run_files.write_allocation

# `allocator`: "attention" learns A (`capacity_allocator.allocate`); "fixed" holds
# `capacity_allocator.fixed_allocation`, the ablation without the allocator.
ALLOCATORS = ("attention", "fixed")


class AttentionAllocation(critic_penalty.CriticPenalty):
  """lam * MINE + alpha * L2(A) + gamma * H(A) of the module docstring.

  The allocator's variables live in `outer_scope` (trained with the VAE, outer
  loop); the one critic shared by all factors lives in `critic_scope` (inner loop).
  Logs `attention_mine` (sum_k I_k), `attention_mine/factor<k>`, `attention_l2`,
  `attention_entropy` and `capacity/<slot>`.
  """

  name = "attention"
  critic_scope = "attention_critic"
  outer_scope = "attention_allocator"

  def __init__(self, num_factors, lam, alpha, gamma, nuisance_capacity=None,
               embedding_dim=16, key_dim=16,
               estimator=critic_penalty.DEFAULT_CRITIC_ESTIMATOR, bound="dv",
               inner_steps=critic_penalty.DEFAULT_INNER_STEPS, ema_decay=0.99,
               warmup_steps=critic_penalty.DEFAULT_WARMUP_STEPS,
               critic_fn=critics.mlp_critic, allocator="attention"):
    if allocator not in ALLOCATORS:
      raise ValueError(
          "attention_mine_vae.allocator must be one of {}, got {!r}.".format(
              ", ".join(repr(a) for a in ALLOCATORS), allocator))
    lam, alpha, gamma = (
        penalized_vae.check_weight("attention_mine_vae", weight_name, weight)
        for weight_name, weight in (("lam", lam), ("alpha", alpha),
                                    ("gamma", gamma)))
    super(AttentionAllocation, self).__init__(
        lam, estimator, bound, inner_steps, ema_decay, warmup_steps, critic_fn)
    self.num_factors = num_factors
    self.prior = capacity_allocator.capacity_prior(num_factors, nuisance_capacity)
    self.lam, self.alpha, self.gamma = lam, alpha, gamma
    self.embedding_dim, self.key_dim = embedding_dim, key_dim
    self.allocator = allocator
    if allocator == "fixed":
      self.outer_scope = None  # no allocator variables for the VAE's optimizer
    if allocator == "fixed" and (alpha or gamma):
      tf.logging.warning(
          "mine_plugin: attention_mine_vae.allocator = 'fixed' holds the "
          "allocation constant, so attention_mine_vae.alpha (%s) and .gamma (%s) "
          "weigh constants and change nothing.", alpha, gamma)

  def allocation(self, num_latent):
    """The (num_latent, K + 1) allocation A: the allocator's, or the fixed one."""
    if self.allocator == "fixed":
      return tf.constant(capacity_allocator.fixed_allocation(num_latent,
                                                             self.num_factors))
    with tf.variable_scope(self.outer_scope, reuse=tf.AUTO_REUSE):
      return capacity_allocator.allocate(num_latent, self.num_factors,
                                         self.embedding_dim, self.key_dim)

  def __call__(self, outputs, is_training):
    z = outputs.z_sampled
    allocation = self.allocation(z.get_shape().as_list()[1])
    own, rest = capacity_allocator.factor_partitions(estimators.standardize(z),
                                                     allocation)
    joint, marginal = capacity_allocator.critic_inputs(
        own, rest, estimators.shuffle_rows(rest))
    estimate, mine_loss, critic_loss = self.critic.terms(
        joint, marginal, train_critic=is_training)
    l2 = capacity_allocator.capacity_l2(allocation, self.prior)
    entropy = capacity_allocator.allocation_entropy(allocation)
    loss = (self.lam * self.warmed_up(mine_loss, is_training) +
            self.alpha * l2 + self.gamma * entropy)
    names = run_files.slot_names(self.num_factors)
    total = tf.reduce_sum(estimate)
    logs = {"attention_mine": total,
            "attention_l2": l2,
            "attention_entropy": entropy}
    capacity = capacity_allocator.slot_capacity(allocation)
    for k, slot in enumerate(names):
      if k < self.num_factors:
        logs["attention_mine/" + slot] = estimate[k]
      logs["capacity/" + slot] = capacity[k]
    reference = tf.stop_gradient(capacity_allocator.partition_dependence_proxy(
        estimators.pairwise_mutual_information_mws(
            z, outputs.z_mean, outputs.z_logvar), allocation))
    return penalized_vae.PenaltyTerms(loss, critic_loss, logs,
                                      ("attention_mine", total, reference))


def allocation_metric_names(num_latent, num_factors):
  """EVAL metric names of A's entries, row-major: 'allocation/z<j>_<slot>'."""
  return ["allocation/z{}_{}".format(j, slot) for j in range(num_latent)
          for slot in run_files.slot_names(num_factors)]


def allocation_path(estimator_model_dir):
  """Where a run whose TPUEstimator writes to `estimator_model_dir` puts the
  allocation file (`run_files.results_json_path`)."""
  return run_files.results_json_path(estimator_model_dir,
                                     run_files.ALLOCATION_FILE)


class _WriteAllocationHook(tf.train.SessionRunHook):
  """Writes the final allocation with `write_allocation` when training ends."""

  def __init__(self, allocation, num_factors, path):
    self._allocation = allocation
    self._num_factors = num_factors
    self._path = path

  def end(self, session):
    run_files.write_allocation(self._path, session.run(self._allocation),
                               self._num_factors)


def _respec(spec, **changes):
  """A copy of a TPUEstimatorSpec with fields changed.

  Not `spec._replace`: TPUEstimatorSpec registers its eval_metrics in `__new__`,
  which `_replace` skips.
  """
  fields = spec._asdict()
  fields.update(changes)
  return type(spec)(**fields)


@gin.configurable(
    "attention_mine_vae",
    allowlist=["beta", "num_factors", "lam", "alpha", "gamma",
               "nuisance_capacity", "embedding_dim", "key_dim", "estimator",
               "bound", "inner_steps", "ema_decay", "warmup_steps", "allocator"])
class AttentionMineVAE(penalized_vae.PenalizedVAE):
  """VAE with a cross-attention capacity allocator and per-factor MINE penalties.

  loss = recon + beta * KL + lam * MINE + alpha * L2(A) + gamma * H(A), critics
  inner, VAE and allocator outer (module docstring; docs/attention.md).
  Vaswani et al. 2017 (https://arxiv.org/abs/1706.03762) for the attention,
  Belghazi et al. 2018 (https://arxiv.org/abs/1801.04062) for MINE.

  Besides dlib's outputs, a training run exports the learned allocation: EVAL
  metrics `allocation/z<j>_<slot>` (in dlib's results/json/train_results.json) and
  results/json/attention_allocation.json (`records.run_files`).
  """

  gin_name = "attention_mine_vae"

  def __init__(self, beta=1., num_factors=3, lam=gin.REQUIRED,
               alpha=gin.REQUIRED, gamma=gin.REQUIRED, nuisance_capacity=None,
               embedding_dim=16, key_dim=16,
               estimator=critic_penalty.DEFAULT_CRITIC_ESTIMATOR, bound="dv",
               inner_steps=critic_penalty.DEFAULT_INNER_STEPS, ema_decay=0.99,
               warmup_steps=critic_penalty.DEFAULT_WARMUP_STEPS,
               allocator="attention"):
    """Creates the model.

    Args:
      beta: weight of the KL term.
      num_factors: K, the number of factor slots (the nuisance slot is extra).
      lam: weight of the summed MINE estimates sum_k I(x_k; y_k).
      alpha: weight of the capacity prior L2(A).
      gamma: weight of the mean row entropy H(A) of the allocation.
      nuisance_capacity: prior share of latent dimensions for the nuisance slot;
        None gives 1 / (K + 1), the uniform prior.
      embedding_dim: m, size of the latent-dimension and slot embeddings.
      key_dim: d_k, size of queries and keys.
      estimator: "density_ratio" (logistic critic) or "mine" (MINE with `bound`).
      bound: "dv" (Donsker-Varadhan, bias-corrected gradient) or "nwj";
        estimator "mine" only.
      inner_steps: critic updates per VAE update.
      ema_decay: decay of MINE's moving average (Sec. 3.2).
      warmup_steps: training steps during which the critic trains and its
        penalty is off.
      allocator: "attention" (the learned allocation) or "fixed" (the hard,
        balanced `capacity_allocator.fixed_allocation`, for the ablation without
        the allocator).
    """
    super(AttentionMineVAE, self).__init__(
        penalty=AttentionAllocation(
            num_factors, lam, alpha, gamma, nuisance_capacity=nuisance_capacity,
            embedding_dim=embedding_dim, key_dim=key_dim, estimator=estimator,
            bound=bound, inner_steps=inner_steps, ema_decay=ema_decay,
            warmup_steps=warmup_steps, allocator=allocator),
        beta=penalized_vae.check_weight("attention_mine_vae", "beta", beta))

  def model_fn(self, features, labels, mode, params, config=None):
    """PenalizedVAE.model_fn plus the export of the allocation A.

    TPUEstimator passes `config` (its RunConfig), whose model_dir locates the
    allocation file.
    """
    del labels, params
    outputs = self.vae_outputs(features,
                               is_training=(mode == tf.estimator.ModeKeys.TRAIN))
    spec = self.penalized_spec(outputs, mode, config)
    num_latent = outputs.z_sampled.get_shape().as_list()[1]
    num_factors = self.penalty.num_factors
    # A fresh read of A, outside the control dependencies on the critic updates
    # that the penalty's own calls carry.
    allocation = self.penalty.allocation(num_latent)
    if mode == tf.estimator.ModeKeys.TRAIN and config is not None:
      hook = _WriteAllocationHook(allocation, num_factors,
                                  allocation_path(config.model_dir))
      spec = _respec(spec, training_hooks=spec.training_hooks + (hook,))
    elif mode == tf.estimator.ModeKeys.EVAL:
      metric_fn, tensors = spec.eval_metrics
      num_logged = len(tensors)
      names = allocation_metric_names(num_latent, num_factors)
      entries = tf.unstack(tf.reshape(allocation, [-1]))

      def metric_fn_with_allocation(*values):
        metrics = metric_fn(*values[:num_logged])
        for name, value in zip(names, values[num_logged:]):
          metrics[name] = tf.metrics.mean(value)
        return metrics

      spec = _respec(spec, eval_metrics=(metric_fn_with_allocation,
                                         list(tensors) + entries))
    return spec

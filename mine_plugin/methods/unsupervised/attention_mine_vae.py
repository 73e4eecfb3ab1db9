"""Cross-attention capacity allocator and the `attention_mine_vae` model.

A VAE whose latent dimensions are softly assigned, by scaled dot-product attention,
to K ground-truth factors plus one nuisance slot; MINE critics penalise the mutual
information between each factor's share of the code and the other factors' shares.
The formulation below is the one implemented and tested here (docs/attention.md
explains the choices and the failure modes).

Notation: d = num_latent, K = num_factors, S = K + 1 slots (slot K is the nuisance),
z in R^d a latent sample (`z_sampled`), B the batch size.

1. Allocation (Vaswani et al. 2017, "Attention Is All You Need",
   https://arxiv.org/abs/1706.03762, Sec. 3.2.1, Eq. 1). Learned embeddings
   e_j in R^m for every latent dimension j and s_i in R^m for every slot i give
   queries Q = E W_q (d x d_k) and keys K = S W_k (S x d_k). The values are the
   one-hot slot indicators, V = I_S, so the attention output is the assignment

       A = softmax(Q K^T / sqrt(d_k)) V = softmax(Q K^T / sqrt(d_k))   (d x S),

   softmax over slots: every row of A sums to one, A[j, i] is the share of latent
   dimension j given to slot i, and c_i = (1/d) sum_j A[j, i] is slot i's capacity.

2. Partitions. Factor k's partition is z masked by its column, and its complement
   is z masked by the columns of the OTHER factors (never the nuisance column):

       x_k = z * A[:, k],      y_k = z * sum_{k' < K, k' != k} A[:, k'].

   Because rows sum to one, y_k = z * (1 - A[:, k] - A[:, K]); it is computed from
   the factor columns only, so the penalty below is a function of A[:, :K] alone:
   its gradient with respect to the nuisance column is exactly zero, and a
   dimension assigned wholly to the nuisance slot enters no partition.

3. MINE penalty (Belghazi et al. 2018, "MINE", https://arxiv.org/abs/1801.04062,
   Thm. 1 / Eq. 4, the Donsker-Varadhan bound). One critic network T(x, y, onehot(k))
   serves all K factors (the one-hot factor id selects the factor's function), so
   the K estimates are computed in one batched call:

       I_k = E_joint[T(x_k, y_k, k)] - log E_marginal[exp T(x_k, y_k~, k)],

   with y_k~ the complement of another sample of the batch (rows permuted), i.e. a
   sample of the product of marginals. The penalty is MINE = sum_k I_k.

4. Allocation priors on A (rows a_j of A, capacities c, prior capacity pi):

       entropy  H(A)  = -(1/d) sum_j sum_i A[j, i] log A[j, i]      (nats, mean over
                        latent dimensions; 0 for a hard assignment, log S uniform),
       L2       L2(A) = sum_i (c_i - pi_i)^2,  pi_i = (1 - pi_K) / K for factors,
                        pi_K the prior nuisance capacity (default 1 / S).

5. Objective, optimised bi-level like FactorVAE (Kim & Mnih 2018,
   https://arxiv.org/abs/1802.05983, Alg. 1): the critic (inner) maximises
   sum_k I_k; the encoder, decoder and allocator (outer) minimise

       recon + beta * KL + lambda * MINE + alpha * L2(A) + gamma * H(A).

   lambda * MINE is differentiated with MINE's moving-average gradient
   (`estimators.bias_corrected_dv_surrogate`) for the DV bound. The critic may
   instead be the density-ratio classifier (`estimator = "density_ratio"`,
   penalized_vae.CRITIC_ESTIMATORS); it sees standardised codes and gets a warm-up, as in
   every critic-based model of `models` (`penalized_vae.CriticPenalty`).

Reference for the critic (critic_tracking.CriticTrackingHook): the I_k are MIs between
soft-masked copies of one code, which have no closed form; the model logs, as a
proxy of the same dependence, sum_k sum_{a != b} A[a, k] R_k[b] I(z_a; z_b), the
pairwise MWS estimates (estimators.pairwise_mutual_information_mws) weighted by
how much of dimension a is in x_k and of b in y_k (R_k = sum_{k' < K, k' != k}
A[:, k']). For a hard assignment and weakly dependent dimensions it is the
second-order expansion of sum_k I_k; otherwise it is a proxy, not the same number.

Why the capacity prior: any assignment with all dimensions in ONE slot (the
nuisance or a single factor) empties every x_k or every y_k and zeroes the MINE
term; such assignments have H(A) = 0 and the same row-wise L2 norm as a balanced
hard partition, so neither the entropy nor an L2 norm of the rows can tell them
apart. L2(A) on the slot capacities does (it is 0.75 for the full collapse of
d dimensions onto one of 4 slots under the uniform prior, 0 for a balanced
partition). alpha sets how far the capacities may drift from pi towards what the
data need. The other failure modes are listed in docs/attention.md.

Outputs: a finished training run writes the assignment to
`<model_dir>/results/json/attention_allocation.json` (`write_allocation`; read it
back with `read_allocation(model_dir)`) and reports every entry A[j, i] as the
EVAL metric `allocation/z<j>_<slot>` in dlib's `train_results.json`.
"""
import json
import math
import os

import gin
from mine_plugin.methods.shared import critic_tracking
from mine_plugin.methods.shared import estimators
from mine_plugin.methods.unsupervised import penalized_vae
import numpy as np
import tensorflow.compat.v1 as tf

NUISANCE = "nuisance"
# Written by a training run next to dlib's train_results.json (see `write_allocation`).
ALLOCATION_FILE = "attention_allocation.json"


def slot_names(num_factors):
  """Names of the K + 1 slots: factor0 ... factor{K-1}, then the nuisance slot."""
  return ["factor{}".format(k) for k in range(num_factors)] + [NUISANCE]


def _static_shape(tensor, rank, name, fix):
  shape = tensor.get_shape()
  if shape.ndims != rank:
    raise ValueError("{} must have rank {}, got shape {}. {}".format(
        name, rank, shape, fix))
  return shape.as_list()


def _check_assignment(assignment):
  """Returns (num_latent, num_slots) of an assignment, or raises ValueError."""
  num_latent, num_slots = _static_shape(
      assignment, 2, "assignment",
      "Pass the (num_latent, num_factors + 1) matrix from attention_weights.")
  if num_slots is not None and num_slots < 2:
    raise ValueError(
        "assignment has {} slot(s); it needs at least one factor slot and the "
        "nuisance slot (num_factors >= 1).".format(num_slots))
  return num_latent, num_slots


def attention_weights(queries, keys):
  """Assignment of latent dimensions to slots by scaled dot-product attention.

  softmax(Q K^T / sqrt(d_k)) (Vaswani et al. 2017, Sec. 3.2.1, Eq. 1) with the
  one-hot slot indicators as values, so the attention output is the weight matrix.

  Args:
    queries: (num_latent, d_k) tensor, one query per latent dimension.
    keys: (num_slots, d_k) tensor, one key per slot (the last is the nuisance).

  Returns:
    (num_latent, num_slots) tensor whose rows are distributions over slots.
  """
  _, query_dim = _static_shape(
      queries, 2, "queries", "Pass one row of d_k features per latent dimension.")
  num_slots, key_dim = _static_shape(
      keys, 2, "keys", "Pass one row of d_k features per slot.")
  if query_dim is None or key_dim is None or query_dim != key_dim:
    raise ValueError(
        "queries and keys need the same, static feature size d_k; got queries "
        "{} and keys {}.".format(queries.get_shape(), keys.get_shape()))
  if num_slots is not None and num_slots < 2:
    raise ValueError(
        "keys has {} row(s); it needs one per factor plus the nuisance slot "
        "(num_factors >= 1).".format(num_slots))
  logits = tf.matmul(queries, keys, transpose_b=True) / math.sqrt(key_dim)
  return tf.nn.softmax(logits, axis=1)


def allocation_entropy(assignment):
  """Mean over latent dimensions of the entropy (nats) of each row of A.

  H(A) = -(1/d) sum_j sum_i A[j, i] log A[j, i]; 0 log 0 is taken as 0.
  """
  _check_assignment(assignment)
  # xlogy gives 0 where A is exactly 0 (a hard assignment), where A * log(A) is nan.
  return -tf.reduce_mean(tf.reduce_sum(tf.math.xlogy(assignment, assignment),
                                       axis=1))


def capacity_prior(num_factors, nuisance_capacity=None):
  """Prior capacity pi (num_factors + 1,): the nuisance share, the rest split evenly.

  Args:
    num_factors: K >= 1.
    nuisance_capacity: pi_K in [0, 1); None means 1 / (K + 1), a uniform prior.
  """
  if not isinstance(num_factors, (int, np.integer)) or num_factors < 1:
    raise ValueError("num_factors must be an integer >= 1, got {!r}.".format(
        num_factors))
  if nuisance_capacity is None:
    nuisance_capacity = 1. / (num_factors + 1)
  if not 0. <= nuisance_capacity < 1.:
    raise ValueError(
        "nuisance_capacity must lie in [0, 1) (the share of latent dimensions the "
        "nuisance slot is expected to take), got {!r}.".format(nuisance_capacity))
  factor_share = (1. - nuisance_capacity) / num_factors
  return np.array([factor_share] * num_factors + [nuisance_capacity],
                  dtype=np.float32)


def slot_capacity(assignment):
  """c_i = (1/d) sum_j A[j, i]: the share of latent dimensions held by each slot."""
  _check_assignment(assignment)
  return tf.reduce_mean(assignment, axis=0)


def capacity_l2(assignment, prior):
  """L2(A) = sum_i (c_i - pi_i)^2, distance of slot capacities from the prior."""
  _, num_slots = _check_assignment(assignment)
  prior = np.asarray(prior, dtype=np.float32)
  if prior.shape != (num_slots,):
    raise ValueError(
        "prior must have shape ({},) (one capacity per slot of the assignment), "
        "got {}. Build it with capacity_prior(num_factors).".format(
            num_slots, prior.shape))
  return tf.reduce_sum(tf.square(slot_capacity(assignment) - prior))


def factor_partitions(z, assignment):
  """Masks z into each factor's partition and the other factors' partition.

  x_k = z * A[:, k] and y_k = z * sum_{k' != k, k' < K} A[:, k'] (module docstring,
  item 2). The nuisance column A[:, K] is never read.

  Args:
    z: (batch_size, num_latent) tensor.
    assignment: (num_latent, num_factors + 1) tensor, last column the nuisance.

  Returns:
    own, rest: two (batch_size, num_factors, num_latent) tensors, [:, k] holding
    x_k and y_k (the layout of `estimators.Critic`'s k estimates).
  """
  num_latent, _ = _check_assignment(assignment)
  _, z_latent = _static_shape(
      z, 2, "z", "Pass latent codes of shape (batch_size, num_latent).")
  if z_latent != num_latent:
    raise ValueError(
        "z has {} latent dimensions but the assignment has {} rows; both must be "
        "num_latent.".format(z_latent, num_latent))
  factor_masks = tf.transpose(assignment[:, :-1])  # (K, d)
  rest_masks = tf.reduce_sum(factor_masks, axis=0, keepdims=True) - factor_masks
  z = tf.expand_dims(z, 1)  # (B, 1, d)
  return z * factor_masks[None], z * rest_masks[None]


def critic_inputs(own, rest, shuffled_rest):
  """Joint and product-of-marginals inputs for one critic shared by all factors.

  Row [b, k] is [x_k, y_k, onehot(k)] (joint) or [x_k, y_k~, onehot(k)] (marginal),
  so one network evaluates the K critics T_k in a single batched call.

  Args:
    own, rest, shuffled_rest: (batch_size, num_factors, num_latent) tensors.

  Returns:
    joint, marginal: (batch_size, num_factors, 2 * num_latent + num_factors).
  """
  num_factors = own.get_shape().as_list()[1]
  factor_id = tf.tile(tf.eye(num_factors)[None], [tf.shape(own)[0], 1, 1])
  return (tf.concat([own, rest, factor_id], axis=2),
          tf.concat([own, shuffled_rest, factor_id], axis=2))


def allocate(num_latent, num_factors, embedding_dim=16, key_dim=16):
  """Creates the allocator's variables in the current variable scope; returns A.

  Variables (module docstring, item 1): `latent_embeddings` E (num_latent x m),
  `slot_embeddings` S ((K + 1) x m), `query_kernel` W_q and `key_kernel` W_k
  (m x d_k). Embeddings start as N(0, 1), so the attention logits start with unit
  scale (random, non-uniform rows that break the symmetry between slots).

  Returns:
    (num_latent, num_factors + 1) assignment A, rows summing to one.
  """
  for name, value, lowest in (("num_latent", num_latent, 1),
                              ("num_factors", num_factors, 1),
                              ("embedding_dim", embedding_dim, 1),
                              ("key_dim", key_dim, 1)):
    if not isinstance(value, (int, np.integer)) or value < lowest:
      raise ValueError("{} must be an integer >= {}, got {!r}.".format(
          name, lowest, value))
  normal = tf.random_normal_initializer(stddev=1.)
  latent_embeddings = tf.get_variable(
      "latent_embeddings", [num_latent, embedding_dim], initializer=normal)
  slot_embeddings = tf.get_variable(
      "slot_embeddings", [num_factors + 1, embedding_dim], initializer=normal)
  query_kernel = tf.get_variable("query_kernel", [embedding_dim, key_dim])
  key_kernel = tf.get_variable("key_kernel", [embedding_dim, key_dim])
  return attention_weights(tf.matmul(latent_embeddings, query_kernel),
                           tf.matmul(slot_embeddings, key_kernel))


ALLOCATORS = ("attention", "fixed")


def fixed_assignment(num_latent, num_factors):
  """The hard, balanced assignment of the ablation without the allocator.

  Latent dimension j goes wholly to factor j mod K; the nuisance slot gets none.
  This is the assignment the capacity prior favours when d is a multiple of K and
  pi_K = 0, held fixed, so that `allocator = "fixed"` keeps the MINE penalty on
  partitions and removes only the learned attention (the MINE Disentangle VAE's
  "without attention" ablation, PAPERS.md).

  Returns:
    (num_latent, num_factors + 1) float32 numpy array, rows summing to one.
  """
  for name, value in (("num_latent", num_latent), ("num_factors", num_factors)):
    if not isinstance(value, (int, np.integer)) or value < 1:
      raise ValueError("{} must be an integer >= 1, got {!r}.".format(name, value))
  assignment = np.zeros((num_latent, num_factors + 1), dtype=np.float32)
  assignment[np.arange(num_latent), np.arange(num_latent) % num_factors] = 1.
  return assignment


class AttentionAllocation(penalized_vae.CriticPenalty):
  """lam * MINE + alpha * L2(A) + gamma * H(A) of the module docstring (items 1-4).

  The allocator's variables live in `outer_scope` (trained with the VAE, outer
  loop); the one critic shared by all factors lives in `critic_scope` (inner loop).
  """

  name = "attention"
  critic_scope = "attention_critic"
  outer_scope = "attention_allocator"

  def __init__(self, num_factors, lam, alpha, gamma, nuisance_capacity=None,
               embedding_dim=16, key_dim=16,
               estimator=penalized_vae.DEFAULT_CRITIC_ESTIMATOR, bound="dv",
               inner_steps=penalized_vae.DEFAULT_INNER_STEPS, ema_decay=0.99,
               warmup_steps=penalized_vae.DEFAULT_WARMUP_STEPS,
               critic_fn=estimators.mlp_critic, allocator="attention"):
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
    self.prior = capacity_prior(num_factors, nuisance_capacity)
    self.lam, self.alpha, self.gamma = lam, alpha, gamma
    self.embedding_dim, self.key_dim = embedding_dim, key_dim
    self.allocator = allocator
    if allocator == "fixed":
      self.outer_scope = None  # no allocator variables for the VAE's optimizer
    if allocator == "fixed" and (alpha or gamma):
      tf.logging.warning(
          "mine_plugin: attention_mine_vae.allocator = 'fixed' holds the assignment "
          "constant, so attention_mine_vae.alpha (%s) and .gamma (%s) weigh "
          "constants and change nothing.", alpha, gamma)
    self.num_latent = None

  def assignment(self, num_latent):
    """The (num_latent, K + 1) assignment A: the allocator's, or the fixed one."""
    if self.allocator == "fixed":
      return tf.constant(fixed_assignment(num_latent, self.num_factors))
    with tf.variable_scope(self.outer_scope, reuse=tf.AUTO_REUSE):
      return allocate(num_latent, self.num_factors, self.embedding_dim,
                      self.key_dim)

  def __call__(self, outputs, is_training):
    z = outputs.z_sampled
    self.num_latent = z.get_shape().as_list()[1]
    assignment = self.assignment(self.num_latent)
    own, rest = factor_partitions(estimators.standardize(z), assignment)
    joint, marginal = critic_inputs(own, rest, estimators.shuffle_rows(rest))
    estimate, mine_loss, critic_loss = self.critic.terms(
        joint, marginal, train_critic=is_training)
    l2 = capacity_l2(assignment, self.prior)
    entropy = allocation_entropy(assignment)
    loss = (self.lam * self.warmed_up(mine_loss, is_training) +
            self.alpha * l2 + self.gamma * entropy)
    names = slot_names(self.num_factors)
    total = tf.reduce_sum(estimate)
    logs = {"attention_mine": total,
            "attention_l2": l2,
            "attention_entropy": entropy}
    capacity = slot_capacity(assignment)
    for k, slot in enumerate(names):
      if k < self.num_factors:
        logs["attention_mine/" + slot] = estimate[k]
      logs["capacity/" + slot] = capacity[k]
    reference = tf.stop_gradient(partition_dependence_proxy(
        estimators.pairwise_mutual_information_mws(
            z, outputs.z_mean, outputs.z_logvar), assignment))
    return penalized_vae.PenaltyTerms(loss, critic_loss, logs,
                               ("attention_mine", total, reference))


def partition_dependence_proxy(pairwise_mi, assignment):
  """sum_k sum_{a, b} A[a, k] R_k[b] I(z_a; z_b) (module docstring, "Reference").

  Args:
    pairwise_mi: (num_latent, num_latent) pairwise MI, zero diagonal.
    assignment: (num_latent, num_factors + 1) tensor, last column the nuisance.

  Returns:
    Scalar, in the units of `pairwise_mi`.
  """
  factor_masks = assignment[:, :-1]  # (d, K)
  rest_masks = tf.reduce_sum(factor_masks, axis=1, keepdims=True) - factor_masks
  # sum over k of factor_masks[:, k]^T I rest_masks[:, k].
  return tf.reduce_sum(factor_masks * tf.matmul(pairwise_mi, rest_masks))


def allocation_metric_names(num_latent, num_factors):
  """EVAL metric names of A's entries, row-major: 'allocation/z<j>_<slot>'."""
  return ["allocation/z{}_{}".format(j, slot) for j in range(num_latent)
          for slot in slot_names(num_factors)]


class _WriteAllocationHook(tf.train.SessionRunHook):
  """Writes the final assignment with `write_allocation` when training ends."""

  def __init__(self, assignment, num_factors, path):
    self._assignment = assignment
    self._num_factors = num_factors
    self._path = path

  def end(self, session):
    write_allocation(self._path, session.run(self._assignment),
                     self._num_factors)


def _respec(spec, **changes):
  """A copy of a TPUEstimatorSpec with fields changed.

  Not `spec._replace`: TPUEstimatorSpec registers its eval_metrics in `__new__`,
  which `_replace` skips.
  """
  fields = spec._asdict()
  fields.update(changes)
  return type(spec)(**fields)


def allocation_path(estimator_model_dir):
  """Where a run whose TPUEstimator writes to `estimator_model_dir` puts the file
  (`critic_tracking.results_json_path`)."""
  return critic_tracking.results_json_path(estimator_model_dir, ALLOCATION_FILE)


def write_allocation(path, allocation, num_factors):
  """Writes A as JSON: the matrix, each dimension's main slot, each slot's dims.

  The file holds one dict (dlib's results aggregation reads every json/*.json
  file as a dict): `slots` (names, nuisance last), `allocation` (num_latent lists
  of K + 1 weights), `dominant_slot` (argmax slot of every latent dimension),
  `latents_by_slot` (slot -> latent dimensions whose argmax it is) and `capacity`
  (slot -> share of the latent dimensions, c_i).
  """
  allocation = np.asarray(allocation, dtype=np.float64)
  names = slot_names(num_factors)
  if allocation.ndim != 2 or allocation.shape[1] != len(names):
    raise ValueError("allocation must have shape (num_latent, {}), got {}.".format(
        len(names), allocation.shape))
  dominant = allocation.argmax(axis=1)
  content = {
      "slots": names,
      "allocation": allocation.tolist(),
      "dominant_slot": [names[i] for i in dominant],
      "latents_by_slot": {name: [int(j) for j in np.flatnonzero(dominant == i)]
                          for i, name in enumerate(names)},
      "capacity": {name: float(c) for name, c in zip(names,
                                                     allocation.mean(axis=0))},
  }
  critic_tracking.write_json(path, content)


def read_allocation(model_dir):
  """The learned (num_latent, K + 1) assignment of a trained attention_mine_vae.

  Args:
    model_dir: dlib_train's --model_dir (or a dlib_postprocess / dlib_evaluate
      output directory, whose results/ dlib copies from it).

  Returns:
    numpy array; row j is latent dimension j's distribution over the slots
    factor0 ... factor{K-1}, nuisance.
  """
  path = os.path.join(model_dir, "results", "json", ALLOCATION_FILE)
  if not tf.gfile.Exists(path):
    raise FileNotFoundError(
        "No {} under {}: it is written when an attention_mine_vae finishes "
        "training with dlib_train (expected at {}). Pass the --model_dir given "
        "to dlib_train.".format(ALLOCATION_FILE, model_dir, path))
  with tf.gfile.GFile(path, "r") as source:
    return np.array(json.load(source)["allocation"])


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

  Besides dlib's outputs, a training run exports the learned assignment: EVAL
  metrics `allocation/z<j>_<slot>` (in dlib's results/json/train_results.json) and
  results/json/attention_allocation.json (`write_allocation`, `read_allocation`).
  """

  gin_name = "attention_mine_vae"

  def __init__(self, beta=1., num_factors=3, lam=gin.REQUIRED,
               alpha=gin.REQUIRED, gamma=gin.REQUIRED, nuisance_capacity=None,
               embedding_dim=16, key_dim=16,
               estimator=penalized_vae.DEFAULT_CRITIC_ESTIMATOR, bound="dv",
               inner_steps=penalized_vae.DEFAULT_INNER_STEPS, ema_decay=0.99,
               warmup_steps=penalized_vae.DEFAULT_WARMUP_STEPS, allocator="attention"):
    """Creates the model.

    Args:
      beta: weight of the KL term.
      num_factors: K, the number of factor slots (the nuisance slot is extra).
      lam: weight of the summed MINE estimates sum_k I(x_k; y_k).
      alpha: weight of the capacity prior L2(A).
      gamma: weight of the mean row entropy H(A) of the assignment.
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
      allocator: "attention" (the learned assignment) or "fixed" (the hard,
        balanced `fixed_assignment`, for the ablation without the allocator).
    """
    super(AttentionMineVAE, self).__init__(
        penalty=AttentionAllocation(
            num_factors, lam, alpha, gamma, nuisance_capacity=nuisance_capacity,
            embedding_dim=embedding_dim, key_dim=key_dim, estimator=estimator,
            bound=bound, inner_steps=inner_steps, ema_decay=ema_decay,
            warmup_steps=warmup_steps, allocator=allocator),
        beta=penalized_vae.check_weight("attention_mine_vae", "beta", beta))

  def model_fn(self, features, labels, mode, params, config=None):
    """PenalizedVAE.model_fn plus the export of the assignment A.

    TPUEstimator passes `config` (its RunConfig), whose model_dir locates the
    allocation file.
    """
    spec = super(AttentionMineVAE, self).model_fn(features, labels, mode, params,
                                                  config)
    num_factors = self.penalty.num_factors
    # A fresh read of A, outside the control dependencies on the critic updates
    # that the penalty's own calls carry.
    assignment = self.penalty.assignment(self.penalty.num_latent)
    if mode == tf.estimator.ModeKeys.TRAIN and config is not None:
      hook = _WriteAllocationHook(assignment, num_factors,
                                  allocation_path(config.model_dir))
      spec = _respec(spec, training_hooks=spec.training_hooks + (hook,))
    elif mode == tf.estimator.ModeKeys.EVAL:
      metric_fn, tensors = spec.eval_metrics
      num_logged = len(tensors)
      names = allocation_metric_names(self.penalty.num_latent, num_factors)
      entries = tf.unstack(tf.reshape(assignment, [-1]))

      def metric_fn_with_allocation(*values):
        metrics = metric_fn(*values[:num_logged])
        for name, value in zip(names, values[num_logged:]):
          metrics[name] = tf.metrics.mean(value)
        return metrics

      spec = _respec(spec, eval_metrics=(metric_fn_with_allocation,
                                         list(tensors) + entries))
    return spec

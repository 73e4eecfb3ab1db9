"""The cross-attention capacity allocator: the allocation A and terms built on it.

d = num_latent, K = num_factors, S = K + 1 slots (slot K: nuisance), z a latent sample.
1. A = softmax(Q K^T / sqrt(d_k)) (d x S), one-hot slot values (Vaswani et al. 2017,
   https://arxiv.org/abs/1706.03762, Sec. 3.2.1, Eq. 1); rows sum to one; slot i's
   capacity is c_i = (1/d) sum_j A[j, i].
2. x_k = z * A[:, k], y_k = z * sum_{k' < K, k' != k} A[:, k']: never the nuisance
   column, so a penalty of the partitions has zero gradient with respect to it.
3. One critic T(x, y, onehot(k)) for all K factors; product samples permute y_k.
4. H(A): mean row entropy (nats). L2(A) = sum_i (c_i - pi_i)^2, pi_K the prior
   nuisance capacity (default 1 / S), pi_i = (1 - pi_K) / K. Unlike H or a row-wise
   L2, it tells a balanced partition from a collapse onto one slot (all x_k or y_k 0).
5. `partition_dependence_proxy`, sum_k sum_{a != b} A[a, k] R_k[b] I(z_a; z_b): the
   second-order expansion of sum_k I_k for a hard allocation and weakly dependent
   dimensions, otherwise only a proxy.
"""
import math

import numpy as np
import tensorflow.compat.v1 as tf


def _static_shape(tensor, rank, name, fix):
  shape = tensor.get_shape()
  if shape.ndims != rank:
    raise ValueError("{} must have rank {}, got shape {}. {}".format(
        name, rank, shape, fix))
  return shape.as_list()


def _check_allocation(allocation):
  """Returns (num_latent, num_slots) of an allocation, or raises ValueError."""
  num_latent, num_slots = _static_shape(
      allocation, 2, "allocation",
      "Pass the (num_latent, num_factors + 1) matrix from attention_weights.")
  if num_slots is not None and num_slots < 2:
    raise ValueError(
        "allocation has {} slot(s); it needs at least one factor slot and the "
        "nuisance slot (num_factors >= 1).".format(num_slots))
  return num_latent, num_slots


def _check_sizes(**sizes):
  for name, value in sizes.items():
    if not isinstance(value, (int, np.integer)) or value < 1:
      raise ValueError("{} must be an integer >= 1, got {!r}.".format(name, value))


def attention_weights(queries, keys):
  """Allocation of latent dimensions to slots by scaled dot-product attention.

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


def allocate(num_latent, num_factors, embedding_dim=16, key_dim=16):
  """Creates the allocator's variables in the current variable scope; returns A.

  Variables (item 1): `latent_embeddings` E (num_latent x m), `slot_embeddings` S
  ((K + 1) x m), `query_kernel` W_q and `key_kernel` W_k (m x d_k). Embeddings
  start as N(0, 1), so the attention logits start with unit scale (random,
  non-uniform rows that break the symmetry between slots).

  Returns:
    (num_latent, num_factors + 1) allocation A, rows summing to one.
  """
  _check_sizes(num_latent=num_latent, num_factors=num_factors,
               embedding_dim=embedding_dim, key_dim=key_dim)
  normal = tf.random_normal_initializer(stddev=1.)
  latent_embeddings = tf.get_variable(
      "latent_embeddings", [num_latent, embedding_dim], initializer=normal)
  slot_embeddings = tf.get_variable(
      "slot_embeddings", [num_factors + 1, embedding_dim], initializer=normal)
  query_kernel = tf.get_variable("query_kernel", [embedding_dim, key_dim])
  key_kernel = tf.get_variable("key_kernel", [embedding_dim, key_dim])
  return attention_weights(tf.matmul(latent_embeddings, query_kernel),
                           tf.matmul(slot_embeddings, key_kernel))


def fixed_allocation(num_latent, num_factors):
  """The hard, balanced allocation of the ablation without the allocator.

  Latent dimension j goes wholly to factor j mod K; the nuisance slot gets none.
  This is the allocation the capacity prior favours when d is a multiple of K and
  pi_K = 0, held fixed, so that attention_mine_vae's `allocator = "fixed"` keeps
  the MINE penalty on partitions and removes only the learned attention (the MINE
  Disentangle VAE's "without attention" ablation, PAPERS.md).

  Returns:
    (num_latent, num_factors + 1) float32 numpy array, rows summing to one.
  """
  _check_sizes(num_latent=num_latent, num_factors=num_factors)
  allocation = np.zeros((num_latent, num_factors + 1), dtype=np.float32)
  allocation[np.arange(num_latent), np.arange(num_latent) % num_factors] = 1.
  return allocation


def allocation_entropy(allocation):
  """Mean over latent dimensions of the entropy (nats) of each row of A.

  H(A) = -(1/d) sum_j sum_i A[j, i] log A[j, i]; 0 log 0 is taken as 0.
  """
  _check_allocation(allocation)
  # xlogy gives 0 where A is exactly 0 (a hard allocation), where A * log(A) is nan.
  return -tf.reduce_mean(tf.reduce_sum(tf.math.xlogy(allocation, allocation),
                                       axis=1))


def capacity_prior(num_factors, nuisance_capacity=None):
  """Prior capacity pi (num_factors + 1,): the nuisance share, the rest split evenly.

  Args:
    num_factors: K >= 1.
    nuisance_capacity: pi_K in [0, 1); None means 1 / (K + 1), a uniform prior.
  """
  _check_sizes(num_factors=num_factors)
  if nuisance_capacity is None:
    nuisance_capacity = 1. / (num_factors + 1)
  if not 0. <= nuisance_capacity < 1.:
    raise ValueError(
        "nuisance_capacity must lie in [0, 1) (the share of latent dimensions the "
        "nuisance slot is expected to take), got {!r}.".format(nuisance_capacity))
  factor_share = (1. - nuisance_capacity) / num_factors
  return np.array([factor_share] * num_factors + [nuisance_capacity],
                  dtype=np.float32)


def slot_capacity(allocation):
  """c_i = (1/d) sum_j A[j, i]: the share of latent dimensions held by each slot."""
  _check_allocation(allocation)
  return tf.reduce_mean(allocation, axis=0)


def capacity_l2(allocation, prior):
  """L2(A) = sum_i (c_i - pi_i)^2, distance of slot capacities from the prior."""
  _, num_slots = _check_allocation(allocation)
  prior = np.asarray(prior, dtype=np.float32)
  if prior.shape != (num_slots,):
    raise ValueError(
        "prior must have shape ({},) (one capacity per slot of the allocation), "
        "got {}. Build it with capacity_prior(num_factors).".format(
            num_slots, prior.shape))
  return tf.reduce_sum(tf.square(slot_capacity(allocation) - prior))


def factor_partitions(z, allocation):
  """Masks z into each factor's partition and the other factors' partition.

  x_k = z * A[:, k] and y_k = z * sum_{k' != k, k' < K} A[:, k'] (item 2). The
  nuisance column A[:, K] is never read.

  Args:
    z: (batch_size, num_latent) tensor.
    allocation: (num_latent, num_factors + 1) tensor, last column the nuisance.

  Returns:
    own, rest: two (batch_size, num_factors, num_latent) tensors, [:, k] holding
    x_k and y_k (the layout of `critics.Critic`'s k estimates).
  """
  num_latent, _ = _check_allocation(allocation)
  _, z_latent = _static_shape(
      z, 2, "z", "Pass latent codes of shape (batch_size, num_latent).")
  if z_latent != num_latent:
    raise ValueError(
        "z has {} latent dimensions but the allocation has {} rows; both must be "
        "num_latent.".format(z_latent, num_latent))
  factor_masks = tf.transpose(allocation[:, :-1])  # (K, d)
  rest_masks = tf.reduce_sum(factor_masks, axis=0, keepdims=True) - factor_masks
  z = tf.expand_dims(z, 1)  # (B, 1, d)
  return z * factor_masks[None], z * rest_masks[None]


def critic_inputs(own, rest, shuffled_rest):
  """Joint and product-of-marginals inputs for one critic shared by all factors.

  Row [b, k] is [x_k, y_k, onehot(k)] (joint) or [x_k, y_k~, onehot(k)] (marginal),
  so one network evaluates the K critics T_k in a single batched call (item 3).

  Args:
    own, rest, shuffled_rest: (batch_size, num_factors, num_latent) tensors.

  Returns:
    joint, marginal: (batch_size, num_factors, 2 * num_latent + num_factors).
  """
  num_factors = own.get_shape().as_list()[1]
  factor_id = tf.tile(tf.eye(num_factors)[None], [tf.shape(own)[0], 1, 1])
  return (tf.concat([own, rest, factor_id], axis=2),
          tf.concat([own, shuffled_rest, factor_id], axis=2))


def partition_dependence_proxy(pairwise_mi, allocation):
  """sum_k sum_{a, b} A[a, k] R_k[b] I(z_a; z_b) (item 5).

  Args:
    pairwise_mi: (num_latent, num_latent) pairwise MI, zero diagonal.
    allocation: (num_latent, num_factors + 1) tensor, last column the nuisance.

  Returns:
    Scalar, in the units of `pairwise_mi`.
  """
  factor_masks = allocation[:, :-1]  # (d, K)
  rest_masks = tf.reduce_sum(factor_masks, axis=1, keepdims=True) - factor_masks
  # sum over k of factor_masks[:, k]^T I rest_masks[:, k].
  return tf.reduce_sum(factor_masks * tf.matmul(pairwise_mi, rest_masks))

"""The pairwise MI of a trained model's aggregate posterior by critics and by MWS.

An instrument beside the exact `latent_dependence`: MWS with batch M is biased up (to
log M per pair) for narrow posteriors, a fresh critic down on encoders trained against
one (docs/mine_penalty.md).
"""
import numpy as np
import tensorflow.compat.v1 as tf
import tensorflow_hub as hub

from mine_plugin.methods.shared import critics
from mine_plugin.methods.shared import estimators
from mine_plugin.training import seeding


def aggregate_posterior_samples(tfhub_dir, ground_truth_data, num_samples, seed=0,
                                batch_size=1000):
  """Samples of q(z) of a dlib model: z ~ q(z | x) for x drawn from the data set.

  Args:
    tfhub_dir: the model's `model/tfhub` directory (written by dlib_train).
    ground_truth_data: a dlib GroundTruthData.
    num_samples: number of samples.
    seed: seed of the observations and of the posterior noise.
    batch_size: observations per call of the encoder.

  Returns:
    (z, z_mean, z_logvar), each [num_samples, num_latent].
  """
  rng = np.random.RandomState(seed)
  observations = ground_truth_data.sample_observations(num_samples, rng)
  means, logvars = [], []
  with hub.eval_function_for_module(tfhub_dir) as encode:
    for start in range(0, num_samples, batch_size):
      output = encode(dict(images=observations[start:start + batch_size]),
                      signature="gaussian_encoder", as_dict=True)
      means.append(output["mean"])
      logvars.append(output["logvar"])
  z_mean, z_logvar = np.concatenate(means), np.concatenate(logvars)
  z = z_mean + np.exp(z_logvar / 2.) * rng.randn(*z_mean.shape)
  return z, z_mean, z_logvar


def mws_pairwise_total(z, z_mean, z_logvar, batch_size, num_batches=8):
  """sum_{i != j} of `pairwise_mutual_information_mws`, mean over batches."""
  if len(z) < batch_size * num_batches:
    raise ValueError(
        "MWS at batch size {} over {} batches needs {} samples, got {}; draw more "
        "(num_samples) or use fewer batches.".format(
            batch_size, num_batches, batch_size * num_batches, len(z)))
  totals = []
  with tf.Graph().as_default(), tf.Session() as session:
    inputs = [tf.placeholder(tf.float32, [batch_size, z.shape[1]]) for _ in range(3)]
    total = tf.reduce_sum(estimators.pairwise_mutual_information_mws(*inputs))
    for index in range(num_batches):
      rows = slice(index * batch_size, (index + 1) * batch_size)
      totals.append(session.run(total, dict(zip(
          inputs, (z[rows], z_mean[rows], z_logvar[rows])))))
  return float(np.mean(totals))


def estimate_mutual_information(x, y, objective="dv", steps=1000, batch_size=256,
                                learning_rate=1e-3, hidden_units=(64, 64),
                                ema_decay=0.99, seed=0):
  """Trains a critic on paired samples and returns its estimate of I(X; Y).

  Minibatches of (x, y) are joint samples; shuffling y across the batch gives
  product-of-marginals samples. Each column is standardised first (an affine map
  per dimension, which leaves I(X; Y) unchanged and keeps the critic's inputs at unit
  scale). After `steps` Adam steps, the estimate (the bound, the density-ratio
  critic's mean logit, or vCLUB) is evaluated on all samples (y shuffled by several
  random permutations, averaged).

  Args:
    x: [n, dx] (or [n]) array.
    y: [n, dy] (or [n]) array.
    objective: "dv", "nwj", "density_ratio" (see `Critic`) or "club"
      (`ClubCritic`: q(y|x) fitted to the samples, an upper estimate).
    steps: Number of critic updates.
    batch_size: Minibatch size.
    learning_rate: Adam learning rate.
    hidden_units: Critic widths (see `mlp_critic`).
    ema_decay: Moving-average decay of the DV bound.
    seed: Random seed of the graph, the critic's initial weights
      (`seeding.seed_initializers`) and the minibatches.

  Returns:
    The estimate in nats (float).
  """
  objectives = critics.OBJECTIVES + ("club",)
  if objective not in objectives:
    raise ValueError(
        "Unknown objective {!r}; valid: {} ('dv', 'nwj': MINE's bounds, "
        "'density_ratio': a classifier of joint vs product samples, 'club': "
        "vCLUB's upper estimate).".format(
            objective, ", ".join(repr(o) for o in objectives)))
  x = np.asarray(x, np.float32).reshape(len(x), -1)
  y = np.asarray(y, np.float32).reshape(len(y), -1)
  if len(x) != len(y) or len(x) < batch_size:
    raise ValueError("x and y need the same number of samples, at least "
                     "batch_size={}; got {} and {}.".format(batch_size, len(x),
                                                            len(y)))
  x = (x - x.mean(axis=0)) / np.maximum(x.std(axis=0), 1e-12)
  y = (y - y.mean(axis=0)) / np.maximum(y.std(axis=0), 1e-12)
  graph = tf.Graph()
  with graph.as_default():
    tf.set_random_seed(seed)
    seeding.seed_initializers(seed)
    x_in = tf.placeholder(tf.float32, [None, x.shape[1]])
    y_in = tf.placeholder(tf.float32, [None, y.shape[1]])
    if objective == "club":
      critic = critics.ClubCritic(
          "mine_critic", np.arange(x.shape[1], x.shape[1] + y.shape[1]),
          conditional_fn=lambda v, n: critics.gaussian_conditional(
              v, n, hidden_units))
    else:
      critic = critics.Critic(
          "mine_critic", objective=objective, ema_decay=ema_decay,
          critic_fn=lambda v: critics.mlp_critic(v, hidden_units))
    joint = tf.concat([x_in, y_in], axis=1)
    marginal = tf.concat([x_in, estimators.shuffle_rows(y_in)], axis=1)
    estimate, _, critic_loss = critic.terms(joint, marginal, train_critic=True)
    train_op = tf.train.AdamOptimizer(learning_rate).minimize(critic_loss)
    rng = np.random.RandomState(seed)
    with tf.Session(graph=graph) as session:
      session.run(tf.global_variables_initializer())
      for _ in range(steps):
        index = rng.randint(len(x), size=batch_size)
        session.run(train_op, {x_in: x[index], y_in: y[index]})
      values = [session.run(estimate, {x_in: x, y_in: y}) for _ in range(5)]
  return float(np.mean(values))


def pairwise_mi_of_samples(z, objective="density_ratio", steps=3000,
                           batch_size=512, hidden_units=(128, 128)):
  """I(z_a; z_b) for every pair a < b of columns, each by a critic trained on z.

  Returns:
    dict (a, b) -> estimate in nats.
  """
  first, second = estimators.pairs(z.shape[1])
  return {(int(a), int(b)): estimate_mutual_information(
      z[:, a], z[:, b], objective=objective, steps=steps, batch_size=batch_size,
      hidden_units=hidden_units) for a, b in zip(first, second)}


def measure(tfhub_dir, ground_truth_data, num_samples=40000, seed=0, steps=3000):
  """The aggregate posterior's pairwise MI by critics and by MWS (M = 64, 1024).

  Returns:
    dict with "pairs" ((a, b) -> critic estimate), "critic_total" (sum over
    ordered pairs, i != j, as the pairwise penalty counts it), "mws_total_64",
    "mws_total_1024" and "posterior_std" (mean encoder std per dimension).
  """
  z, z_mean, z_logvar = aggregate_posterior_samples(
      tfhub_dir, ground_truth_data, num_samples, seed)
  pairs = pairwise_mi_of_samples(z, steps=steps)
  return {
      "pairs": pairs,
      "critic_total": 2. * sum(pairs.values()),
      "mws_total_64": mws_pairwise_total(z, z_mean, z_logvar, 64),
      "mws_total_1024": mws_pairwise_total(z, z_mean, z_logvar, 1024),
      "posterior_std": np.exp(z_logvar / 2.).mean(axis=0).tolist(),
  }

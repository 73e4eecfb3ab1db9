"""The dependence between latents of a trained model: pairwise MI and total correlation.

`@latent_dependence` on `gaussian_posterior` scores q(z) = E_x q(z | x), in nats:
`mi_<a>_<b>` (a < b), `pairwise_mi_sum` (sum_{i != j}: each pair twice, as
pairwise_mi_vae), `total_correlation`, `*_se` (Monte-Carlo standard errors of the
sums), `method` and `exact`. "mixture" (deterministic observations of uniform factors):
q(z) as the mixture of the N posteriors, exact up to Monte-Carlo error when N <=
`max_components`, else from a uniform subset (`half_components_*`: from half as many,
to show its bias). "ksg" otherwise. Kraskov et al.'s estimate is always in `ksg_*`.
"""
import itertools
import os

from disentanglement_lib.utils import results
import gin
import numpy as np
from scipy import spatial
from scipy import special

from mine_plugin.postprocessing import gaussian_posterior

METHODS = ("auto", "mixture", "ksg")


def pairs(num_latent):
  """Unordered pairs (a, b), a < b, as a list of tuples."""
  return list(itertools.combinations(range(num_latent), 2))


def _log_normal(points, means, covariances):
  """log N(points[s]; means[n], cov[n]) as [S, N].

  covariances: [N, k] (diagonal variances) or [N, k, k].
  """
  diff = points[:, None, :] - means[None, :, :]
  k = means.shape[1]
  if covariances.ndim == 2:
    return -0.5 * (np.sum(diff ** 2 / covariances[None], axis=2) +
                   np.sum(np.log(covariances), axis=1)[None] + k * np.log(2 * np.pi))
  cholesky = np.linalg.cholesky(covariances)
  whitened = np.einsum("nij,snj->sni", np.linalg.inv(cholesky), diff)
  log_det = 2. * np.sum(np.log(np.diagonal(cholesky, axis1=1, axis2=2)), axis=1)
  return -0.5 * (np.sum(whitened ** 2, axis=2) + log_det[None] + k * np.log(2 * np.pi))


def _marginal(covariances, dims):
  dims = list(dims)
  if covariances.ndim == 2:
    return covariances[:, dims]
  return covariances[:, dims][:, :, dims]


def _log_mixture(points, means, covariances, dims):
  """log q(points[:, dims]) of the equal-weight mixture, marginal on `dims`: [S]."""
  dims = list(dims)
  log_p = _log_normal(points[:, dims], means[:, dims], _marginal(covariances, dims))
  return special.logsumexp(log_p, axis=1) - np.log(len(means))


def sample_mixture(means, covariances, num_samples, random_state):
  """num_samples draws of the equal-weight Gaussian mixture: [num_samples, L]."""
  index = random_state.randint(len(means), size=num_samples)
  noise = random_state.randn(num_samples, means.shape[1])
  if covariances.ndim == 2:
    return means[index] + np.sqrt(covariances[index]) * noise
  return means[index] + np.einsum("sij,sj->si",
                                  np.linalg.cholesky(covariances)[index], noise)


def mixture_dependence(means, covariances, num_samples, random_state,
                       chunk_size=256):
  """Pairwise MI and TC of an equal-weight Gaussian mixture, by Monte Carlo.

  q(z) = (1/N) sum_n N(z; means[n], covariances[n]); marginals of a Gaussian
  mixture are the mixtures of the components' marginals, so every log density is
  exact and I(z_a; z_b) = E_q[log q(z_a, z_b) - log q(z_a) - log q(z_b)] (Cover &
  Thomas, Eq. 2.28), TC = E_q[log q(z) - sum_j log q(z_j)] (Watanabe 1960) are
  averages over samples of q with no estimator in them.

  Args:
    means: [N, L].
    covariances: [N, L] diagonal variances or [N, L, L] covariance matrices.
    num_samples: Monte-Carlo draws of q.
    random_state: np.random.RandomState.
    chunk_size: samples evaluated at once (memory: chunk_size x N x L).

  Returns:
    dict: "pairs" {(a, b): MI}, "pairwise_mi_sum" (sum over i != j),
    "pairwise_mi_sum_se", "total_correlation", "total_correlation_se".
  """
  means = np.asarray(means, np.float64)
  covariances = np.asarray(covariances, np.float64)
  num_latent = means.shape[1]
  z = sample_mixture(means, covariances, num_samples, random_state)
  pair_list = pairs(num_latent)
  pair_terms = np.zeros((num_samples, len(pair_list)))
  tc_terms = np.zeros(num_samples)
  for start in range(0, num_samples, chunk_size):
    rows = slice(start, start + chunk_size)
    single = np.stack([_log_mixture(z[rows], means, covariances, [d])
                       for d in range(num_latent)], axis=1)
    for index, (a, b) in enumerate(pair_list):
      pair_terms[rows, index] = (_log_mixture(z[rows], means, covariances, [a, b]) -
                                 single[:, a] - single[:, b])
    tc_terms[rows] = (_log_mixture(z[rows], means, covariances, range(num_latent)) -
                      single.sum(axis=1))
  pair_sum = 2. * pair_terms.sum(axis=1)
  return {
      "pairs": dict(zip(pair_list, pair_terms.mean(axis=0).tolist())),
      "pairwise_mi_sum": float(pair_sum.mean()),
      "pairwise_mi_sum_se": float(pair_sum.std(ddof=1) / np.sqrt(num_samples)),
      "total_correlation": float(tc_terms.mean()),
      "total_correlation_se": float(tc_terms.std(ddof=1) / np.sqrt(num_samples)),
  }


def _ksg_multi_information(columns, k):
  """Kraskov et al.'s first estimator of I(X_1; ...; X_m) for 1-d columns.

  Kraskov, Stoegbauer & Grassberger 2004, "Estimating mutual information", Eq. 8,
  and its m-variable form (Sec. II.C): psi(k) + (m - 1) psi(N) -
  < sum_j psi(n_j + 1) >, with eps_i the max-norm distance to the k-th neighbour
  in the joint space and n_j the points strictly within eps_i along column j.
  """
  data = np.stack(columns, axis=1)
  num = len(data)
  distances, _ = spatial.cKDTree(data).query(data, k=k + 1, p=np.inf)
  eps = distances[:, k]
  total = special.digamma(k) + (data.shape[1] - 1) * special.digamma(num)
  for column in data.T:
    ordered = np.sort(column)
    within = (np.searchsorted(ordered, column + eps, side="left") -
              np.searchsorted(ordered, column - eps, side="right") - 1)
    total -= np.mean(special.digamma(within + 1))
  return float(total)


def ksg_dependence(z, k=3):
  """Pairwise MI and TC of the samples z [S, L] by the KSG estimator."""
  z = np.asarray(z, np.float64)
  pair_values = {(a, b): _ksg_multi_information([z[:, a], z[:, b]], k)
                 for a, b in pairs(z.shape[1])}
  return {
      "pairs": pair_values,
      "pairwise_mi_sum": 2. * sum(pair_values.values()),
      "total_correlation": _ksg_multi_information(list(z.T), k),
  }


def _check_representation(representation, artifact_dir):
  """Raises ValueError unless the representation is gaussian_posterior's."""
  if artifact_dir is not None:
    # dlib's evaluate passes <postprocessed dir>/artifacts/<name>.
    gin_file = os.path.join(os.path.dirname(os.path.dirname(artifact_dir)),
                            "results", "gin", "postprocess.gin")
    if os.path.isfile(gin_file):
      used = results.gin_dict(gin_file).get("postprocess.postprocess_fn")
      if used != gaussian_posterior.POSTPROCESS_FN:
        raise ValueError(
            "latent_dependence needs the encoder's Gaussian posterior, but this "
            "representation was made with postprocess.postprocess_fn = {} ({}). "
            "Postprocess the model with postprocess.postprocess_fn = {} "
            "(gin_configs/postprocess_configs/gaussian_posterior.gin) and evaluate "
            "that directory.".format(used, gin_file, gaussian_posterior.POSTPROCESS_FN))
  if representation.ndim != 2 or representation.shape[1] % 2:
    raise ValueError(
        "latent_dependence expects [z_mean, z_logvar] (an even number of columns, "
        "from postprocess.postprocess_fn = {}), got shape {}.".format(
            gaussian_posterior.POSTPROCESS_FN, representation.shape))


def _encode(representation_function, observations, batch_size, artifact_dir=None):
  output = np.concatenate([
      representation_function(observations[start:start + batch_size])
      for start in range(0, len(observations), batch_size)])
  _check_representation(output, artifact_dir)
  half = output.shape[1] // 2
  return output[:, :half].astype(np.float64), output[:, half:].astype(np.float64)


def is_deterministic(ground_truth_data, random_state, num=64):
  """Whether observations are a function of the factors (two draws coincide)."""
  factors = ground_truth_data.sample_factors(num, random_state)
  first = ground_truth_data.sample_observations_from_factors(
      factors, np.random.RandomState(1))
  second = ground_truth_data.sample_observations_from_factors(
      factors, np.random.RandomState(2))
  return bool(np.array_equal(first, second))


def _flat(prefix, values):
  flat = {prefix + "pairwise_mi_sum": values["pairwise_mi_sum"],
          prefix + "total_correlation": values["total_correlation"]}
  for key in ("pairwise_mi_sum_se", "total_correlation_se"):
    if key in values:
      flat[prefix + key] = values[key]
  return flat


@gin.configurable(
    "latent_dependence",
    denylist=["ground_truth_data", "representation_function", "random_state",
              "artifact_dir"])
def compute_latent_dependence(ground_truth_data, representation_function,
                              random_state, artifact_dir=None, method="auto",
                              num_samples=20000, max_components=5000,
                              ksg_samples=6000, ksg_neighbours=3, batch_size=500):
  """Pairwise MI and total correlation of the aggregate posterior (module docstring).

  Args:
    ground_truth_data: a dlib GroundTruthData.
    representation_function: images -> [z_mean, z_logvar] (gaussian_posterior).
    random_state: np.random.RandomState.
    artifact_dir: dlib's artifact directory (used to check the representation).
    method: "auto" (the mixture where it applies, else KSG), "mixture" or "ksg".
    num_samples: Monte-Carlo draws of the mixture.
    max_components: the most observations used as mixture components.
    ksg_samples: samples of q(z) for the KSG estimate.
    ksg_neighbours: KSG's k.
    batch_size: observations per call of the representation.

  Returns:
    dict of scores (module docstring).
  """
  if method not in METHODS:
    raise ValueError("latent_dependence.method must be one of {}, got {!r}.".format(
        ", ".join(repr(m) for m in METHODS), method))
  for name, value, minimum in (("num_samples", num_samples, 2),
                               ("max_components", max_components, 2),
                               ("ksg_samples", ksg_samples, ksg_neighbours + 2),
                               ("ksg_neighbours", ksg_neighbours, 1)):
    if int(value) != value or value < minimum:
      raise ValueError("latent_dependence.{} must be an integer >= {}, got {!r}.".format(
          name, minimum, value))
  deterministic = is_deterministic(ground_truth_data, random_state)
  if method == "mixture" and not deterministic:
    raise ValueError(
        "latent_dependence.method = 'mixture' needs observations that are a "
        "function of the factors, but this data set draws different observations "
        "for the same factors (noise). Use method = 'ksg' or 'auto'.")
  scores = {}
  ksg_observations = ground_truth_data.sample_observations(ksg_samples, random_state)
  ksg_mean, ksg_logvar = _encode(representation_function, ksg_observations,
                                 batch_size, artifact_dir)
  ksg_z = ksg_mean + np.exp(ksg_logvar / 2.) * random_state.randn(*ksg_mean.shape)
  ksg = ksg_dependence(ksg_z, ksg_neighbours)
  scores.update(_flat("ksg_", ksg))
  if method == "ksg" or not deterministic:
    chosen, exact, components = ksg, False, 0
  else:
    sizes = list(ground_truth_data.factors_num_values)
    grid = int(np.prod(sizes))
    exact = grid <= max_components
    if exact:
      factors = np.indices(sizes).reshape(len(sizes), -1).T
    else:
      factors = ground_truth_data.sample_factors(max_components, random_state)
    observations = ground_truth_data.sample_observations_from_factors(
        factors, random_state)
    means, logvars = _encode(representation_function, observations, batch_size)
    components = len(means)
    chosen = mixture_dependence(means, np.exp(logvars), num_samples, random_state)
    if not exact:
      half = components // 2
      scores.update(_flat("half_components_", mixture_dependence(
          means[:half], np.exp(logvars[:half]), num_samples, random_state)))
  scores.update(_flat("", chosen))
  scores.update({"mi_{}_{}".format(a, b): v for (a, b), v in chosen["pairs"].items()})
  scores.update(method="mixture" if components else "ksg", exact=bool(exact),
                num_components=components)
  return scores

"""FID of a trained model's samples and reconstructions: `evaluation.evaluation_fn = @fid`.

Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a
Local Nash Equilibrium" (https://arxiv.org/abs/1706.08500), Sec. 3 / App. A.1:
the Frechet distance between Gaussians fitted to Inception features of real and
generated images,

  d^2 = ||mu_1 - mu_2||^2 + Tr(Sigma_1 + Sigma_2 - 2 (Sigma_1 Sigma_2)^(1/2)),

computed as TTUR's and pytorch-fid's `calculate_frechet_distance` compute it
(`frechet_distance`): float64, covariances by `np.cov` (N - 1), the matrix square
root by `scipy.linalg.sqrtm`, retried with 1e-6 I added to both covariances when it
is not finite, and its real part taken when the imaginary part is negligible.

Features: the user's Inception graph, TTUR's `classify_image_graph_def.pb` (from
inception-2015-12-05.tgz), never downloaded. Default path
`$DISENTANGLEMENT_LIB_DATA/inception/classify_image_graph_def.pb`, or the setting
`fid.inception_graph`. Images enter at `fid.input_tensor` ("ExpandDims:0", where
TTUR feeds them) as float RGB with values in `fid.input_range` (default (0, 255),
TTUR's convention: the graph itself resizes bilinearly to 299x299 and maps
[0, 255] to [-1, 1]); the features are `fid.feature_tensor` ("pool_3:0", 2048
values per image). Grey images (e.g. synthetic squares) are repeated to 3 channels.
Resizing and the input range move FID by whole points (Parmar et al. 2022,
"On Aliased Resizing and Surprising Subtleties in GAN Evaluation"): compare only
numbers computed the same way.

Scores (`fid.kinds`):
  fid_samples          decoder(z), z ~ N(0, I), against the real images;
  fid_reconstructions  decoder(posterior mean of x) (or of a sample z ~ q(z|x),
                       `fid.reconstruct_from = 'sampled'`) for real images x,
                       against other real images.
Real images: `fid.num_images` observations drawn from the evaluated data set (its
split: e.g. `celeba.split = 'test'` in the metric config), uniformly with
replacement as dlib's data sets draw; or, with `fid.reference_statistics`, an npz
with `mu` and `sigma` (pytorch-fid's `--save-stats` format) instead of real images.
Such statistics must come from the same feature extractor (the same Inception graph
and input convention) as the generated images' features here: pytorch-fid's own
statistics use its PyTorch port of the network, whose features differ slightly from
TTUR's TensorFlow graph, so mixing the two moves the score.
The decoder comes from the training's TF-Hub module (mine_plugin.evaluation.trained_model).
"""
import gin
import numpy as np
from scipy import linalg
import tensorflow.compat.v1 as tf

from mine_plugin.data import dataset_files
from mine_plugin.evaluation import trained_model

KINDS = ("samples", "reconstructions")
FRECHET_EPS = 1e-6


def frechet_distance(mu1, sigma1, mu2, sigma2, eps=FRECHET_EPS):
  """d^2 between N(mu1, sigma1) and N(mu2, sigma2) (Heusel et al. 2017, App. A.1).

  As pytorch-fid's `calculate_frechet_distance`: float64; if sqrtm(sigma1 sigma2)
  is not finite, eps * I is added to both covariances and it is computed again; a
  complex root whose diagonal's imaginary part is within 1e-3 of 0 is replaced by
  its real part (a larger one raises ValueError).
  """
  mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
  sigma1 = np.atleast_2d(sigma1).astype(np.float64)
  sigma2 = np.atleast_2d(sigma2).astype(np.float64)
  if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or (
      sigma1.shape != mu1.shape * 2):
    raise ValueError("Frechet distance of statistics of different sizes: means {} "
                     "and {}, covariances {} and {}.".format(
                         mu1.shape, mu2.shape, sigma1.shape, sigma2.shape))
  root = linalg.sqrtm(sigma1.dot(sigma2))
  if not np.isfinite(root).all():
    offset = np.eye(len(mu1)) * eps
    root = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
  if np.iscomplexobj(root):
    if not np.allclose(np.diagonal(root).imag, 0., atol=1e-3):
      raise ValueError("sqrtm(sigma1 sigma2) has an imaginary part of up to {:g}: "
                       "the covariances are not positive semi-definite.".format(
                           np.max(np.abs(root.imag))))
    root = root.real
  diff = mu1 - mu2
  return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) -
               2. * np.trace(root))


def statistics(features):
  """(mean, covariance) of features (N, D) in float64; np.cov with N - 1."""
  features = np.asarray(features, dtype=np.float64)
  if features.ndim != 2 or len(features) < 2:
    raise ValueError("FID statistics need at least 2 feature vectors (N, D), got "
                     "shape {}.".format(features.shape))
  return features.mean(axis=0), np.cov(features, rowvar=False)


class InceptionFeatures(object):
  """The feature tensor of a frozen Inception GraphDef, fed at the input tensor."""

  def __init__(self, path, input_tensor="ExpandDims:0", feature_tensor="pool_3:0",
               input_range=(0., 255.)):
    graph_def = tf.GraphDef()
    try:
      with open(path, "rb") as f:
        graph_def.ParseFromString(f.read())
    except Exception as error:  # pylint: disable=broad-except
      raise ValueError("{} is not a TensorFlow GraphDef (.pb): {}".format(
          path, error)) from None
    nodes = {node.name for node in graph_def.node}
    absent = [(setting, name) for setting, name in (
        ("fid.input_tensor", input_tensor), ("fid.feature_tensor", feature_tensor))
              if name.split(":")[0] not in nodes]
    if absent:
      raise ValueError(
          "{} has no {}. TTUR's classify_image_graph_def.pb has 'ExpandDims:0' "
          "(the decoded image) and 'pool_3:0' (2048 features); this graph has {} "
          "nodes, e.g. {}.".format(
              path, " and no ".join("{} {!r} ({})".format(
                  "tensor", name, setting) for setting, name in absent),
              len(nodes), ", ".join(sorted(nodes)[:12])))
    self.low, self.high = (float(v) for v in input_range)
    self.graph = tf.Graph()
    with self.graph.as_default():
      self.images = tf.placeholder(tf.float32, [None, None, None, 3], name="images")
      self.features, = tf.import_graph_def(
          graph_def, input_map={input_tensor: self.images},
          return_elements=[feature_tensor], name="inception")
    self.session = tf.Session(graph=self.graph)

  def __call__(self, images, batch_size=100):
    """Features (N, D) float64 of images (N, H, W, 1 or 3) with values in [0, 1]."""
    output = []
    for start in range(0, len(images), batch_size):
      batch = trained_model.to_rgb(np.asarray(images[start:start + batch_size]))
      scaled = self.low + (self.high - self.low) * batch.astype(np.float32)
      values = self.session.run(self.features, {self.images: scaled})
      output.append(np.reshape(values, (len(batch), -1)).astype(np.float64))
    return np.concatenate(output)

  def close(self):
    self.session.close()


def _reference_statistics(path, dims):
  with np.load(path) as data:
    if "mu" not in data or "sigma" not in data:
      raise ValueError("fid.reference_statistics = {!r} must hold 'mu' and 'sigma' "
                       "(pytorch-fid --save-stats), found {}.".format(
                           path, sorted(data.keys())))
    mu, sigma = data["mu"], data["sigma"]
  if mu.shape != (dims,) or sigma.shape != (dims, dims):
    raise ValueError("fid.reference_statistics = {!r} has mu {} and sigma {}, but "
                     "the graph gives {} features.".format(path, mu.shape,
                                                           sigma.shape, dims))
  return mu, sigma


@gin.configurable(
    "fid", denylist=["ground_truth_data", "representation_function", "random_state",
                     "artifact_dir"])
def compute_fid(ground_truth_data, representation_function, random_state,
                artifact_dir=None, inception_graph=None, num_images=10000,
                kinds=KINDS, reference_statistics=None, input_tensor="ExpandDims:0",
                feature_tensor="pool_3:0", input_range=(0., 255.),
                reconstruct_from="mean", batch_size=100, model_dir=None):
  """FID of the model's samples and reconstructions (module docstring).

  Args:
    ground_truth_data: a dlib GroundTruthData (the real images).
    representation_function: unused (FID scores the decoder, not the codes).
    random_state: np.random.RandomState.
    artifact_dir: dlib's artifact directory; locates the trained model.
    inception_graph: path of classify_image_graph_def.pb (None: under the data root).
    num_images: images per set (the paper's scale: 10,000 to 50,000).
    kinds: which of "samples", "reconstructions" to score.
    reference_statistics: None (real images) or an npz with `mu`, `sigma`.
    input_tensor, feature_tensor: tensor names in the graph.
    input_range: the values that image values 0 and 1 are mapped to.
    reconstruct_from: "mean" or "sampled".
    batch_size: images per call of the decoder and the graph.
    model_dir: the training's directory (None: found from artifact_dir).

  Returns:
    dict with fid_<kind> per kind and num_images.
  """
  del representation_function
  trained_model.check_count("fid", "num_images", num_images, 2)
  trained_model.check_count("fid", "batch_size", batch_size, 1)
  trained_model.check_reconstruct_from("fid", reconstruct_from)
  kinds = tuple(kinds)
  if not kinds or any(kind not in KINDS for kind in kinds):
    raise ValueError("fid.kinds must be a non-empty subset of {}, got {!r}.".format(
        KINDS, kinds))
  path = dataset_files.user_file("fid.inception_graph", inception_graph,
                         dataset_files.INCEPTION_RELATIVE_PATH, dataset_files.INCEPTION_URL, "FID")
  model_dir = trained_model.find_model_dir(artifact_dir, model_dir, "fid.model_dir")
  inception = InceptionFeatures(path, input_tensor, feature_tensor, input_range)
  sizes = trained_model.batches(num_images, batch_size)
  scores = {"num_images": num_images}
  try:
    with trained_model.open_trained_model(model_dir) as model:
      if reference_statistics is None:
        real = np.concatenate([inception(
            ground_truth_data.sample_observations(n, random_state), batch_size)
                               for n in sizes])
        reference = statistics(real)
      else:
        dims = inception(ground_truth_data.sample_observations(1, random_state)).shape[1]
        reference = _reference_statistics(reference_statistics, dims)
      for kind in kinds:
        if kind == "samples":
          generated = [model.sample(n, random_state) for n in sizes]
        else:
          generated = [model.reconstruct(
              ground_truth_data.sample_observations(n, random_state), random_state,
              reconstruct_from) for n in sizes]
        features = np.concatenate([inception(images, batch_size)
                                   for images in generated])
        scores["fid_" + kind] = frechet_distance(*statistics(features), *reference)
  finally:
    inception.close()
  return scores

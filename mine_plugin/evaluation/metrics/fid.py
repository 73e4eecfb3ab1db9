"""FID of a model's samples and reconstructions: `evaluation.evaluation_fn = @fid`.

Heusel et al. 2017 (https://arxiv.org/abs/1706.08500), Sec. 3 / App. A.1, computed as
TTUR and pytorch-fid do, on the user's TTUR Inception graph (never downloaded; default
`$DISENTANGLEMENT_LIB_DATA/inception/classify_image_graph_def.pb`), by default fed at
"ExpandDims:0" in (0, 255) and read at "pool_3:0". Resizing and the input range move
FID by whole points (Parmar et al. 2022): compare only numbers computed the same way;
`fid.reference_statistics` (pytorch-fid's `--save-stats` npz) must come from this graph.
Scores: `fid_samples` (decoder(z), z ~ N(0, I)) and `fid_reconstructions`, each
against `fid.num_images` real images of the evaluated data set and split.
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

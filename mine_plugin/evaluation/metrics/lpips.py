"""LPIPS of a trained model's reconstructions: `evaluation.evaluation_fn = @lpips`.

Zhang et al. 2018 (https://arxiv.org/abs/1801.03924), Sec. 3, Eq. 1, v0.1 with
AlexNet, as the `lpips` package computes it:

  d(x, x0) = sum_l mean_{h,w} sum_c w^l_c (y^l_{hwc} - y0^l_{hwc})^2,

y^l AlexNet's five ReLU outputs unit-normalised over channels, w^l the 1x1 heads.
Weights: the user's torchvision `alexnet-owt-7be5be79.pth` and the `lpips` wheel's
`v0.1/alex.pth` (never downloaded; default `$DISENTANGLEMENT_LIB_DATA/lpips/`). Score:
mean and sd over `lpips.num_images` real images of d(x, decoder(posterior mean of x)).
"""
import gin
import numpy as np
import tensorflow.compat.v1 as tf

from mine_plugin.data import dataset_files
from mine_plugin.evaluation import trained_model
from mine_plugin.utils import torch_files

SHIFT = (-.030, -.088, -.188)
SCALE = (.458, .448, .450)
NORMALIZE_EPS = 1e-10
# torchvision's AlexNet `features`: (index, out channels, in channels, kernel,
# stride, padding) of each conv; a 3x3/2 max-pool follows conv1 and conv2.
ALEXNET_CONVS = ((0, 64, 3, 11, 4, 2), (3, 192, 64, 5, 1, 2), (6, 384, 192, 3, 1, 1),
                 (8, 256, 384, 3, 1, 1), (10, 256, 256, 3, 1, 1))
CHANNELS = tuple(conv[1] for conv in ALEXNET_CONVS)


def _expect(state, path, key, shape):
  if key not in state:
    raise ValueError("{} has no {!r}; expected {} (found {}).".format(
        path, key, "a torchvision AlexNet state_dict" if key.startswith("features")
        else "LPIPS v0.1 AlexNet heads", ", ".join(sorted(state)[:12])))
  value = np.asarray(state[key], dtype=np.float32)
  if value.shape != shape:
    raise ValueError("{}: {!r} has shape {}, expected {}.".format(
        path, key, value.shape, shape))
  return value


def read_backbone(path):
  """[(weight HWIO, bias)] of AlexNet's five convs from a torchvision state_dict."""
  state = torch_files.load_state_dict(path)
  layers = []
  for index, out_channels, in_channels, kernel, _, _ in ALEXNET_CONVS:
    weight = _expect(state, path, "features.{}.weight".format(index),
                     (out_channels, in_channels, kernel, kernel))
    bias = _expect(state, path, "features.{}.bias".format(index), (out_channels,))
    layers.append((weight.transpose(2, 3, 1, 0), bias))  # OIHW -> HWIO.
  return layers


def read_heads(path):
  """The five heads' weights (C,) from the lpips package's v0.1 file.

  `lin<l>.model.1.weight` (saved with dropout, the package's default) or
  `lin<l>.model.0.weight` (without), shape (1, C, 1, 1).
  """
  state = torch_files.load_state_dict(path)
  heads = []
  for level, channels in enumerate(CHANNELS):
    key = "lin{}.model.1.weight".format(level)
    if key not in state and "lin{}.model.0.weight".format(level) in state:
      key = "lin{}.model.0.weight".format(level)
    heads.append(_expect(state, path, key, (1, channels, 1, 1)).reshape(channels))
  return heads


def alexnet_relus(images, backbone):
  """The five ReLU outputs of AlexNet's features (NHWC) for images in [-1, 1]."""
  x = (images - tf.constant(SHIFT)) / tf.constant(SCALE)
  outputs = []
  for number, ((_, _, _, _, stride, padding), (weight, bias)) in enumerate(
      zip(ALEXNET_CONVS, backbone)):
    if number in (1, 2):  # Max-pools after relu1 and relu2.
      x = tf.nn.max_pool2d(x, 3, 2, "VALID")
    x = tf.pad(x, [[0, 0], [padding, padding], [padding, padding], [0, 0]])
    x = tf.nn.relu(tf.nn.conv2d(x, tf.constant(weight), stride, "VALID") +
                   tf.constant(bias))
    outputs.append(x)
  return outputs


def lpips_distance(first, second, backbone, heads):
  """d(first, second) per image (Eq. 1; module docstring); images NHWC in [-1, 1]."""
  total = 0.
  for y0, y1, weight in zip(alexnet_relus(first, backbone),
                            alexnet_relus(second, backbone), heads):
    y0 = y0 / (tf.sqrt(tf.reduce_sum(tf.square(y0), axis=3, keepdims=True)) +
               NORMALIZE_EPS)
    y1 = y1 / (tf.sqrt(tf.reduce_sum(tf.square(y1), axis=3, keepdims=True)) +
               NORMALIZE_EPS)
    weighted = tf.reduce_sum(tf.square(y0 - y1) * tf.constant(weight), axis=3)
    total += tf.reduce_mean(weighted, axis=[1, 2])
  return total


class LPIPS(object):
  """LPIPS v0.1 AlexNet as a numpy function of two image batches in [0, 1]."""

  def __init__(self, backbone_path, heads_path):
    backbone, heads = read_backbone(backbone_path), read_heads(heads_path)
    self.graph = tf.Graph()
    with self.graph.as_default():
      self.first = tf.placeholder(tf.float32, [None, None, None, 3])
      self.second = tf.placeholder(tf.float32, [None, None, None, 3])
      self.distance = lpips_distance(2. * self.first - 1., 2. * self.second - 1.,
                                     backbone, heads)
    self.session = tf.Session(graph=self.graph)

  def __call__(self, first, second):
    return self.session.run(self.distance, {
        self.first: trained_model.to_rgb(np.asarray(first, np.float32)),
        self.second: trained_model.to_rgb(np.asarray(second, np.float32))}).astype(
            np.float64)

  def close(self):
    self.session.close()


@gin.configurable(
    "lpips", denylist=["ground_truth_data", "representation_function",
                       "random_state", "artifact_dir"])
def compute_lpips(ground_truth_data, representation_function, random_state,
                  artifact_dir=None, backbone=None, heads=None, num_images=10000,
                  reconstruct_from="mean", batch_size=100, model_dir=None):
  """Mean LPIPS between real images and their reconstructions (module docstring).

  Args:
    ground_truth_data: a dlib GroundTruthData (the real images).
    representation_function: unused (LPIPS scores the decoder's images).
    random_state: np.random.RandomState.
    artifact_dir: dlib's artifact directory; locates the trained model.
    backbone: torchvision AlexNet .pth (None: under the data root).
    heads: lpips v0.1 alex.pth (None: under the data root).
    num_images: real images scored.
    reconstruct_from: "mean" or "sampled".
    batch_size: images per call.
    model_dir: the training's directory (None: found from artifact_dir).

  Returns:
    dict with lpips (mean), lpips_std and num_images.
  """
  del representation_function
  trained_model.check_count("lpips", "num_images", num_images, 1)
  trained_model.check_count("lpips", "batch_size", batch_size, 1)
  trained_model.check_reconstruct_from("lpips", reconstruct_from)
  metric = LPIPS(
      dataset_files.user_file("lpips.backbone", backbone, dataset_files.LPIPS_BACKBONE_RELATIVE_PATH,
                      dataset_files.LPIPS_BACKBONE_URL, "LPIPS"),
      dataset_files.user_file("lpips.heads", heads, dataset_files.LPIPS_HEAD_RELATIVE_PATH,
                      dataset_files.LPIPS_HEAD_URL, "LPIPS"))
  model_dir = trained_model.find_model_dir(artifact_dir, model_dir, "lpips.model_dir")
  distances = []
  try:
    with trained_model.open_trained_model(model_dir) as model:
      for size in trained_model.batches(num_images, batch_size):
        real = ground_truth_data.sample_observations(size, random_state)
        distances.append(metric(real, model.reconstruct(real, random_state,
                                                        reconstruct_from)))
  finally:
    metric.close()
  distances = np.concatenate(distances)
  return {"lpips": float(distances.mean()), "lpips_std": float(distances.std()),
          "num_images": num_images}

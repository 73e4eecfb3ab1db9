"""The trained model's decoder inside a dlib evaluation function (for FID and LPIPS).

The training directory (its `tfhub/` exports "decoder") is the metric's `model_dir`
setting, else the first of the representation directory, `<run>/model` and `<run>`
(for `<run>/postprocessed/<name>`) that has `tfhub/` and the representation's
`results/gin/train.gin`. Logits become images as its `reconstruction_loss.activation`.
"""
import contextlib
import os

from disentanglement_lib.utils import results
import numpy as np
from scipy import special
import tensorflow_hub as hub

RECONSTRUCT_FROM = ("mean", "sampled")


def _train_gin(directory):
  return os.path.join(directory, "results", "gin", "train.gin")


def _read(path):
  with open(path) as f:
    return f.read()


def find_model_dir(artifact_dir, model_dir=None, setting="model_dir"):
  """The training's directory for the representation evaluated in `artifact_dir`."""
  if model_dir is not None:
    if not os.path.isfile(os.path.join(model_dir, "tfhub", "saved_model.pb")):
      raise FileNotFoundError(
          "{} = {!r} has no tfhub/saved_model.pb: it must be the --model_dir of "
          "dlib_train (or <output_directory>/model of dlib_reproduce).".format(
              setting, model_dir))
    return model_dir
  if artifact_dir is None:
    raise ValueError("{0} is not set and dlib gave no artifact_dir to find the "
                     "trained model from; set {0} to the --model_dir of "
                     "dlib_train.".format(setting))
  representation_dir = os.path.dirname(os.path.dirname(artifact_dir))
  run_dir = os.path.dirname(os.path.dirname(representation_dir))
  candidates = [representation_dir, os.path.join(run_dir, "model"), run_dir]
  own = _train_gin(representation_dir)
  expected = _read(own) if os.path.isfile(own) else None
  for candidate in candidates:
    if (os.path.isfile(os.path.join(candidate, "tfhub", "saved_model.pb")) and
        os.path.isfile(_train_gin(candidate)) and
        (expected is None or _read(_train_gin(candidate)) == expected) and
        "decoder" in hub.load_module_spec(
            os.path.join(candidate, "tfhub")).get_signature_names()):
      return candidate
  raise FileNotFoundError(
      "Found no trained model for the representation in {}: looked for a "
      "tfhub/ exporting 'decoder' with the same results/gin/train.gin in {}. "
      "Set {} to the --model_dir of dlib_train.".format(
          representation_dir, ", ".join(candidates), setting))


def to_rgb(images):
  """(N, H, W, 1) grey images repeated to 3 channels; (N, H, W, 3) unchanged."""
  if images.shape[-1] == 1:
    return np.repeat(images, 3, axis=-1)
  if images.shape[-1] == 3:
    return images
  raise ValueError("Image metrics need 1 (grey) or 3 (RGB) channels, got images "
                   "of shape {}.".format(images.shape))


class TrainedModel(object):
  """Encoder and decoder of a dlib_train model, as numpy functions."""

  def __init__(self, function, model_dir):
    self._function = function
    config = results.gin_dict(_train_gin(model_dir))
    activation = config.get("reconstruction_loss.activation", "'logits'")
    if activation not in ("'logits'", "'tanh'"):
      raise ValueError("{}: reconstruction_loss.activation = {} is neither 'logits' "
                       "nor 'tanh'.".format(_train_gin(model_dir), activation))
    self._tanh = activation == "'tanh'"
    self.num_latent = int(config["encoder.num_latent"])

  def _images(self, logits):
    logits = np.asarray(logits, dtype=np.float64)
    images = np.tanh(logits) / 2. + .5 if self._tanh else special.expit(logits)
    return images.astype(np.float32)

  def decode(self, latent_vectors):
    return self._images(self._function(
        dict(latent_vectors=latent_vectors), signature="decoder",
        as_dict=True)["images"])

  def reconstruct(self, images, random_state, reconstruct_from="mean"):
    """Decoded posterior means, or samples z ~ q(z|x) drawn with `random_state`."""
    posterior = self._function(dict(images=images), signature="gaussian_encoder",
                               as_dict=True)
    z = posterior["mean"]
    if reconstruct_from == "sampled":
      z = z + np.exp(posterior["logvar"] / 2.) * random_state.normal(size=z.shape)
    return self.decode(z)

  def sample(self, num, random_state):
    """Images decoded from z ~ N(0, I), the prior."""
    return self.decode(random_state.normal(size=(num, self.num_latent)))


@contextlib.contextmanager
def open_trained_model(model_dir):
  with hub.eval_function_for_module(os.path.join(model_dir, "tfhub")) as function:
    yield TrainedModel(function, model_dir)


def check_reconstruct_from(metric, value):
  if value not in RECONSTRUCT_FROM:
    raise ValueError("{}.reconstruct_from must be one of {}, got {!r}.".format(
        metric, ", ".join(repr(v) for v in RECONSTRUCT_FROM), value))


def check_count(metric, name, value, minimum):
  if isinstance(value, bool) or int(value) != value or value < minimum:
    raise ValueError("{}.{} must be an integer >= {}, got {!r}.".format(
        metric, name, minimum, value))


def batches(total, batch_size):
  """Sizes of consecutive batches that add up to `total`."""
  return [min(batch_size, total - start) for start in range(0, total, batch_size)]

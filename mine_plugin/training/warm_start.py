"""Warm start: a dlib_train run that begins from another trained model's weights.

The lambda-beta-VAE authors' protocol (Vu, Wan, Wei 2026, arXiv:2602.09277;
PAPERS.md). `warm_start.model_dir = '<trained --model_dir>'` or, in a study,
`warm_start.study_model = 3` (`<study dir>/3/model`) copies the `encoder/` and
`decoder/` trainable variables only (optimizer and global step start afresh); the
trained model's train.gin must match in architecture, latent size and data set.
"""
import os
import re

import gin
import tensorflow.compat.v1 as tf

# Variable scopes of dlib's `make_gaussian_encoder` / `make_decoder`.
WARM_STARTED_SCOPES = ("encoder", "decoder")
# Settings that must be equal in the trained model and the new run: the variables'
# shapes and the meaning of the copied weights depend on them.
MUST_MATCH = ("encoder.encoder_fn", "decoder.decoder_fn", "encoder.num_latent",
              "dataset.name")
_CHECKPOINT_DIR = "tf_checkpoint"  # dlib_train's estimator directory


@gin.configurable("warm_start", allowlist=["model_dir", "study_model"])
def warm_start_source(model_dir=None, study_model=None):
  """The gin settings of the warm start: (model_dir, study_model); both None = off."""
  if model_dir is not None and study_model is not None:
    raise ValueError(
        "warm_start: set either model_dir ({!r}) or study_model ({!r}), not "
        "both.".format(model_dir, study_model))
  if model_dir is not None and not isinstance(model_dir, str):
    raise ValueError("warm_start.model_dir must be a path (a string), got "
                     "{!r}.".format(model_dir))
  if study_model is not None and (isinstance(study_model, bool) or
                                  not isinstance(study_model, int) or
                                  study_model < 0):
    raise ValueError("warm_start.study_model must be a model number >= 0 of the "
                     "same study, got {!r}.".format(study_model))
  return model_dir, study_model


def resolve_source(new_model_dir, model_dir=None, study_model=None):
  """The trained model's dlib_train directory, or None when warm start is off.

  Args:
    new_model_dir: dlib_train's --model_dir of the new run.
    model_dir: warm_start.model_dir (a dlib_train --model_dir, or a dlib_reproduce
      output directory holding `model/`).
    study_model: warm_start.study_model, a model number of the same study.
  """
  if study_model is not None:
    study_dir = os.path.dirname(os.path.dirname(os.path.abspath(new_model_dir)))
    model_dir = os.path.join(study_dir, str(study_model), "model")
  if model_dir is None:
    return None
  if (not tf.gfile.IsDirectory(os.path.join(model_dir, _CHECKPOINT_DIR)) and
      tf.gfile.IsDirectory(os.path.join(model_dir, "model", _CHECKPOINT_DIR))):
    model_dir = os.path.join(model_dir, "model")
  if os.path.abspath(model_dir) == os.path.abspath(new_model_dir):
    raise ValueError(
        "warm_start: the trained model {} is the directory this run trains into; "
        "warm-start from another model's directory.".format(model_dir))
  return model_dir


def read_gin_bindings(path):
  """`name = value` lines of an operative gin config (dlib's train.gin) as a dict.

  Values are kept as written, without quotes; a continued (multi-line) value keeps
  only its first line, which is enough for the single-line settings compared here.
  """
  bindings = {}
  with tf.gfile.GFile(path, "r") as source:
    for line in source:
      match = re.match(r"^([\w./]+)\s*=\s*(.+?)\s*$", line)
      if match:
        bindings[match.group(1)] = _normalise(match.group(2))
  return bindings


def _normalise(value):
  value = str(value).strip()
  if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
    value = value[1:-1]
  return value


def _current(name):
  try:
    value = gin.query_parameter(name)
  except ValueError:
    return None
  if isinstance(value, gin.config.ConfigurableReference):
    return repr(value)  # "@name" or "@name()", as gin writes it in train.gin
  return _normalise(value)


def check_compatible(source_dir, current=_current):
  """Raises ValueError naming every MUST_MATCH setting that differs.

  Args:
    source_dir: the trained model's dlib_train directory.
    current: name -> the new run's value as a string (None if unset).
  """
  train_gin = os.path.join(source_dir, "results", "gin", "train.gin")
  checkpoint = tf.train.latest_checkpoint(os.path.join(source_dir, _CHECKPOINT_DIR))
  if checkpoint is None or not tf.gfile.Exists(train_gin):
    raise ValueError(
        "warm_start: {} holds no finished dlib_train model (expected a checkpoint "
        "under {}/ and {}). Train that model first, or point warm_start at "
        "dlib_train's --model_dir of a trained model.".format(
            source_dir, _CHECKPOINT_DIR, train_gin))
  trained = read_gin_bindings(train_gin)
  differences = []
  for name in MUST_MATCH:
    old, new = trained.get(name), current(name)
    if old is not None and new is not None and old != new:
      differences.append("{} = {} in the trained model, {} here".format(
          name, old, new))
  if differences:
    raise ValueError(
        "warm_start: the trained model in {} does not fit this run: {}. Bind the "
        "same values as the trained model, or warm-start from a model trained "
        "with these.".format(source_dir, "; ".join(differences)))
  return checkpoint


def settings(new_estimator_dir):
  """tf.estimator WarmStartSettings for dlib_train's estimator, or None.

  Args:
    new_estimator_dir: the new run's estimator directory (<model_dir>/tf_checkpoint).
  """
  model_dir, study_model = warm_start_source()
  source = resolve_source(os.path.dirname(os.path.normpath(new_estimator_dir)),
                          model_dir, study_model)
  if source is None:
    return None
  checkpoint = check_compatible(source)
  tf.logging.info(
      "mine_plugin: warm start from %s: the %s variables are copied; the optimizer "
      "and the global step start fresh.", checkpoint,
      " and ".join(s + "/" for s in WARM_STARTED_SCOPES))
  return tf.estimator.WarmStartSettings(
      ckpt_to_initialize_from=checkpoint,
      vars_to_warm_start="({})/".format("|".join(WARM_STARTED_SCOPES)))


def estimator_kwargs(kwargs):
  """dlib_train's TPUEstimator arguments, with `warm_start_from` if one is bound."""
  if kwargs.get("warm_start_from") is None and kwargs.get("model_dir"):
    kwargs = dict(kwargs, warm_start_from=settings(kwargs["model_dir"]))
  return kwargs

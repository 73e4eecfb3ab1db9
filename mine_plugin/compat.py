"""Runs disentanglement_lib 1.5, unedited, on TensorFlow 2.15 and gin-config 0.5.

Only the shims dlib needs beyond `tensorflow.compat.v1`: graph mode when dlib is
imported; `tensorflow.contrib.tpu` and `contrib.framework.assign_from_checkpoint_fn`
mapped to TF 2.15's; gin 0.4's `whitelist=`/`blacklist=` as 0.5's `allowlist=`/
`denylist=`; `visualize_util`'s float images as uint8 for Pillow >= 10 and imageio.
"""
import functools
import importlib
import sys

# Versions this layer is written and tested for: (package, import name, pip spec).
_REQUIREMENTS = (
    ("tensorflow", "tensorflow", "tensorflow-cpu==2.15.1"),
    ("tensorflow-estimator", "tensorflow_estimator", "tensorflow-estimator==2.15.0"),
    ("tensorflow-hub", "tensorflow_hub", "tensorflow-hub==0.15.0"),
    ("tensorflow-probability", "tensorflow_probability",
     "tensorflow-probability==0.23.0"),
    ("gin-config", "gin", "gin-config==0.5.0"),
)
_INSTALL_HINT = ("Install the pinned stack with `pip install <mine_plugin checkout>` "
                 "(see README.md), or the single package: pip install '{spec}'.")

def _require(import_name):
  """Imports a dependency of dlib, or raises ImportError saying what to install."""
  for package, module_name, spec in _REQUIREMENTS:
    if module_name == import_name:
      break
  else:
    raise KeyError(import_name)
  try:
    return importlib.import_module(import_name)
  except ImportError as error:
    raise ImportError(
        "mine_plugin: disentanglement_lib needs the package '{}' ({}), which could "
        "not be imported: {}. {}".format(package, spec, error,
                                         _INSTALL_HINT.format(spec=spec))) from error


def _check_tensorflow_version(tf_module):
  version = tf_module.__version__
  if not version.startswith("2.15."):
    raise ImportError(
        "mine_plugin: disentanglement_lib 1.5 runs on tensorflow 2.15.x (it needs "
        "tf.estimator, removed in 2.16), but tensorflow {} is installed. {}".format(
            version, _INSTALL_HINT.format(spec="tensorflow-cpu==2.15.1")))


def assign_from_checkpoint_fn(model_path, var_list, ignore_missing_vars=False,
                              reshape_variables=False):
  """Replaces `tf.contrib.framework.assign_from_checkpoint_fn` (TF 1.x).

  Returns `fn(session)` that restores `var_list` (a dict from checkpoint names to
  variables, or a list of variables) from the checkpoint at `model_path`.
  """
  tf = _require("tensorflow").compat.v1
  if ignore_missing_vars:
    reader = tf.train.NewCheckpointReader(model_path)
    if isinstance(var_list, dict):
      var_list = {name: var for name, var in var_list.items()
                  if reader.has_tensor(name)}
    else:
      var_list = [var for var in var_list if reader.has_tensor(var.op.name)]
  if not var_list:
    raise ValueError("assign_from_checkpoint_fn: no variables to restore from "
                     "checkpoint {!r}.".format(model_path))
  saver = tf.train.Saver(var_list, reshape=reshape_variables)

  def restore(session):
    saver.restore(session, model_path)

  return restore


def _install_tensorflow_contrib():
  """Provides the two `tensorflow.contrib` modules that dlib imports."""
  tf = _require("tensorflow")
  _check_tensorflow_version(tf)
  _require("tensorflow_estimator")
  _require("tensorflow_hub")
  _require("tensorflow_probability")
  # dlib is TF 1.x graph code (sessions, placeholders, `optimizer.minimize(loss)`):
  # give it TF 1.14's default, graph mode, as its own tests and scripts expect.
  tf.compat.v1.disable_eager_execution()
  import types  # pylint: disable=g-import-not-at-top
  contrib = types.ModuleType(
      "tensorflow.contrib", "Stand-in for TF 1.x contrib, made by mine_plugin.compat.")
  contrib.tpu = tf.compat.v1.estimator.tpu
  contrib.framework = types.ModuleType("tensorflow.contrib.framework")
  contrib.framework.assign_from_checkpoint_fn = assign_from_checkpoint_fn
  sys.modules.setdefault("tensorflow.contrib", contrib)
  sys.modules.setdefault("tensorflow.contrib.tpu", contrib.tpu)
  sys.modules.setdefault("tensorflow.contrib.framework", contrib.framework)


def _translate_list_kwargs(kwargs):
  """Maps gin 0.4's `whitelist`/`blacklist` keyword arguments to gin 0.5's names."""
  for old, new in (("whitelist", "allowlist"), ("blacklist", "denylist")):
    if old in kwargs:
      if new in kwargs:
        raise TypeError("Pass only one of '{}' and '{}'.".format(old, new))
      kwargs[new] = kwargs.pop(old)
  return kwargs


# dlib functions that gin registers wrapped: (module, function name) -> a function
# that takes the function and returns its replacement (filled by
# mine_plugin.registration).
DECORATION_WRAPPERS = {}


def patch_gin():
  """Lets dlib's `@gin.configurable(..., whitelist=...)` decorators run on gin 0.5."""
  gin = _require("gin")
  import gin.config  # pylint: disable=g-import-not-at-top
  if getattr(gin.config.configurable, "_mine_plugin_compat", False):
    return
  original_configurable = gin.config.configurable
  original_external = gin.config.external_configurable

  @functools.wraps(original_configurable)
  def configurable(name_or_fn=None, *args, **kwargs):
    kwargs = _translate_list_kwargs(kwargs)
    decorator = original_configurable(name_or_fn, *args, **kwargs)
    if callable(name_or_fn):  # Used as a bare `@gin.configurable`.
      return decorator

    def decorate(fn):
      key = (getattr(fn, "__module__", None), getattr(fn, "__name__", None))
      if key in DECORATION_WRAPPERS:
        fn = DECORATION_WRAPPERS[key](fn)
      return decorator(fn)

    return decorate

  @functools.wraps(original_external)
  def external_configurable(fn_or_cls, *args, **kwargs):
    return original_external(fn_or_cls, *args, **_translate_list_kwargs(kwargs))

  configurable._mine_plugin_compat = True  # pylint: disable=protected-access
  for module in (gin, gin.config):
    module.configurable = configurable
    module.external_configurable = external_configurable


def _as_uint8_image(image):
  """[0, 1]-valued float image -> uint8, as dlib's Pillow 5 code did implicitly."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  image = np.asarray(image)
  if image.dtype == np.uint8:
    return image
  return (np.clip(image, 0., 1.) * 255.).round().astype(np.uint8)


def patch_visualize_util(module):
  """Converts dlib's float images to uint8 before Pillow and imageio see them."""
  if getattr(module.save_image, "_mine_plugin_compat", False):
    return
  import numpy as np  # pylint: disable=g-import-not-at-top
  from PIL import Image  # pylint: disable=g-import-not-at-top
  gfile = _require("tensorflow").compat.v1.gfile

  def save_image(image, image_path):
    image = np.asarray(image)
    if image.shape[2] == 1:
      image = np.repeat(image, 3, axis=2)
    with gfile.Open(image_path, "wb") as path:
      Image.fromarray(_as_uint8_image(image)).save(path)

  original_save_animation = module.save_animation

  def save_animation(list_of_animated_images, image_path, fps):
    # dlib pads with value 1.0 and then hands floats to imageio; convert the final
    # frames only, so the layout stays dlib's own.
    original_mimwrite = module.imageio.mimwrite

    def mimwrite(uri, frames, *args, **kwargs):
      return original_mimwrite(uri, [_as_uint8_image(f) for f in frames],
                               *args, **kwargs)

    module.imageio.mimwrite = mimwrite
    try:
      return original_save_animation(list_of_animated_images, image_path, fps)
    finally:
      module.imageio.mimwrite = original_mimwrite

  save_image.__doc__ = module.save_image.__doc__
  save_animation.__doc__ = original_save_animation.__doc__
  save_image._mine_plugin_compat = True  # pylint: disable=protected-access
  module.save_image = save_image
  module.save_animation = save_animation




def before_dlib(unused_module):
  """Runs before dlib's package body: the contrib stand-ins and gin's spelling."""
  _install_tensorflow_contrib()
  patch_gin()

"""Runs disentanglement_lib 1.5, unedited, on TensorFlow 2.15 and gin-config 0.5.

disentanglement_lib (dlib) 1.5 was written for TensorFlow 1.14. On Python 3.11 the
newest TensorFlow that still ships `tf.estimator` is 2.15, reached through
`tensorflow.compat.v1`. What dlib needs beyond that is patched here, and only here:

=============================================  =============================================
dlib uses                                      replaced by
=============================================  =============================================
TF 1.x's default graph mode                    `tf.compat.v1.disable_eager_execution()`
                                               when dlib is imported.
`tensorflow.contrib.tpu` (TPUEstimator,        `tf.compat.v1.estimator.tpu` from
RunConfig, TPUConfig, TPUEstimatorSpec)        tensorflow-estimator 2.15 (same classes).
`tensorflow.contrib.framework`                 `assign_from_checkpoint_fn` below, built on
`.assign_from_checkpoint_fn`                   `tf.compat.v1.train.Saver` (contrib is gone).
`gin.configurable(whitelist=, blacklist=)`     gin 0.5's `allowlist=` / `denylist=`.
`visualize_util.save_image/save_animation`     float images converted to uint8 before
                                               Pillow/imageio see them (Pillow >= 10
                                               refuses float arrays and `mode=`).
`overwrite` of train / postprocess /           the old directory moved aside, put back
evaluate (deletes the old output first)        if the run fails or is stopped (SIGTERM
                                               too), deleted once it has finished
                                               (`_overwrite_guarded`; retention:
                                               `mine_plugin/utils/moved_aside.py`).
`model.batch_size`, `model.training_steps`,    refused below 1 before train writes
`encoder.num_latent` (read once TF runs)       anything
                                               (`mine_plugin/training/settings_check.py`).
`train._make_input_fn` (one observation       batches drawn whole and prefetched
per Python call)                               (`mine_plugin/training/input_pipeline.py`).
`contrib_tpu.RunConfig` of train               with the oneDNN bfloat16 rewrite when
                                               asked (`mine_plugin/training/precision.py`),
(logs global_step/sec at every step on CPU)    logging every 100 steps
                                               (`mine_plugin/training/step_log.py`).
`contrib_tpu.TPUEstimator` of train            with `warm_start_from` when a warm start
                                               is bound (`mine_plugin/training/warm_start.py`).
`architectures.make_decoder`                   an error naming the architectures when
                                               the decoder's output does not fit the
                                               data (64x64 decoder on 32x32 data).
`BaseVAE.model_fn`, `FactorVAE.model_fn`       a NaN or inf loss term stops training
(stop with "NaN loss during training.")        with the term and the fix named
                                               (`methods/unsupervised/
                                               dlib_vae_checks.py` of the plugin).
`convolute_hub` (a file past `ulimit -f`       an OSError (`_raise_full_disk`).
swallowed as the end of the input)
errors of train / postprocess / evaluate       one last line: a NaN stop's term, a full
(a full disk mid-trace, as                     disk's path and free space, a killed
ResourceExhaustedError)                        --overwrite's backup and how to restore
                                               it (`_explained`).
=============================================  =============================================

How it becomes active
---------------------
Installing mine_plugin drops `mine_plugin_compat.pth` into site-packages. At start-up
Python runs its one line, which calls `install()`: that puts a finder on
`sys.meta_path` and imports nothing else -- TensorFlow is not loaded into programs
that never import dlib. The finder acts only on the dlib modules named in
`_BEFORE_EXEC` / `_AFTER_EXEC`; when one of them is imported (by dlib's console
scripts such as `dlib_train`, by dlib's tests, or by user code), the matching patch
runs just before or just after the module body. Importing `mine_plugin` calls
`install()` as well, so the layer is active even without the `.pth` file (for
example with `python -S`) as long as mine_plugin is imported before dlib.

The same hook is the plugin's one registration point with dlib: after dlib's
`named_data` loads, `dataset.name` also resolves the names in `PLUGIN_DATASETS`; after
dlib's `architectures` and `vae` modules load, the plugin's own gin configurables are
imported, so the plugin's names exist wherever dlib's do -- including in
`dlib_postprocess`/`dlib_evaluate`, which re-read a training config without its
`import` lines.

Over 300 lines: the table above is one layer, and each patch is a few lines that only
make sense next to the hook that applies them; the layer is kept in one module so
that everything the plugin changes in dlib can be read in one place.
"""
import functools
import importlib
import importlib.abc
import importlib.util
import inspect
import logging
import os
import sys

from mine_plugin.utils import disk_space
from mine_plugin.utils import moved_aside

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

# Dataset names the plugin adds to dlib's `dataset.name`, mapped to
# "module:factory"; the module is imported on first use only.
PLUGIN_DATASETS = {}


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


# dlib functions whose gin registration is wrapped: (module, function) -> wrapper.
_DECORATION_WRAPPERS = {}


def _patch_gin():
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
      if key in _DECORATION_WRAPPERS:
        fn = _DECORATION_WRAPPERS[key](fn)
      return decorator(fn)

    return decorate

  @functools.wraps(original_external)
  def external_configurable(fn_or_cls, *args, **kwargs):
    return original_external(fn_or_cls, *args, **_translate_list_kwargs(kwargs))

  configurable._mine_plugin_compat = True  # pylint: disable=protected-access
  for module in (gin, gin.config):
    module.configurable = configurable
    module.external_configurable = external_configurable


def _with_plugin_datasets(get_named_ground_truth_data):
  """Extends dlib's closed `dataset.name` if/elif chain with `PLUGIN_DATASETS`."""

  @functools.wraps(get_named_ground_truth_data)
  def with_plugin_datasets(name):
    if name in PLUGIN_DATASETS:
      module_name, factory_name = PLUGIN_DATASETS[name].split(":")
      return getattr(importlib.import_module(module_name), factory_name)()
    try:
      return get_named_ground_truth_data(name)
    except ValueError as error:
      if str(error) != "Invalid data set name.":
        raise
      raise ValueError(
          "Invalid data set name {!r}. Valid names: dlib's dsprites_full, "
          "dsprites_noshape, color_dsprites, noisy_dsprites, scream_dsprites, "
          "smallnorb, cars3d, mpi3d_toy, mpi3d_realistic, mpi3d_real, shapes3d, "
          "dummy_data; mine_plugin's {}.".format(
              name, ", ".join(sorted(PLUGIN_DATASETS)) or "(none)")) from None

  return with_plugin_datasets


_DECORATION_WRAPPERS[("disentanglement_lib.data.ground_truth.named_data",
                      "get_named_ground_truth_data")] = _with_plugin_datasets


def _as_uint8_image(image):
  """[0, 1]-valued float image -> uint8, as dlib's Pillow 5 code did implicitly."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  image = np.asarray(image)
  if image.dtype == np.uint8:
    return image
  return (np.clip(image, 0., 1.) * 255.).round().astype(np.uint8)


def _patch_visualize_util(module):
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


# dlib's train, postprocess and evaluate delete their output directory first when
# `overwrite` is set, before they read the gin config or the data: a typo in a
# binding, or a missing data file, then leaves the user with nothing. Guarded, the
# old directory is moved aside, put back if the run fails or is interrupted (an
# exception, Ctrl-C, SIGTERM or SIGHUP: mine_plugin/training/termination.py), and
# deleted only once the new run has finished. A first run (nothing there before)
# that fails removes the directory it created, so that the rerun is not refused with
# dlib's "Directory already exists and overwrite is False". Names and retention of
# the moved directories: mine_plugin/utils/moved_aside.py.
OVERWRITE_BACKUP = moved_aside.BACKUP
OVERWRITE_FAILED = moved_aside.FAILED
_DLIB_REFUSAL = "Directory already exists and overwrite is False"
_LOG = logging.getLogger("mine_plugin")


def _aside(directory, kind):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  return moved_aside.sibling_path(directory, kind, tf.io.gfile.exists)


def _how_it_ended(error):
  name = importlib.import_module(
      "mine_plugin.training.termination").signal_name(error)
  return "the run failed" if name is None else "the run was stopped by " + name


def _put_back(directory, backup, error):
  """After a failed overwrite run: its output aside, the previous one back."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  failed = None
  try:
    if tf.io.gfile.exists(directory):
      failed = _aside(directory, OVERWRITE_FAILED)
      tf.io.gfile.rename(directory, failed)
  finally:
    try:
      tf.io.gfile.rename(backup, directory)
      _LOG.error(
          "mine_plugin: overwrite: %s; the previous %s is back in place%s.",
          _how_it_ended(error), directory, "" if failed is None else
          " (this run's partial output: {})".format(failed))
      if failed is not None:
        _prune_failed(directory, error)
    except Exception:  # pylint: disable=broad-except
      _LOG.error("mine_plugin: overwrite: %s and the previous %s could not be "
                 "put back: it is in %s; move it back with: mv %s %s",
                 _how_it_ended(error), directory, backup, backup, directory)


def _prune_failed(directory, error):
  """Deletes all but the newest failed outputs of `directory`
  (mine_plugin/utils/moved_aside.py). On a full disk, all of them unless the newest
  holds a training's checkpoint past step 0 (then kept: it may be a long training's
  only copy): a partial output only takes the room a rerun needs. Never fails the
  run."""
  disk_full = disk_space.full_disk(error) is not None
  try:
    failed = moved_aside.siblings(directory, OVERWRITE_FAILED)
    keep = None
    if disk_full:
      resume = importlib.import_module("mine_plugin.training.resume")
      keep = int(bool(failed) and bool(resume.checkpoint_step(failed[-1].path)))
    for path in moved_aside.prune(failed, keep=keep):
      _LOG.warning("mine_plugin: deleted the failed output %s (%s).", path,
                   "the disk is full" if disk_full else "{}={} keeps the newest; "
                   "'all' keeps every one".format(moved_aside.KEEP_ENV,
                                                  moved_aside.keep_count()))
  except Exception as prune_error:  # pylint: disable=broad-except
    _LOG.error("mine_plugin: failed outputs of %s were not deleted: %s",
               directory, prune_error)


def _remove_first_run(directory, error):
  """After a failed run into a directory that did not exist: removes it."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  if _DLIB_REFUSAL in str(error) or not tf.io.gfile.exists(directory):
    return  # another process created it meanwhile, or nothing was written
  try:
    tf.io.gfile.rmtree(directory)
    _LOG.error("mine_plugin: %s; %s did not exist before it and is removed, so "
               "that a rerun starts afresh.", _how_it_ended(error), directory)
  except Exception as remove_error:  # pylint: disable=broad-except
    _LOG.error("mine_plugin: %s, and its partial output %s could not be removed "
               "(%s); delete it before the rerun, or rerun with --overwrite.",
               _how_it_ended(error), directory, remove_error)


def _overwrite_guarded(function):
  """Wraps dlib's `function(..., <directory>, overwrite, ...)` as described above.

  The directory is the argument before `overwrite` (train's `model_dir`,
  postprocess's and evaluate's `output_dir`), positional or by keyword.
  """
  signature = inspect.signature(function)
  parameters = list(signature.parameters)
  directory_name = parameters[parameters.index("overwrite") - 1]

  def guarded(*args, **kwargs):
    try:
      bound = signature.bind_partial(*args, **kwargs).arguments
    except TypeError:
      return function(*args, **kwargs)  # dlib's own error for a bad call
    directory = bound.get(directory_name)
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    if directory is None:
      return function(*args, **kwargs)
    directory = str(directory).rstrip("/")
    replaces = bool(bound.get("overwrite", False)) and tf.io.gfile.isdir(directory)
    if not replaces and tf.io.gfile.exists(directory):
      return function(*args, **kwargs)  # dlib refuses: it is the user's
    termination = importlib.import_module("mine_plugin.training.termination")
    with termination.signals_raise() as signals:
      backup = None  # set once the rename has happened
      try:
        if replaces:
          with signals.deferred():  # a signal acts after the rename, in this `try`
            moved_to = _aside(directory, OVERWRITE_BACKUP)
            tf.io.gfile.rename(directory, moved_to)
            backup = moved_to
            _LOG.warning(
                "mine_plugin: overwrite: the existing %s was moved to %s; it is "
                "put back if this run fails or is stopped (Ctrl-C, SIGTERM, SIGHUP) "
                "and deleted when the run has finished.", directory, backup)
        result = function(*args, **kwargs)
      except BaseException as error:
        with signals.deferred():
          if backup is not None:
            _put_back(directory, backup, error)
          elif not replaces:  # (replaces without backup: still the user's, in place)
            _remove_first_run(directory, error)
        raise
      if backup is not None:
        with signals.deferred():
          tf.io.gfile.rmtree(backup)
    return result

  guarded.__doc__ = function.__doc__
  guarded.__name__ = function.__name__
  guarded.__wrapped__ = function  # its signature, for _settings_checked
  guarded._mine_plugin_compat = True  # pylint: disable=protected-access
  return guarded


def _settings_checked(function):
  """dlib's train, refusing settings that cannot train before it writes anything
  (mine_plugin/training/settings_check.py)."""
  signature = inspect.signature(function)

  def checked(*args, **kwargs):
    try:
      call_arguments = signature.bind_partial(*args, **kwargs).arguments
    except TypeError:
      return function(*args, **kwargs)  # dlib's own error for a bad call
    importlib.import_module("mine_plugin.training.settings_check").check(
        call_arguments)
    return function(*args, **kwargs)

  checked.__doc__ = function.__doc__
  checked.__name__ = function.__name__
  return checked


def short_training_error(error):
  """The plugin's own message inside a TensorFlow error, or None.

  A NaN stop raised by the plugin's checks (`tf.debugging.check_numerics`,
  `tf.debugging.Assert`) reaches the user as an InvalidArgumentError whose message
  holds the graph's whole stack; the line that says what happened is the one that
  starts with "mine_plugin:" (for an Assert, followed by the values it printed).
  """
  text = str(getattr(error, "message", None) or error)
  start = text.find("mine_plugin:")
  if start < 0:
    return None
  line = text[start:].splitlines()[0]
  # check_numerics appends " : Tensor had NaN values"; Assert prints its data as
  # "message] [name] [value] ...": keep the words, drop the brackets.
  line = line.split("[[{{node")[0].replace("\\'", "'")
  return " ".join(line.replace("[", " ").replace("]", " ").split())


def _explained(function, dlib_function, directories, nan_stops=False):
  """dlib's train/postprocess/evaluate (`function`, wrapping `dlib_function`),
  whose failure ends with one line that says what happened and what to do.

  - With `nan_stops`, the plugin's NaN stops become one RuntimeError line
    (`short_training_error`).
  - A full disk, quota or file size limit becomes one OSError line naming the path
    and the free space (mine_plugin/utils/disk_space.py).
  - Backups that a killed --overwrite run left beside any of `directories` (the
    names of `dlib_function`'s directory parameters, the output directory last)
    are named, with the commands that restore them, before the run, after it, and
    in the last line when it fails (mine_plugin/utils/moved_aside.py).
  """
  signature = inspect.signature(dlib_function)

  def explained(*args, **kwargs):
    try:
      bound = signature.bind_partial(*args, **kwargs).arguments
    except TypeError:
      return function(*args, **kwargs)  # dlib's own error for a bad call
    moved_aside.keep_count()  # a bad retention setting fails before the run
    paths = [str(bound[name]).rstrip("/") for name in directories
             if bound.get(name) is not None]
    _killed_backup_notes(paths)
    output = str(bound.get(directories[-1], "")).rstrip("/")
    replaces = bool(bound.get("overwrite")) and os.path.isdir(output)
    try:
      result = function(*args, **kwargs)
    except Exception as error:  # pylint: disable=broad-except
      message = short_training_error(error) if nan_stops else None
      if message is not None:
        raise RuntimeError(message) from None
      found = disk_space.full_disk(error)
      if found is not None:
        raise OSError(found[0], disk_space.describe(error, output, replaces)) \
            from None
      notes = _killed_backup_notes(paths, log=False)
      if not notes:
        raise
      first_line = (str(getattr(error, "message", None) or error).strip()
                    .splitlines() or [""])[0].rstrip(".")
      raise RuntimeError("{}: {}. {}".format(type(error).__name__, first_line,
                                             " ".join(notes))) from error
    _killed_backup_notes(paths)  # again at the end, not lost in the run's log
    return result

  explained.__doc__ = dlib_function.__doc__
  explained.__name__ = dlib_function.__name__
  return explained


def _killed_backup_notes(directories, log=True):
  notes = [note for note in map(moved_aside.killed_backups_note, directories)
           if note is not None]
  if log:
    for note in notes:
      _LOG.warning("mine_plugin: %s", note)
  return notes


def _resumable(guarded):
  """dlib's train (under the overwrite guard) that continues a killed training when
  `resume.enabled = True` (mine_plugin/training/resume.py).

  With resume on, the guard is bypassed: a stopped run keeps its checkpoints for the
  next resume instead of being removed as a failed first run.
  """
  train = guarded.__wrapped__
  signature = inspect.signature(train)

  def resumable(*args, **kwargs):
    resume = importlib.import_module("mine_plugin.training.resume")
    try:
      bound = signature.bind_partial(*args, **kwargs).arguments
    except TypeError:
      return guarded(*args, **kwargs)  # dlib's own error for a bad call
    if not resume.settings()[0]:
      return guarded(*args, **kwargs)
    termination = importlib.import_module("mine_plugin.training.termination")
    with termination.signals_raise() as signals:
      try:
        with signals.deferred():
          resume.prepare(bound.get("model_dir"), bound.get("overwrite", False))
        return train(*args, **kwargs)
      finally:
        with signals.deferred():
          resume.finish()

  resumable.__doc__ = train.__doc__
  resumable.__name__ = train.__name__
  resumable.__wrapped__ = train
  return resumable


def _guard_train(module):
  module.train = _explained(
      _settings_checked(_resumable(_overwrite_guarded(module.train))),
      module.train, ["model_dir"], nan_stops=True)
  # Batches drawn a batch at a time (mine_plugin/training/input_pipeline.py).
  importlib.import_module("mine_plugin.training.input_pipeline").install(module)
  if not isinstance(module.contrib_tpu, _TrainContribTpu):
    module.contrib_tpu = _TrainContribTpu(module.contrib_tpu)


class _TrainContribTpu(object):
  """dlib train's `contrib_tpu`, whose RunConfig carries the bfloat16 option
  (mine_plugin/training/precision.py), the step-log interval
  (mine_plugin/training/step_log.py) and the checkpoint interval, and whose
  TPUEstimator the warm start (mine_plugin/training/warm_start.py) and the resume
  (mine_plugin/training/resume.py); everything else is contrib_tpu's own."""

  def __init__(self, contrib_tpu):
    self._contrib_tpu = contrib_tpu

  def RunConfig(self, *args, **kwargs):  # pylint: disable=invalid-name
    precision = importlib.import_module("mine_plugin.training.precision")
    step_log = importlib.import_module("mine_plugin.training.step_log")
    # RunConfig's positional parameters (tf-estimator 2.15), by name.
    kwargs = dict(zip(("tpu_config", "evaluation_master", "master", "cluster"),
                      args), **kwargs)
    resume = importlib.import_module("mine_plugin.training.resume")
    kwargs = resume.run_config_kwargs(
        step_log.run_config_kwargs(precision.run_config_kwargs(kwargs)))
    return self._contrib_tpu.RunConfig(**kwargs)

  def TPUEstimator(self, *args, **kwargs):  # pylint: disable=invalid-name
    warm_start = importlib.import_module("mine_plugin.training.warm_start")
    resume = importlib.import_module("mine_plugin.training.resume")
    kwargs = warm_start.estimator_kwargs(resume.estimator_kwargs(kwargs))
    return resume.wrap_estimator(self._contrib_tpu.TPUEstimator(*args, **kwargs))

  def __getattr__(self, name):
    return getattr(self._contrib_tpu, name)


def _guard_postprocess(module):
  module.postprocess = _explained(_overwrite_guarded(module.postprocess),
                                  module.postprocess, ["model_dir", "output_dir"])


def _guard_evaluate(module):
  module.evaluate = _explained(_overwrite_guarded(module.evaluate),
                               module.evaluate, ["model_dir", "output_dir"])


def _check_decoder_shape(module):
  """dlib's make_decoder, with a clear error when the decoder does not fit the data.

  dlib's 64x64 decoders reshape their output to the data's observation shape, so
  on 32x32 data a batch of 4 silently becomes 16 and the failure surfaces later as
  a shape error about logits in the reconstruction loss.
  """
  original = module.make_decoder

  def make_decoder(latent_tensor, output_shape, is_training=True):
    output = original(latent_tensor, output_shape, is_training=is_training)
    batch_in = latent_tensor.shape[0]
    batch_out = output.shape[0]
    if (batch_in is not None and batch_out is not None and
        int(batch_in) != int(batch_out)):
      raise ValueError(
          "The decoder does not produce images of the data's shape {}: a batch of "
          "{} codes became {} images after reshaping its output. dlib's "
          "conv_encoder/deconv_decoder are for 64x64 data; for 32x32 data (e.g. "
          "dataset.name = 'synthetic_squares_32') bind encoder.encoder_fn = "
          "@conv_encoder_32 and decoder.decoder_fn = @deconv_decoder_32 "
          "(mine_plugin.methods.shared.architectures).".format(
              list(output_shape), int(batch_in), int(batch_out)))
    return output

  make_decoder.__doc__ = original.__doc__
  make_decoder._mine_plugin_compat = True  # pylint: disable=protected-access
  module.make_decoder = make_decoder


def _raise_full_disk(module):
  """dlib's convolute_hub, whose writes raise a full disk as an OSError.

  TensorFlow reports a file past the process's size limit (`ulimit -f`) as an
  OutOfRangeError. dlib's postprocess writes its TF-Hub module inside
  `hub.eval_function_for_module`, whose MonitoredSession takes an OutOfRangeError for
  the end of its input and swallows it: postprocessing then ended with success and
  without its module.
  """
  for name in ("convolute_and_save", "save_numpy_arrays_to_checkpoint"):
    function = getattr(module, name)
    if getattr(function, "_mine_plugin_compat", False):
      continue

    def raising(*args, function=function, **kwargs):
      try:
        return function(*args, **kwargs)
      except Exception as error:  # pylint: disable=broad-except
        found = disk_space.full_disk(error)
        if found is None:
          raise
        raise OSError(found[0], str(error), found[1]) from error

    raising.__doc__ = function.__doc__
    raising.__name__ = function.__name__
    raising._mine_plugin_compat = True  # pylint: disable=protected-access
    setattr(module, name, raising)


def _check_dlib_vaes(module):
  importlib.import_module(
      "mine_plugin.methods.unsupervised.dlib_vae_checks").install(module)


def _import_plugin(module_name):
  return lambda unused_module: importlib.import_module(module_name)


def _before_dlib(unused_module):
  _install_tensorflow_contrib()
  _patch_gin()


# Run before the named dlib module's body executes.
_BEFORE_EXEC = {
    "disentanglement_lib": _before_dlib,
}

# Run after the named dlib module's body executed (receives the module).
_AFTER_EXEC = {
    "disentanglement_lib.visualize.visualize_util": _patch_visualize_util,
    "disentanglement_lib.methods.unsupervised.train": _guard_train,
    "disentanglement_lib.postprocessing.postprocess": _guard_postprocess,
    "disentanglement_lib.evaluation.evaluate": _guard_evaluate,
    "disentanglement_lib.methods.shared.architectures": _check_decoder_shape,
    "disentanglement_lib.methods.unsupervised.vae": _check_dlib_vaes,
    "disentanglement_lib.utils.convolute_hub": _raise_full_disk,
}


def _run_hook(table, module):
  hook = table.get(module.__name__)
  if hook is not None:
    hook(module)


class _PatchingLoader(importlib.abc.Loader):
  """Wraps a module's real loader to run the hooks around its body."""

  def __init__(self, loader):
    self._loader = loader

  def create_module(self, spec):
    return self._loader.create_module(spec)

  def exec_module(self, module):
    # Hand the module its real loader: pkg_resources and others dispatch on its type.
    module.__loader__ = self._loader
    if module.__spec__ is not None:
      module.__spec__.loader = self._loader
    _run_hook(_BEFORE_EXEC, module)
    self._loader.exec_module(module)
    _run_hook(_AFTER_EXEC, module)

  def __getattr__(self, name):
    return getattr(self._loader, name)


class _DlibFinder(importlib.abc.MetaPathFinder):
  """Finds hooked dlib modules through the other finders and wraps their loader."""

  def find_spec(self, fullname, path, target=None):
    if fullname not in _BEFORE_EXEC and fullname not in _AFTER_EXEC:
      return None
    for finder in sys.meta_path:
      if finder is self or not hasattr(finder, "find_spec"):
        continue
      spec = finder.find_spec(fullname, path, target)
      if spec is not None:
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
          spec.loader = _PatchingLoader(spec.loader)
        return spec
    return None


def register_after_dlib_module(dlib_module, plugin_module):
  """Imports `plugin_module` whenever `dlib_module` has been imported.

  This is how the plugin's gin configurables that extend a dlib module are
  registered wherever that dlib module is in use.
  """
  previous = _AFTER_EXEC.get(dlib_module)
  load = _import_plugin(plugin_module)

  def hook(module):
    if previous is not None:
      previous(module)
    load(module)

  _AFTER_EXEC[dlib_module] = hook
  if dlib_module in sys.modules:
    load(sys.modules[dlib_module])


# Module paths of mine_plugin 0.1, before the package took dlib's layout, mapped to
# where the module lives now: a gin file or script written for 0.1 (`import
# mine_plugin.datasets`) keeps working.
MOVED_MODULES = {}


class _AliasLoader(importlib.abc.Loader):
  """Loads an old module path as the module that now lives elsewhere."""

  def __init__(self, new_name):
    self._new_name = new_name

  def create_module(self, spec):
    return importlib.import_module(self._new_name)

  def exec_module(self, module):
    pass  # Already executed under its new name.


class _MovedModuleFinder(importlib.abc.MetaPathFinder):

  def find_spec(self, fullname, path, target=None):
    if fullname not in MOVED_MODULES:
      return None
    return importlib.util.spec_from_loader(fullname,
                                           _AliasLoader(MOVED_MODULES[fullname]))


def install():
  """Puts the finders on `sys.meta_path` once; imports nothing heavy."""
  if not any(isinstance(finder, _DlibFinder) for finder in sys.meta_path):
    sys.meta_path.insert(0, _DlibFinder())
  if not any(isinstance(finder, _MovedModuleFinder) for finder in sys.meta_path):
    sys.meta_path.append(_MovedModuleFinder())
  if "disentanglement_lib" in sys.modules:  # dlib came first: patch what we still can.
    _patch_gin()
    for name, hook in list(_AFTER_EXEC.items()):
      if name in sys.modules:
        hook(sys.modules[name])

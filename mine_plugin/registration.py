"""The plugin's one registration point with dlib: what loads after which dlib module.

When a module named in `BEFORE` or `AFTER` is imported, the import hook (installed by
`mine_plugin_compat.pth` and by `import mine_plugin`) imports each "package.module"
listed for it, and for "package.module:function" also calls `function(loaded_module)`.
`GIN_WRAPPED`: dlib functions gin registers wrapped. No other import (no TensorFlow).
"""
import importlib
import importlib.abc
import sys

from mine_plugin import compat

# Run just before the named module's body.
BEFORE = {
    "disentanglement_lib": ["mine_plugin.compat:before_dlib"],
}

# Run just after the named module's body.
AFTER = {
    "disentanglement_lib.visualize.visualize_util": [
        "mine_plugin.compat:patch_visualize_util"],
    "disentanglement_lib.utils.convolute_hub": [
        "mine_plugin.training.run_errors:raise_full_disk"],
    "disentanglement_lib.methods.shared.architectures": [
        "mine_plugin.training.run_errors:check_decoder_shape",
        "mine_plugin.methods.shared.architectures"],
    "disentanglement_lib.methods.unsupervised.vae": [
        "mine_plugin.methods.unsupervised.dlib_vae_checks:install"],
    # The models and the training options join `model.model` and the training
    # config where dlib's train (which owns `model`) is loaded.
    "disentanglement_lib.methods.unsupervised.train": [
        "mine_plugin.training.dlib_steps:install_train",
        "mine_plugin.methods.unsupervised.penalized_vae"],
    # Each model loads once the module it builds on is complete, so that importing
    # any of them first works too.
    "mine_plugin.methods.unsupervised.penalized_vae": [
        "mine_plugin.methods.unsupervised.critic_penalty",
        "mine_plugin.methods.unsupervised.lambda_beta_vae",
        "mine_plugin.methods.unsupervised.info_vae"],
    "mine_plugin.methods.unsupervised.critic_penalty": [
        "mine_plugin.methods.unsupervised.mine_tc_vae",
        "mine_plugin.methods.unsupervised.pairwise_mi_vae",
        "mine_plugin.methods.unsupervised.attention_mine_vae"],
    "disentanglement_lib.postprocessing.methods": [
        "mine_plugin.postprocessing.gaussian_posterior"],
    "disentanglement_lib.postprocessing.postprocess": [
        "mine_plugin.training.dlib_steps:install_postprocess"],
    "disentanglement_lib.evaluation.evaluate": [
        "mine_plugin.training.dlib_steps:install_evaluate",
        "mine_plugin.config.gin_files:search_dlib_configs",
        "mine_plugin.evaluation.metrics.latent_dependence",
        "mine_plugin.evaluation.metrics.fid",
        "mine_plugin.evaluation.metrics.lpips"],
    "disentanglement_lib.config.reproduce": ["mine_plugin.config.studies"],
}

# (dlib module, function) -> "plugin.module:wrapper": gin registers
# wrapper(function) in the function's place. The plugin's data sets join dlib's
# `dataset.name`.
GIN_WRAPPED = {
    ("disentanglement_lib.data.ground_truth.named_data",
     "get_named_ground_truth_data"):
        "mine_plugin.data.ground_truth.named_data:with_plugin_datasets",
}


def _run(entry, module):
  plugin_module, _, function = entry.partition(":")
  loaded = importlib.import_module(plugin_module)
  if function:
    getattr(loaded, function)(module)


def _run_entries(table, module):
  for entry in table.get(module.__name__, ()):
    _run(entry, module)


class _HookedLoader(importlib.abc.Loader):
  """Wraps a module's real loader to run the table's entries around its body."""

  def __init__(self, loader):
    self._loader = loader

  def create_module(self, spec):
    return self._loader.create_module(spec)

  def exec_module(self, module):
    # Hand the module its real loader: pkg_resources and others dispatch on its type.
    module.__loader__ = self._loader
    if module.__spec__ is not None:
      module.__spec__.loader = self._loader
    _run_entries(BEFORE, module)
    self._loader.exec_module(module)
    _run_entries(AFTER, module)

  def __getattr__(self, name):
    return getattr(self._loader, name)


class _HookedModuleFinder(importlib.abc.MetaPathFinder):
  """Finds the modules of the table through the other finders; wraps their loader."""

  def find_spec(self, fullname, path, target=None):
    if fullname not in BEFORE and fullname not in AFTER:
      return None
    for finder in sys.meta_path:
      if finder is self or not hasattr(finder, "find_spec"):
        continue
      spec = finder.find_spec(fullname, path, target)
      if spec is not None:
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
          spec.loader = _HookedLoader(spec.loader)
        return spec
    return None


def _gin_wrapper(entry):
  plugin_module, _, wrapper = entry.partition(":")
  return lambda function: getattr(importlib.import_module(plugin_module),
                                  wrapper)(function)


def install():
  """Puts the hook on `sys.meta_path` once; imports nothing heavy."""
  if not any(isinstance(finder, _HookedModuleFinder) for finder in sys.meta_path):
    sys.meta_path.insert(0, _HookedModuleFinder())
  for key, entry in GIN_WRAPPED.items():
    compat.DECORATION_WRAPPERS[key] = _gin_wrapper(entry)
  if "disentanglement_lib" in sys.modules:  # dlib came first: patch what we still can.
    compat.patch_gin()
    for (dlib_module, _), entry in GIN_WRAPPED.items():
      if dlib_module in sys.modules:
        importlib.import_module(entry.partition(":")[0])
    for name in list(AFTER):
      if name in sys.modules:
        _run_entries(AFTER, sys.modules[name])

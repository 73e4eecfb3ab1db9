"""mine_plugin 0.1's module paths, which old gin files import, load today's modules.

They register the same gin names; the 0.1 Python names inside them (e.g.
`mine_plugin.models.MineTCVAE`) are not kept: README, "Layout"."""
import importlib
import importlib.abc
import importlib.util
import sys

# 0.1 path -> the module that registers its gin names now.
OLD_PATHS = {
    "mine_plugin.architectures": "mine_plugin.methods.shared.architectures",
    "mine_plugin.estimators": "mine_plugin.methods.shared.critics",
    "mine_plugin.critic_tracking": "mine_plugin.methods.shared.critic_tracking",
    "mine_plugin.models": "mine_plugin.methods.unsupervised.penalized_vae",
    "mine_plugin.attention": "mine_plugin.methods.unsupervised.attention_mine_vae",
    "mine_plugin.input_pipeline": "mine_plugin.training.input_pipeline",
    "mine_plugin.precision": "mine_plugin.training.precision",
    "mine_plugin.warm_start": "mine_plugin.training.warm_start",
    "mine_plugin.datasets": "mine_plugin.data.ground_truth.named_data",
}


class _AliasLoader(importlib.abc.Loader):
  """Loads an old module path as the module that now lives elsewhere."""

  def __init__(self, new_name):
    self._new_name = new_name

  def create_module(self, spec):
    return importlib.import_module(self._new_name)

  def exec_module(self, module):
    pass  # Already executed under its new name.


class _OldPathFinder(importlib.abc.MetaPathFinder):

  def find_spec(self, fullname, path, target=None):
    if fullname not in OLD_PATHS:
      return None
    return importlib.util.spec_from_loader(fullname,
                                           _AliasLoader(OLD_PATHS[fullname]))


def install():
  """Puts the finder of the old paths on `sys.meta_path` once."""
  if not any(isinstance(finder, _OldPathFinder) for finder in sys.meta_path):
    sys.meta_path.append(_OldPathFinder())

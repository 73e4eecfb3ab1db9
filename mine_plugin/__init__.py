"""mine_plugin: mutual-information-based disentanglement for disentanglement_lib.

Importing this package is cheap: it loads no TensorFlow. It installs the import hook
of `mine_plugin.registration` (which also runs at interpreter start-up through the
installed `mine_plugin_compat.pth`), so that disentanglement_lib 1.5 runs on
TensorFlow 2.15 (`mine_plugin.compat`) and the plugin's gin names are registered
whenever dlib is imported. A gin file that begins with `import mine_plugin` can
therefore be given to dlib's own `dlib_train --gin_config=...`.
"""
from mine_plugin import old_module_paths
from mine_plugin import registration

__version__ = "0.2.0"  # CHANGELOG.md

registration.install()
old_module_paths.install()

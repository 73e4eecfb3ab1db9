"""mine_plugin: mutual-information-based disentanglement for disentanglement_lib.

Cheap to import (no TensorFlow). It installs `mine_plugin.registration`'s hook (also
run at start-up by `mine_plugin_compat.pth`), so dlib 1.5 runs on TensorFlow 2.15 and
the plugin's gin names are registered whenever dlib is imported: a gin file that
begins with `import mine_plugin` can be given to dlib's own `dlib_train`.
"""
from mine_plugin import old_module_paths
from mine_plugin import registration

__version__ = "0.2.0"  # CHANGELOG.md

registration.install()
old_module_paths.install()

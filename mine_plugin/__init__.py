"""mine_plugin: mutual-information-based disentanglement for disentanglement_lib.

Importing this package is cheap: it loads no TensorFlow. It activates
`mine_plugin.compat` (which also runs at interpreter start-up through the installed
`mine_plugin_compat.pth`), so that disentanglement_lib 1.5 runs on TensorFlow 2.15 and
the plugin's gin configurables and datasets are registered whenever dlib is imported.
A gin file that begins with `import mine_plugin` can therefore be given to dlib's own
`dlib_train --gin_config=...`.
"""
from mine_plugin import compat

__version__ = "0.1.0"

# The plugin's gin configurables, each loaded right after the dlib module it extends.
compat.register_after_dlib_module("disentanglement_lib.methods.shared.architectures",
                                  "mine_plugin.architectures")

compat.install()

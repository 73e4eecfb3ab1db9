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
compat.register_after_dlib_module("disentanglement_lib.methods.unsupervised.vae",
                                  "mine_plugin.models")
# The batched input pipeline's and bf16 option's gin parameters (input_pipeline.*,
# mixed_precision.*) are in every training config, so they must exist wherever models' do; compat installs it into
# dlib's train module.
compat.register_after_dlib_module("disentanglement_lib.methods.unsupervised.vae",
                                  "mine_plugin.input_pipeline")
compat.register_after_dlib_module("disentanglement_lib.methods.unsupervised.vae",
                                  "mine_plugin.precision")
compat.register_after_dlib_module("disentanglement_lib.methods.unsupervised.vae",
                                  "mine_plugin.warm_start")
# attention builds on models: loaded once models is complete, so that importing
# mine_plugin.models before dlib (which loads dlib's vae, then models) works too.
compat.register_after_dlib_module("mine_plugin.models", "mine_plugin.attention")
# The plugin's studies join dlib_reproduce's `--study` names.
compat.register_after_dlib_module("disentanglement_lib.config.reproduce",
                                  "mine_plugin.studies")
# The plugin's data sets join dlib's `dataset.name` (and may replace a dlib name);
# `synthetic_squares.*` gin bindings need the module loaded with named_data.
compat.register_after_dlib_module("disentanglement_lib.data.ground_truth.named_data",
                                  "mine_plugin.datasets")
compat.PLUGIN_DATASETS.update({
    "synthetic_squares": "mine_plugin.datasets:synthetic_squares",
    "synthetic_squares_32": "mine_plugin.datasets:synthetic_squares_32",
    "shapes3d": "mine_plugin.datasets:shapes3d",
    "dsprites_full": "mine_plugin.datasets:dsprites_full",
    "dsprites_noshape": "mine_plugin.datasets:dsprites_noshape",
    "color_dsprites": "mine_plugin.datasets:color_dsprites",
    "noisy_dsprites": "mine_plugin.datasets:noisy_dsprites",
})

compat.install()

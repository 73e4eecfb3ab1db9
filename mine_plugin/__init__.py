"""mine_plugin: mutual-information-based disentanglement for disentanglement_lib.

Importing this package is cheap: it loads no TensorFlow. It activates
`mine_plugin.compat` (which also runs at interpreter start-up through the installed
`mine_plugin_compat.pth`), so that disentanglement_lib 1.5 runs on TensorFlow 2.15 and
the plugin's gin configurables and datasets are registered whenever dlib is imported.
A gin file that begins with `import mine_plugin` can therefore be given to dlib's own
`dlib_train --gin_config=...`.
"""
from mine_plugin import compat

__version__ = "0.2.0"  # CHANGELOG.md

# The plugin's gin configurables, each loaded right after the dlib module it extends.
compat.register_after_dlib_module("disentanglement_lib.methods.shared.architectures",
                                  "mine_plugin.methods.shared.architectures")
compat.register_after_dlib_module("disentanglement_lib.methods.unsupervised.vae",
                                  "mine_plugin.methods.unsupervised.penalized_vae")
# The training options' gin parameters (input_pipeline.*, mixed_precision.*,
# warm_start.*, step_log.*, resume.*) are in every training config, so they must exist wherever the models'
# do; compat installs them into dlib's train module.
compat.register_after_dlib_module("disentanglement_lib.methods.unsupervised.vae",
                                  "mine_plugin.training.input_pipeline")
compat.register_after_dlib_module("disentanglement_lib.methods.unsupervised.vae",
                                  "mine_plugin.training.precision")
compat.register_after_dlib_module("disentanglement_lib.methods.unsupervised.vae",
                                  "mine_plugin.training.warm_start")
compat.register_after_dlib_module("disentanglement_lib.methods.unsupervised.vae",
                                  "mine_plugin.training.step_log")
compat.register_after_dlib_module("disentanglement_lib.methods.unsupervised.vae",
                                  "mine_plugin.training.resume")
# The models build on penalized_vae and critic_penalty: each is loaded once the
# module it builds on is complete, so that importing any of them before dlib (which
# loads dlib's vae, then penalized_vae, critic_penalty and the models) works too.
compat.register_after_dlib_module("mine_plugin.methods.unsupervised.penalized_vae",
                                  "mine_plugin.methods.unsupervised.critic_penalty")
compat.register_after_dlib_module("mine_plugin.methods.unsupervised.penalized_vae",
                                  "mine_plugin.methods.unsupervised.lambda_beta_vae")
compat.register_after_dlib_module("mine_plugin.methods.unsupervised.penalized_vae",
                                  "mine_plugin.methods.unsupervised.info_vae")
compat.register_after_dlib_module("mine_plugin.methods.unsupervised.critic_penalty",
                                  "mine_plugin.methods.unsupervised.mine_tc_vae")
compat.register_after_dlib_module("mine_plugin.methods.unsupervised.critic_penalty",
                                  "mine_plugin.methods.unsupervised.pairwise_mi_vae")
compat.register_after_dlib_module("mine_plugin.methods.unsupervised.critic_penalty",
                                  "mine_plugin.methods.unsupervised.attention_mine_vae")
# The representation and the metric of the aggregate posterior join dlib's
# postprocessing and evaluation functions.
compat.register_after_dlib_module("disentanglement_lib.postprocessing.methods",
                                  "mine_plugin.postprocessing.gaussian_posterior")
compat.register_after_dlib_module("disentanglement_lib.evaluation.evaluate",
                                  "mine_plugin.evaluation.latent_dependence")
compat.register_after_dlib_module("disentanglement_lib.evaluation.evaluate",
                                  "mine_plugin.evaluation.metrics.fid")
compat.register_after_dlib_module("disentanglement_lib.evaluation.evaluate",
                                  "mine_plugin.evaluation.metrics.lpips")
# The plugin's studies join dlib_reproduce's `--study` names.
compat.register_after_dlib_module("disentanglement_lib.config.reproduce",
                                  "mine_plugin.config.studies")
# The plugin's data sets join dlib's `dataset.name` (and may replace a dlib name):
# the plugin's named_data fills `compat.PLUGIN_DATASETS` and loads the
# `synthetic_squares.*` gin parameters, with dlib's named_data.
compat.register_after_dlib_module("disentanglement_lib.data.ground_truth.named_data",
                                  "mine_plugin.data.ground_truth.named_data")

# Module paths of mine_plugin 0.1 that its gin files imported (`import
# mine_plugin.datasets`, `import mine_plugin.attention`) or that users imported to
# register the plugin's gin names: they keep loading the module that registers those
# names now. The 0.1 Python names inside them (e.g. `mine_plugin.models.MineTCVAE`)
# are not kept: their new homes are in the README's Layout.
compat.MOVED_MODULES.update({
    "mine_plugin." + old: "mine_plugin." + new for old, new in (
        ("architectures", "methods.shared.architectures"),
        ("estimators", "methods.shared.estimators"),
        ("critic_tracking", "methods.shared.critic_tracking"),
        ("models", "methods.unsupervised.penalized_vae"),
        ("attention", "methods.unsupervised.attention_mine_vae"),
        ("input_pipeline", "training.input_pipeline"),
        ("precision", "training.precision"),
        ("warm_start", "training.warm_start"),
        ("datasets", "data.ground_truth.named_data"),
    )})

compat.install()

"""The plugin's studies, in dlib's own `Study` interface, registered with dlib_reproduce.

A study is a list of models (gin bindings on top of one base config) plus the
postprocessing and metric configs applied to each, exactly as in dlib's
`config/unsupervised_study_v1/sweep.py` (Locatello et al. 2019, "Challenging Common
Assumptions in the Unsupervised Learning of Disentangled Representations", Sec. 5).
Importing this module adds the studies to `disentanglement_lib.config.reproduce.STUDIES`
(mine_plugin/__init__.py imports it whenever dlib's `reproduce` module is imported), so
dlib's unchanged

    dlib_reproduce --study=mine_plugin_small --model_num=3 --output_directory=out/3

trains, visualizes, postprocesses and evaluates model 3 of the study.

Studies:
  mine_plugin_v1     the plugin's models and dlib's baselines (beta-VAE, beta-TCVAE,
                     FactorVAE) x their hyperparameter grids x NUM_SEEDS seeds x
                     synthetic_squares, dsprites_full, shapes3d; dlib's full metric
                     configs (gin_configs/metrics/, unchanged from unsupervised_study_v1).
  mine_plugin_small  a handful of short runs on synthetic squares that finish on two
                     CPU cores in about an hour, with lighter metric configs.
  mine_plugin_mi_constrained  the MI-constrained VAE paper's setting (32x32 squares,
                     3 latents, beta = 1, lambda = 10, Adam 1e-3): vanilla VAE, the
                     pairwise penalty by MWS, density-ratio and MINE critics,
                     beta-TCVAE and mine_tc_vae (both critics), 5 seeds each.
  mine_plugin_bf16   fp32 vs the bfloat16 rewrite, beta-TCVAE on 64x64 squares, 3 seeds.
  mine_plugin_smoke  two models that train for two steps on dlib's `dummy_data` with
                     dlib's test architectures and test metric configs (for tests).

A plugin model is trained from `gin_configs/shared.gin` plus an `include` of its own
`gin_configs/models/<config>.gin`, then the swept bindings; dlib's baselines use the same
shared config with `model.model` bound to dlib's configurable.
"""
import collections
import os

from disentanglement_lib.config import reproduce
from disentanglement_lib.config import study
from disentanglement_lib.utils import resources
import disentanglement_lib.utils.hyperparams as h

from mine_plugin import pipeline

# dlib's study uses 50 seeds per setting; ten keep the full study at 1440 models.
NUM_SEEDS = 10

DATASETS = ("synthetic_squares", "dsprites_full", "shapes3d")

# One model family of a sweep: `config` is the file under gin_configs/models/ (None for
# a dlib model, which is selected by `model.model = <model_fn>` instead), `parameter`
# the swept gin parameter and `values` its grid.
ModelSweep = collections.namedtuple(
    "ModelSweep", ["name", "config", "model_fn", "parameter", "values", "fixed"])


def _dlib(name, model_fn, parameter, values, fixed=()):
  return ModelSweep(name, None, model_fn, parameter, tuple(values), tuple(fixed))


def _plugin(name, parameter, values, config=None, fixed=()):
  return ModelSweep(name, config or name, None, parameter, tuple(values),
                    tuple(fixed))


# dlib's baselines with unsupervised_study_v1's grids (sweep.py, get_default_models).
BETA_VAE = _dlib("beta_vae", "@vae()", "vae.beta", [1., 2., 4., 6., 8., 16.])
BETA_TC_VAE = _dlib("beta_tc_vae", "@beta_tc_vae()", "beta_tc_vae.beta",
                    [1., 2., 4., 6., 8., 10.])
FACTOR_VAE = _dlib("factor_vae", "@factor_vae()", "factor_vae.gamma",
                   [10., 20., 30., 40., 50., 100.],
                   fixed=[("discriminator.discriminator_fn", "@fc_discriminator")])

# The plugin's models. lambda_beta_vae shares beta-VAE's beta grid so that the two
# can be compared at equal beta.
LAMBDA_BETA_VAE = _plugin("lambda_beta_vae", "lambda_beta_vae.beta",
                          [1., 2., 4., 6., 8., 16.])
MINE_TC_VAE = _plugin("mine_tc_vae", "mine_tc_vae.beta", [1., 2., 4., 6., 8., 10.])
# The pairwise-MI weight lam spans a factor 50 around 2.5 (which weighs the pairwise
# terms as beta-TCVAE with beta = 6 weighs TC, by TC ~ sum_{i<j} I(z_i; z_j) for weak
# dependence) up to the MI-constrained VAE paper's 10 (the configs' value); both
# estimators (closed form and critic) share the grid.
PAIRWISE_LAMS = [0.5, 1., 2.5, 5., 10., 25.]
PAIRWISE_MI_VAE = _plugin("pairwise_mi_vae", "pairwise_mi_vae.lam", PAIRWISE_LAMS)
PAIRWISE_MI_VAE_MINE = _plugin("pairwise_mi_vae_mine", "pairwise_mi_vae.lam",
                               PAIRWISE_LAMS)
# The MINE weight of attention_mine_vae, around its config's 1.
ATTENTION_MINE_VAE = _plugin("attention_mine_vae", "attention_mine_vae.lam",
                             [0.25, 0.5, 1., 2., 4., 8.])

# attention_mine_vae allocates the latents to the data set's factors (plus a
# nuisance slot), so its num_factors follows dataset.name.
NUM_FACTORS = {"synthetic_squares": 3, "synthetic_squares_32": 3,
               "dsprites_full": 5, "shapes3d": 6, "dummy_data": 10}

ALL_MODELS = (BETA_VAE, BETA_TC_VAE, FACTOR_VAE, LAMBDA_BETA_VAE, MINE_TC_VAE,
              PAIRWISE_MI_VAE, PAIRWISE_MI_VAE_MINE, ATTENTION_MINE_VAE)
PLUGIN_MODELS = tuple(m for m in ALL_MODELS if m.config is not None)


def _model_configs(sweep, values=None):
  """The sweep's settings as dicts of gin bindings, one per hyperparameter value."""
  settings = [h.fixed("model.name", sweep.name)]
  if sweep.model_fn is not None:
    settings.append(h.fixed("model.model", sweep.model_fn))
  for parameter, value in sweep.fixed:
    settings.append(h.fixed(parameter, value))
  settings.append(h.sweep(sweep.parameter, h.discrete(
      sweep.values if values is None else values)))
  return h.zipit(settings)


def model_config_file(config):
  """Absolute path of gin_configs/models/<config>.gin, with a clear error if missing."""
  return pipeline.gin_config(os.path.join("models", config + ".gin"))


class PluginStudy(study.Study):
  """A grid of models in dlib's Study interface.

  Attributes:
    name: key in dlib's reproduce.STUDIES.
    config: list of dicts of gin bindings, one per model (dlib's hyperparams format).
    base_config: the gin file every model starts from.
    postprocess_configs, eval_configs: gin files for every model.
    extra_bindings: bindings added to every model after its own (e.g. shorter runs).
  """

  def __init__(self, name, config, base_config, postprocess_configs, eval_configs,
               extra_bindings=()):
    self.name = name
    self.config = config
    self.base_config = base_config
    self.postprocess_configs = list(postprocess_configs)
    self.eval_configs = list(eval_configs)
    self.extra_bindings = list(extra_bindings)
    self._sweeps = {m.name: m for m in ALL_MODELS}

  def __len__(self):
    return len(self.config)

  def get_model_config(self, model_num=0):
    """Returns model bindings and config file, as dlib_reproduce expects."""
    if not 0 <= model_num < len(self.config):
      raise IndexError(
          "Study {!r} has models 0..{}, not --model_num={}.".format(
              self.name, len(self.config) - 1, model_num))
    config = self.config[model_num]
    bindings = []
    sweep = self._sweeps.get(config["model.name"])
    if sweep is not None and sweep.config is not None:
      # The model's own file binds model.model and its defaults; the swept
      # bindings that follow override them.
      bindings.append("include '{}'".format(model_config_file(sweep.config)))
    bindings += h.to_bindings(config) + self.extra_bindings
    return bindings, self.base_config

  def get_postprocess_config_files(self):
    return list(self.postprocess_configs)

  def get_eval_config_files(self):
    return list(self.eval_configs)


def _product(datasets, models, num_seeds):
  """dlib's order: data set, then model, then seed innermost (sweep.py)."""
  configs = h.product([
      h.sweep("dataset.name", h.categorical(list(datasets))),
      models,
      h.sweep("model.random_seed", h.categorical(list(range(num_seeds)))),
  ])
  for config in configs:
    if config["model.name"] == ATTENTION_MINE_VAE.name:
      config["attention_mine_vae.num_factors"] = NUM_FACTORS[config["dataset.name"]]
  return configs


def _gin_files(folder):
  """All .gin files of a folder under gin_configs/, sorted."""
  directory = os.path.join(str(pipeline.GIN_CONFIGS), folder)
  return sorted(os.path.join(directory, name) for name in os.listdir(directory)
                if name.endswith(".gin"))


def full_study():
  """Every model x its grid x NUM_SEEDS seeds x DATASETS, dlib's metric settings."""
  models = h.chainit([_model_configs(m) for m in ALL_MODELS])
  return PluginStudy("mine_plugin_v1", _product(DATASETS, models, NUM_SEEDS),
                     pipeline.gin_config("shared.gin"), _gin_files("postprocess"),
                     _gin_files("metrics"))


# Short training for the small study: long enough for the models to separate on
# synthetic squares, short enough for about an hour on two CPU cores.
SMALL_TRAINING_STEPS = 1500
SMALL_BETAS = [1., 4., 16.]


def small_study():
  """beta-VAE vs lambda-beta-VAE across beta, beta-TCVAE, and each plugin model once."""
  models = h.chainit([
      _model_configs(BETA_VAE, SMALL_BETAS),
      _model_configs(LAMBDA_BETA_VAE, SMALL_BETAS),
      _model_configs(BETA_TC_VAE, [6.]),
      _model_configs(MINE_TC_VAE, [6.]),
      _model_configs(PAIRWISE_MI_VAE, [2.5]),
      _model_configs(PAIRWISE_MI_VAE_MINE, [2.5]),
      _model_configs(ATTENTION_MINE_VAE, [1.]),
  ])
  return PluginStudy(
      "mine_plugin_small", _product(["synthetic_squares"], models, 1),
      pipeline.gin_config("shared.gin"), _gin_files("postprocess"),
      _gin_files(os.path.join("mine_plugin_small", "metric_configs")),
      extra_bindings=["model.training_steps = {}".format(SMALL_TRAINING_STEPS),
                      # dlib evaluates the ELBO on 1000 batches after training.
                      "model.eval_steps = 50"])


# The MI-constrained VAE's own setting (Lan, Putra, Fernandez, Sec. 5; PAPERS.md):
# 32x32 squares, 3 latents, beta = 1, lambda = 10, Adam 1e-3, batch 64. The paper
# trains 20 epochs of a data set whose size it does not give; 3000 steps here.
MI_CONSTRAINED_STEPS = 3000
MI_CONSTRAINED_SEEDS = 5
MI_CONSTRAINED_LAMBDA = 10.
# beta-TCVAE's beta for the TC models (gin_configs/models/beta_tc_vae.gin).
MI_CONSTRAINED_TC_BETA = 6.


def _fixed_model(name, bindings):
  """One model setting: model.name plus fixed bindings, as a dlib hyperparams dict."""
  return h.zipit([h.fixed("model.name", name)] +
                 [h.fixed(key, value) for key, value in bindings])


def mi_constrained_study():
  """The MI-constrained VAE's setting: its penalty by every estimator, and TC models.

  Seed-major order (all models of seed 0, then seed 1, ...), so that a partial run
  has whole seeds.
  """
  lam = ("pairwise_mi_vae.lam", MI_CONSTRAINED_LAMBDA)
  tc_beta = MI_CONSTRAINED_TC_BETA
  models = h.chainit([
      _fixed_model("vae", [("model.model", "@vae()"), ("vae.beta", 1.)]),
      _fixed_model("pairwise_mi_vae_mws", [
          ("model.model", "@pairwise_mi_vae()"), lam,
          ("pairwise_mi_vae.estimator", "mws")]),
      _fixed_model("pairwise_mi_vae_density_ratio", [
          ("model.model", "@pairwise_mi_vae()"), lam,
          ("pairwise_mi_vae.estimator", "density_ratio")]),
      _fixed_model("pairwise_mi_vae_mine", [
          ("model.model", "@pairwise_mi_vae()"), lam,
          ("pairwise_mi_vae.estimator", "mine")]),
      _fixed_model("beta_tc_vae", [("model.model", "@beta_tc_vae()"),
                                   ("beta_tc_vae.beta", tc_beta)]),
      _fixed_model("mine_tc_vae_density_ratio", [
          ("model.model", "@mine_tc_vae()"), ("mine_tc_vae.beta", tc_beta),
          ("mine_tc_vae.estimator", "density_ratio")]),
      _fixed_model("mine_tc_vae_mine", [
          ("model.model", "@mine_tc_vae()"), ("mine_tc_vae.beta", tc_beta),
          ("mine_tc_vae.estimator", "mine")]),
  ])
  seeds = h.sweep("model.random_seed",
                  h.categorical(list(range(MI_CONSTRAINED_SEEDS))))
  # vCLUB came after the first 35 models had run: its models follow them, so that
  # the earlier model numbers keep their settings.
  club = _fixed_model("pairwise_mi_vae_club", [
      ("model.model", "@pairwise_mi_vae()"), lam,
      ("pairwise_mi_vae.estimator", "club")])
  configs = h.chainit([h.product([seeds, models]), h.product([seeds, club])])
  metrics = os.path.join(str(pipeline.GIN_CONFIGS), "mine_plugin_small",
                         "metric_configs")
  return PluginStudy(
      "mine_plugin_mi_constrained", configs, pipeline.gin_config("shared.gin"),
      [pipeline.gin_config("postprocess/mean.gin")],
      [os.path.join(metrics, name) for name in ("mig.gin", "dci.gin")],
      extra_bindings=[
          "dataset.name = 'synthetic_squares_32'",
          "encoder.encoder_fn = @conv_encoder_32",
          "decoder.decoder_fn = @deconv_decoder_32",
          "encoder.num_latent = 3",
          "vae/AdamOptimizer.learning_rate = 0.001",
          "model.training_steps = {}".format(MI_CONSTRAINED_STEPS),
          "model.eval_steps = 20"])


BF16_SEEDS = 3
BF16_STEPS = 2000


def bf16_study():
  """fp32 vs the oneDNN bfloat16 rewrite (mine_plugin.precision), same budget.

  dlib's beta_tc_vae (beta = 6) on 64x64 synthetic squares, 10 latents, Adam 1e-3,
  BF16_STEPS steps, BF16_SEEDS seeds each; MIG and DCI of the mean representation,
  and the reconstruction loss dlib records in train_results. Seed-major.
  """
  models = h.chainit([
      _fixed_model("beta_tc_vae_" + name, [
          ("model.model", "@beta_tc_vae()"), ("beta_tc_vae.beta", 6.),
          ("mixed_precision.bfloat16", bf16)])
      for name, bf16 in (("fp32", False), ("bf16", True))])
  configs = h.product([
      h.sweep("model.random_seed", h.categorical(list(range(BF16_SEEDS)))),
      models])
  metrics = os.path.join(str(pipeline.GIN_CONFIGS), "mine_plugin_small",
                         "metric_configs")
  return PluginStudy(
      "mine_plugin_bf16", configs, pipeline.gin_config("shared.gin"),
      [pipeline.gin_config("postprocess/mean.gin")],
      [os.path.join(metrics, name) for name in ("mig.gin", "dci.gin")],
      extra_bindings=[
          "dataset.name = 'synthetic_squares'",
          "vae/AdamOptimizer.learning_rate = 0.001",
          "model.training_steps = {}".format(BF16_STEPS),
          "model.eval_steps = 20"])


def smoke_study():
  """Two 2-step models on dlib's dummy_data with dlib's own test configs."""
  models = h.chainit([_model_configs(BETA_VAE, [1.]),
                      _model_configs(BETA_TC_VAE, [2.])])
  metrics = ["mig", "sap_score"]
  return PluginStudy(
      "mine_plugin_smoke", models,
      resources.get_file("config/tests/methods/unsupervised/train_test.gin"),
      resources.get_files_in_folder(
          "config/tests/postprocessing/postprocess_test_configs"),
      [resources.get_file("config/tests/evaluation/evaluate_test_configs/"
                          "{}.gin".format(m)) for m in metrics],
      extra_bindings=["model.eval_steps = 2"])


STUDIES = {s.name: s for s in (full_study(), small_study(), mi_constrained_study(),
                                bf16_study(),
                                smoke_study())}

reproduce.STUDIES.update(STUDIES)


def get_study(name):
  """A study of dlib's reproduce.STUDIES (the plugin's included) by name."""
  try:
    return reproduce.STUDIES[name]
  except KeyError:
    raise KeyError("Unknown study {!r}. Known studies: {}.".format(
        name, ", ".join(sorted(reproduce.STUDIES)))) from None

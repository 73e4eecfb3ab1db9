"""The plugin's studies in dlib's `Study` interface, registered with dlib_reproduce.

As dlib's `config/unsupervised_study_v1/sweep.py` (Locatello et al. 2019, Sec. 5).
Importing it (registration.py does, with dlib's `reproduce`) adds them to
`reproduce.STUDIES` for `dlib_reproduce --study=<name>`. Studies: docs/studies.md;
`mine_plugin_celeba` needs the user's CelebA and metric weights.
"""
from disentanglement_lib.config import reproduce
from disentanglement_lib.config import study
from disentanglement_lib.utils import resources
import disentanglement_lib.utils.hyperparams as h

from mine_plugin.config import gin_files
from mine_plugin.config import sweeps
from mine_plugin.training import precision

# unsupervised_study_v1's metrics less its two downstream-task configs (never part of
# this study); mine_plugin_small's lighter configs are the same less `unsupervised`.
FULL_METRICS = ("beta_vae_sklearn", "dci", "factor_vae_metric", "mig",
                "modularity_explicitness", "sap_score", "unsupervised")
SMALL_METRICS = tuple(m for m in FULL_METRICS if m != "unsupervised")


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
  return gin_files.plugin_config("models/{}.gin".format(config))


def _shared_config():
  return gin_files.plugin_config("shared.gin")


def _postprocess_configs(names=("mean", "sampled")):
  """dlib's own unsupervised_study_v1 postprocessing configs."""
  return [gin_files.step_config("postprocess", name) for name in names]


def _metric_configs(names, settings=gin_files.UNSUPERVISED_STUDY_V1):
  return [gin_files.step_config("metric", name, settings) for name in names]


def _light_metrics(*names):
  """mine_plugin_small's metric configs (fewer samples) of the given names."""
  return _metric_configs(names, gin_files.MINE_PLUGIN_SMALL)


class PluginStudy(study.Study):
  """A grid of models in dlib's Study interface.

  Attributes:
    name: key in dlib's reproduce.STUDIES.
    config: list of dicts of gin bindings, one per model (dlib's hyperparams format).
    base_config: the gin file every model starts from.
    postprocess_configs, eval_configs: gin files for every model.
    extra_bindings: bindings added to every model after its own (e.g. shorter runs).
    model_files: {model.name: config} for models whose gin_configs/models/<config>.gin
      is not found by their name (a variant of a plugin model).
  """

  def __init__(self, name, config, base_config, postprocess_configs, eval_configs,
               extra_bindings=(), model_files=None):
    self.name = name
    self.config = config
    self.base_config = base_config
    self.postprocess_configs = list(postprocess_configs)
    self.eval_configs = list(eval_configs)
    self.extra_bindings = list(extra_bindings)
    self._model_files = {m.name: m.config for m in sweeps.PLUGIN_MODELS}
    self._model_files.update(model_files or {})

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
    model_file = self._model_files.get(config["model.name"])
    if model_file is not None:
      # The model's own file binds model.model and its defaults; the swept
      # bindings that follow override them.
      bindings.append("include '{}'".format(model_config_file(model_file)))
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
    if config["model.name"] == sweeps.ATTENTION_MINE_VAE.name:
      config["attention_mine_vae.num_factors"] = sweeps.NUM_FACTORS[
          config["dataset.name"]]
  return configs


def full_study():
  """Every model x its grid x NUM_SEEDS seeds x DATASETS (sweeps), dlib's settings."""
  models = h.chainit([_model_configs(m) for m in sweeps.ALL_MODELS])
  return PluginStudy(
      "mine_plugin_v1",
      _product(sweeps.DATASETS, models, sweeps.NUM_SEEDS), _shared_config(),
      _postprocess_configs(), _metric_configs(FULL_METRICS))


# Short training for the small study: long enough for the models to separate on
# synthetic squares, short enough for about an hour on two CPU cores.
SMALL_TRAINING_STEPS = 1500
SMALL_BETAS = [1., 4., 16.]


def small_study():
  """beta-VAE vs lambda-beta-VAE across beta, beta-TCVAE, and each plugin model once."""
  models = h.chainit([
      _model_configs(sweeps.BETA_VAE, SMALL_BETAS),
      _model_configs(sweeps.LAMBDA_BETA_VAE, SMALL_BETAS),
      _model_configs(sweeps.BETA_TC_VAE, [6.]),
      _model_configs(sweeps.MINE_TC_VAE, [6.]),
      _model_configs(sweeps.PAIRWISE_MI_VAE, [2.5]),
      _model_configs(sweeps.PAIRWISE_MI_VAE_MINE, [2.5]),
      _model_configs(sweeps.ATTENTION_MINE_VAE, [1.]),
  ])
  return PluginStudy(
      "mine_plugin_small", _product(["synthetic_squares"], models, 1),
      _shared_config(), _postprocess_configs(),
      _light_metrics(*SMALL_METRICS),
      extra_bindings=["model.training_steps = {}".format(SMALL_TRAINING_STEPS),
                      # dlib evaluates the ELBO on 1000 batches after training.
                      "model.eval_steps = 50"])


def _mean_mig_dci_study(name, configs, dataset, steps, data_bindings=(),
                        model_files=None, dependence=False):
  """A study on `dataset` at Adam 1e-3 for `steps` steps; MIG and DCI of the mean.

  `data_bindings` (architectures, latent size) follow the dataset's binding. With
  `dependence`, also the latents' pairwise MI and total correlation
  (latent_dependence on the gaussian_posterior representation).
  """
  postprocess = _postprocess_configs(["mean"])
  metrics = _light_metrics("mig", "dci")
  if dependence:
    postprocess.append(gin_files.step_config("postprocess", "gaussian_posterior",
                                             gin_files.MINE_PLUGIN))
    metrics.append(gin_files.step_config("metric", "latent_dependence",
                                         gin_files.MINE_PLUGIN))
  return PluginStudy(
      name, configs, _shared_config(), postprocess, metrics,
      extra_bindings=["dataset.name = '{}'".format(dataset)] + list(data_bindings) + [
          "vae/AdamOptimizer.learning_rate = 0.001",
          "model.training_steps = {}".format(steps),
          "model.eval_steps = 20"],
      model_files=model_files)


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
  # Why the closed form helps and the critics do not (docs/mine_penalty.md): the
  # closed-form penalties widen the posteriors, as a larger KL weight does. dlib's
  # beta-VAE at beta 2 and 4 (a KL weight alone), and the MINE pairwise penalty on
  # top of beta = 4 (a critic plus the widening); after the first 40 models.
  widening = h.chainit([
      _fixed_model("beta_vae_2", [("model.model", "@vae()"), ("vae.beta", 2.)]),
      _fixed_model("beta_vae_4", [("model.model", "@vae()"), ("vae.beta", 4.)]),
      _fixed_model("pairwise_mi_vae_mine_beta4", [
          ("model.model", "@pairwise_mi_vae()"), lam,
          ("pairwise_mi_vae.estimator", "mine"), ("pairwise_mi_vae.beta", 4.)]),
  ])
  configs = h.chainit([h.product([seeds, models]), h.product([seeds, club]),
                       h.product([seeds, widening])])
  return _mean_mig_dci_study(
      "mine_plugin_mi_constrained", configs, "synthetic_squares_32",
      MI_CONSTRAINED_STEPS, ["encoder.encoder_fn = @conv_encoder_32",
                             "decoder.decoder_fn = @deconv_decoder_32",
                             "encoder.num_latent = 3"],
      model_files={"pairwise_mi_vae_mine_beta4": "pairwise_mi_vae_mine"},
      dependence=True)


# What a critic needs to remove the dependence it penalises (docs/mine_penalty.md):
# pairwise_mi_vae's density-ratio critic in the MI-constrained setting, one setting
# changed at a time from the shipped one.
CRITIC_SETTINGS = (
    ("critic_default", []),
    ("critic_wide", [("mlp_critic.hidden_units", (256, 256))]),
    ("critic_inner20", [("pairwise_mi_vae.inner_steps", 20)]),
    ("critic_samples8", [("pairwise_mi_vae.samples_per_input", 8)]),
    ("critic_replay16", [("pairwise_mi_vae.replay_batches", 16)]),
    ("critic_separable", [("pairwise_mi_vae.critic_fn",
                           "@separable_pair_critic")]),
)


def critic_settings_study():
  """pairwise_mi_vae (density ratio) under CRITIC_SETTINGS, 5 seeds, seed-major.

  The vanilla VAE and the closed-form penalty of the same setting are models 0, 7,
  ... and 1, 8, ... of mine_plugin_mi_constrained (same training, data, metrics).
  """
  models = h.chainit([_fixed_model(name, [
      ("model.model", "@pairwise_mi_vae()"),
      ("pairwise_mi_vae.lam", MI_CONSTRAINED_LAMBDA),
      ("pairwise_mi_vae.estimator", "density_ratio")] + bindings)
                      for name, bindings in CRITIC_SETTINGS])
  seeds = h.sweep("model.random_seed",
                  h.categorical(list(range(MI_CONSTRAINED_SEEDS))))
  return _mean_mig_dci_study(
      "mine_plugin_critic_settings", h.product([seeds, models]),
      "synthetic_squares_32", MI_CONSTRAINED_STEPS,
      ["encoder.encoder_fn = @conv_encoder_32",
       "decoder.decoder_fn = @deconv_decoder_32", "encoder.num_latent = 3"],
      model_files={name: "pairwise_mi_vae_density_ratio"
                   for name, _ in CRITIC_SETTINGS},
      dependence=True)


BF16_SEEDS = 5
BF16_STEPS = 2000
# name -> (mixed_precision.bfloat16, mixed_precision.float32_ops): float32, the
# rewrite as TensorFlow ships it, with the dense layers kept float32, and with
# everything but the convolutions kept float32 (mine_plugin.training.precision).
BF16_VARIANTS = (("fp32", False, ()), ("bf16", True, ()),
                 ("bf16_dense_fp32", True, precision.DENSE_LAYER_OPS),
                 ("bf16_conv_only", True, precision.CONVOLUTIONS_ONLY))


# The dSprites arm: beta_tc_vae (beta = 6) cleared the page's learning criterion on
# the dSprites stand-in at 20,000 steps, the last stage measured (MIG 0.035 +- 0.008
# against floors <= 0.008; docs/reproductions.md, the learning curve).
BF16_DSPRITES_STEPS = 20000


def bf16_study(name="mine_plugin_bf16", dataset="synthetic_squares",
               steps=BF16_STEPS):
  """float32 against variants of the oneDNN bfloat16 rewrite, at the same budget.

  dlib's beta_tc_vae (beta = 6) on `dataset` (64x64), 10 latents, Adam 1e-3,
  `steps` steps, BF16_SEEDS seeds of each of BF16_VARIANTS; MIG and DCI of the
  mean representation, and the reconstruction loss dlib records in train_results.
  Seed-major.
  """
  models = h.chainit([
      _fixed_model("beta_tc_vae_" + name, [
          ("model.model", "@beta_tc_vae()"), ("beta_tc_vae.beta", 6.),
          ("mixed_precision.bfloat16", bf16)] + (
              [("mixed_precision.float32_ops", float32_ops)] if float32_ops else []))
      for name, bf16, float32_ops in BF16_VARIANTS])
  configs = h.product([
      h.sweep("model.random_seed", h.categorical(list(range(BF16_SEEDS)))),
      models])
  return _mean_mig_dci_study(name, configs, dataset, steps)


def bf16_dsprites_study():
  """`bf16_study` on the dSprites stand-in for BF16_DSPRITES_STEPS steps."""
  return bf16_study("mine_plugin_bf16_dsprites", "dsprites_full",
                    BF16_DSPRITES_STEPS)


# The lambda-beta-VAE authors' protocol (Vu, Wan, Wei 2026; their public code,
# PAPERS.md): a beta-VAE pre-training, then a continuation from its checkpoint with a
# fresh Adam, lambda * L2 added (lambda = 0: the same continuation without it). Their
# 150k + 50k steps at Adam 1e-4: on squares scaled to what two CPU cores run in a
# session, on the dSprites stand-in kept (sweeps.LAMBDA_BETA_STEPS, 3 : 1 split), at
# Adam 1e-3 on both (the rate of the dSprites learning curve). Their architecture
# (dlib's conv encoder/decoder, 10 latents, batch 64); 32x32 squares use its 32x32
# version. The data sets, betas and seeds: sweeps.LAMBDA_BETA_DATASETS.
REPRODUCTION_BINDINGS = ["vae/AdamOptimizer.learning_rate = 0.001",
                      "model.eval_steps = 20"]


def lambda_beta_study():
  """beta-VAE pre-training, then lambda in {0, 8} from each pre-trained model
  (sweeps.lambda_beta_configs: pre-trainings first per data set). On dSprites
  (stand-in) beta 1 and 32. sweeps.LAMBDA_BETA_DATASETS: 5 seeds on squares, 3 on
  the dSprites stand-in.
  """
  configs = sweeps.lambda_beta_configs()
  return PluginStudy(
      "mine_plugin_lambda_beta", configs, _shared_config(),
      _postprocess_configs(["mean"]), _light_metrics("mig", "sap_score", "dci"),
      extra_bindings=REPRODUCTION_BINDINGS)


# The MINE Disentangle VAE's ablation (PAPERS.md): the model, the same model without
# the allocator (`allocator = "fixed"`), beta-VAE (beta = 4) and the vanilla VAE, with
# its metrics (BetaVAE score, DCI completeness) and MIG. Its CelebA data cannot be had
# here: 32x32 squares, then the dSprites stand-in; steps per data set:
# sweeps.ABLATION_STEPS.


def allocator_ablation_study():
  """attention_mine_vae with and without its allocator, beta-VAE and VAE; seed-major
  (sweeps.allocator_ablation_configs)."""
  configs = sweeps.allocator_ablation_configs()
  return PluginStudy(
      "mine_plugin_allocator_ablation", configs, _shared_config(),
      _postprocess_configs(["mean"]), _light_metrics("beta_vae_sklearn", "dci", "mig"),
      extra_bindings=REPRODUCTION_BINDINGS,
      model_files={"attention_mine_vae_fixed": "attention_mine_vae"})


# The MINE Disentangle VAE's own table (PAPERS.md): CelebA 64x64 (the official train
# partition; FID and LPIPS on the test partition, fid.gin/lpips.gin), its metrics
# (FID, LPIPS, BetaVAE score, DCI completeness) and its models: the vanilla VAE,
# beta-VAE (beta = 4), FactorVAE and InfoVAE as baselines, the model and its
# allocator ablation. dlib's shared settings (300k steps, batch 64, Adam 1e-4, 10
# latents, dlib's 64x64 conv encoder/decoder). Not run here: CelebA, the Inception
# graph and the AlexNet weights cannot be had offline (docs/reproductions.md).
CELEBA_SEEDS = 3
# The paper reports its allocator best at 10 factor partitions.
CELEBA_ATTENTION_FACTORS = 10
# FactorVAE: dlib's unsupervised_study_v1 settings (fc discriminator, its Adam);
# gamma = 10, the smallest of dlib's grid: the paper does not state its gamma.
CELEBA_FACTOR_VAE_GAMMA = 10.
CELEBA_METRICS = ("fid", "lpips", "beta_vae_sklearn", "dci")


def celeba_study():
  """The MINE Disentangle VAE's CelebA table: six models x CELEBA_SEEDS; seed-major."""
  attention = [("model.model", "@attention_mine_vae()"),
               ("attention_mine_vae.num_factors", CELEBA_ATTENTION_FACTORS)]
  models = (
      ("vae", [("model.model", "@vae()"), ("vae.beta", 1.)]),
      ("beta_vae", [("model.model", "@vae()"), ("vae.beta", 4.)]),
      ("factor_vae", [("model.model", "@factor_vae()"),
                      ("factor_vae.gamma", CELEBA_FACTOR_VAE_GAMMA),
                      ("discriminator.discriminator_fn", "@fc_discriminator")]),
      ("info_vae", [("model.model", "@info_vae()")]),
      ("attention_mine_vae", attention),
      ("attention_mine_vae_fixed", attention + [
          ("attention_mine_vae.allocator", "fixed"),
          ("attention_mine_vae.alpha", 0.), ("attention_mine_vae.gamma", 0.)]),
  )
  configs = []
  for seed in range(CELEBA_SEEDS):
    for name, bindings in models:
      config = dict([("dataset.name", "celeba"), ("model.random_seed", seed)] +
                    bindings)
      config["model.name"] = name
      configs.append(config)
  metrics = [gin_files.named_config("metric", name) for name in CELEBA_METRICS]
  return PluginStudy(
      "mine_plugin_celeba", configs, _shared_config(), _postprocess_configs(["mean"]),
      metrics, model_files={"info_vae": "info_vae",
                            "attention_mine_vae_fixed": "attention_mine_vae"})


def smoke_study():
  """Two 2-step models on dlib's dummy_data with dlib's own test configs."""
  models = h.chainit([_model_configs(sweeps.BETA_VAE, [1.]),
                      _model_configs(sweeps.BETA_TC_VAE, [2.])])
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
                                critic_settings_study(), bf16_study(),
                                bf16_dsprites_study(), lambda_beta_study(),
                                allocator_ablation_study(), celeba_study(),
                                smoke_study())}

reproduce.STUDIES.update(STUDIES)


def get_study(name):
  """A study of dlib's reproduce.STUDIES (the plugin's included) by name."""
  try:
    return reproduce.STUDIES[name]
  except KeyError:
    raise KeyError("Unknown study {!r}. Known studies: {}.".format(
        name, ", ".join(sorted(reproduce.STUDIES)))) from None

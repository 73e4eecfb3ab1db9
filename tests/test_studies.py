"""Tests for mine_plugin/config/studies.py: the grids, and dlib_reproduce running a study."""
import collections
import json
import os
import subprocess
import sys

import pytest

from disentanglement_lib.config import reproduce
from mine_plugin.config import gin_files
from mine_plugin.config import studies
from mine_plugin.config import sweeps
from mine_plugin.methods.unsupervised import critic_penalty
from mine_plugin.training import precision


def test_studies_are_registered_with_dlib_reproduce():
  for name in ("mine_plugin_v1", "mine_plugin_small", "mine_plugin_mi_constrained",
               "mine_plugin_smoke"):
    assert reproduce.STUDIES[name] is studies.STUDIES[name]
  # dlib's own studies are still there.
  assert "unsupervised_study_v1" in reproduce.STUDIES


def test_full_study_enumerates_datasets_models_grids_and_seeds():
  study = studies.STUDIES["mine_plugin_v1"]
  # 3 dlib baselines + 5 plugin configs, 6 hyperparameter values each.
  assert len(sweeps.ALL_MODELS) == 8
  assert len(study.config) == 3 * 8 * 6 * sweeps.NUM_SEEDS
  datasets = {c["dataset.name"] for c in study.config}
  assert datasets == {"synthetic_squares", "dsprites_full", "shapes3d"}
  names = {c["model.name"] for c in study.config}
  assert names == {"beta_vae", "beta_tc_vae", "factor_vae", "lambda_beta_vae",
                   "mine_tc_vae", "pairwise_mi_vae", "pairwise_mi_vae_mine",
                   "attention_mine_vae"}
  # Every (dataset, model, hyperparameter value) appears once per seed.
  keys = [tuple(sorted((k, v) for k, v in c.items() if k != "model.random_seed"))
          for c in study.config]
  assert all(keys.count(k) == sweeps.NUM_SEEDS for k in set(keys))
  # dlib's order (sweep.py): dataset, then model, then seed innermost.
  assert study.config[0] == {"dataset.name": "synthetic_squares",
                             "model.name": "beta_vae", "model.model": "@vae()",
                             "vae.beta": 1., "model.random_seed": 0}
  assert study.config[sweeps.NUM_SEEDS + 3] == {
      "dataset.name": "synthetic_squares", "model.name": "beta_vae",
      "model.model": "@vae()", "vae.beta": 2., "model.random_seed": 3}
  attention = [c for c in study.config if c["model.name"] == "attention_mine_vae"]
  assert {(c["dataset.name"], c["attention_mine_vae.num_factors"])
          for c in attention} == {("synthetic_squares", 3), ("dsprites_full", 5),
                                  ("shapes3d", 6)}
  factor = [c for c in study.config if c["model.name"] == "factor_vae"][0]
  assert factor["discriminator.discriminator_fn"] == "@fc_discriminator"
  # dlib's own full metric settings, both representations.
  assert study.get_postprocess_config_files() == [
      gin_files.step_config("postprocess", name) for name in ("mean", "sampled")]
  assert study.get_eval_config_files() == [
      gin_files.step_config("metric", name) for name in (
          "beta_vae_sklearn", "dci", "factor_vae_metric", "mig",
          "modularity_explicitness", "sap_score", "unsupervised")]


def test_dlib_baseline_bindings_use_dlib_models_on_shared_config():
  study = studies.STUDIES["mine_plugin_v1"]
  bindings, config_file = study.get_model_config(0)
  assert config_file.endswith(os.path.join("gin_configs", "shared.gin"))
  assert bindings == ["dataset.name = 'synthetic_squares'", "model.name = 'beta_vae'",
                      "model.model = @vae()", "vae.beta = 1.0",
                      "model.random_seed = 0"]


def test_plugin_model_bindings_include_its_gin_file():
  study = studies.STUDIES["mine_plugin_v1"]
  num = [c["model.name"] for c in study.config].index("lambda_beta_vae")
  model_file = os.path.join(str(gin_files.GIN_CONFIGS), "models",
                            "lambda_beta_vae.gin")
  bindings, _ = study.get_model_config(num)
  assert bindings[0] == "include '{}'".format(model_file)
  assert "lambda_beta_vae.beta = 1.0" in bindings


def test_swept_parameters_exist_in_the_plugin_model_configs():
  """Each plugin sweep names a parameter its own gin file binds (or its model takes)."""
  for sweep in sweeps.PLUGIN_MODELS:
    path = os.path.join(str(gin_files.GIN_CONFIGS), "models",
                        sweep.config + ".gin")
    with open(path) as f:  # every plugin sweep ships its gin file
      assert sweep.parameter in f.read(), (sweep.parameter, path)


def test_small_study_covers_the_comparisons():
  study = studies.STUDIES["mine_plugin_small"]
  pairs = [(c["model.name"], c.get("vae.beta", c.get("lambda_beta_vae.beta")))
           for c in study.config]
  for beta in studies.SMALL_BETAS:
    assert ("beta_vae", beta) in pairs and ("lambda_beta_vae", beta) in pairs
  names = {c["model.name"] for c in study.config}
  assert {m.name for m in sweeps.PLUGIN_MODELS} | {"beta_tc_vae"} <= names
  assert {c["dataset.name"] for c in study.config} == {"synthetic_squares"}
  bindings, _ = study.get_model_config(0)
  assert "model.training_steps = {}".format(studies.SMALL_TRAINING_STEPS) in bindings
  # The plugin's lighter metric configs; dlib's postprocessing.
  assert [os.path.relpath(p, str(gin_files.GIN_CONFIGS))
          for p in study.get_eval_config_files()] == [
              os.path.join("mine_plugin_small", "metric_configs", name + ".gin")
              for name in ("beta_vae_sklearn", "dci", "factor_vae_metric", "mig",
                           "modularity_explicitness", "sap_score")]
  assert study.get_postprocess_config_files() == studies.STUDIES[
      "mine_plugin_v1"].get_postprocess_config_files()


def test_unknown_model_num_and_study_name_are_explained():
  with pytest.raises(IndexError, match="has models 0..1, not --model_num=2"):
    studies.STUDIES["mine_plugin_smoke"].get_model_config(2)
  with pytest.raises(KeyError, match="mine_plugin_small"):
    studies.get_study("mine_plugin_smal")


def test_dlib_reproduce_runs_a_plugin_study(tmp_path):
  """dlib's unchanged console script finds the study and writes dlib's results."""
  dlib_reproduce = os.path.join(os.path.dirname(sys.executable), "dlib_reproduce")
  output = tmp_path / "out"
  completed = subprocess.run(
      [dlib_reproduce, "--study=mine_plugin_smoke", "--model_num=1",
       "--output_directory=" + str(output)], capture_output=True, text=True)
  assert completed.returncode == 0, completed.stderr[-3000:]
  result = output / "metrics" / "mean" / "mig" / "results" / "aggregate"
  with open(result / "evaluation.json") as f:
    record = json.load(f)
  assert record["train_config.model.name"] == "'beta_tc_vae'"
  assert record["train_config.model.model_num"] == "1"
  assert record["train_config.beta_tc_vae.beta"] == "2.0"
  assert 0. <= record["evaluation_results.discrete_mig"] <= 1.
  assert (output / "visualizations" / "traversals" / "traversals0.jpg").exists()


def test_mi_constrained_study_binds_the_papers_setting_and_each_estimator():
  study = studies.STUDIES["mine_plugin_mi_constrained"]
  assert len(study) == 11 * studies.MI_CONSTRAINED_SEEDS
  # pylint: disable=g-import-not-at-top,unused-import
  import gin
  # Registers dlib's training configurables (model, encoder, ...) with gin.
  from disentanglement_lib.methods.unsupervised import train
  # pylint: enable=g-import-not-at-top,unused-import
  seen = {}
  for model_num in range(len(study)):
    bindings, base = study.get_model_config(model_num)
    gin.clear_config()
    try:
      gin.parse_config_files_and_bindings([base], bindings)
      name = gin.query_parameter("model.name")
      assert gin.query_parameter("dataset.name") == "synthetic_squares_32"
      assert gin.query_parameter("encoder.num_latent") == 3
      assert gin.query_parameter("vae/AdamOptimizer.learning_rate") == 0.001
      assert gin.query_parameter("model.training_steps") == 3000
      model = str(gin.query_parameter("model.model"))
      estimator = None
      if model == "@pairwise_mi_vae()":
        assert gin.query_parameter("pairwise_mi_vae.lam") == 10.
        estimator = gin.query_parameter("pairwise_mi_vae.estimator")
        expected_beta = 4. if name == "pairwise_mi_vae_mine_beta4" else 1.
        try:
          beta = gin.query_parameter("pairwise_mi_vae.beta")
        except ValueError:
          beta = 1.  # unbound: the model's default
        assert beta == expected_beta, (model_num, beta)
      elif model == "@vae()":
        assert gin.query_parameter("vae.beta") == {
            "vae": 1., "beta_vae_2": 2., "beta_vae_4": 4.}[name]
      elif model == "@mine_tc_vae()":
        assert gin.query_parameter("mine_tc_vae.beta") == 6.
        estimator = gin.query_parameter("mine_tc_vae.estimator")
      if estimator not in (None, "mws"):
        # Every critic at the plugin's defaults (a model's own gin file, included
        # by its name, may not override them).
        prefix = model[1:-2]
        for key, value in [("inner_steps", critic_penalty.DEFAULT_INNER_STEPS),
                           ("warmup_steps", critic_penalty.DEFAULT_WARMUP_STEPS)]:
          try:
            bound = gin.query_parameter(prefix + "." + key)
          except ValueError:
            bound = value  # unbound: the model's default
          assert bound == value, (model_num, key, bound)
      seen.setdefault((name, model, estimator), set()).add(
          gin.query_parameter("model.random_seed"))
    finally:
      gin.clear_config()
  # Seed-major order: the first 7 models are seed 0; the vCLUB models, added
  # later, follow the first 35 so that those keep their numbers.
  assert study.config[6]["model.random_seed"] == 0
  assert study.config[7]["model.random_seed"] == 1
  assert study.config[34]["model.name"] == "mine_tc_vae_mine"
  assert [c["model.name"] for c in study.config[35:40]] == (
      ["pairwise_mi_vae_club"] * studies.MI_CONSTRAINED_SEEDS)
  # The widening controls, added after those (seed-major within the block).
  assert [c["model.name"] for c in study.config[40:43]] == [
      "beta_vae_2", "beta_vae_4", "pairwise_mi_vae_mine_beta4"]
  assert seen == {key: set(range(studies.MI_CONSTRAINED_SEEDS)) for key in [
      ("vae", "@vae()", None),
      ("pairwise_mi_vae_mws", "@pairwise_mi_vae()", "mws"),
      ("pairwise_mi_vae_density_ratio", "@pairwise_mi_vae()", "density_ratio"),
      ("pairwise_mi_vae_mine", "@pairwise_mi_vae()", "mine"),
      ("beta_tc_vae", "@beta_tc_vae()", None),
      ("mine_tc_vae_density_ratio", "@mine_tc_vae()", "density_ratio"),
      ("mine_tc_vae_mine", "@mine_tc_vae()", "mine"),
      ("pairwise_mi_vae_club", "@pairwise_mi_vae()", "club"),
      ("beta_vae_2", "@vae()", None),
      ("beta_vae_4", "@vae()", None),
      ("pairwise_mi_vae_mine_beta4", "@pairwise_mi_vae()", "mine"),
  ]}


@pytest.mark.parametrize("name,dataset,steps", [
    ("mine_plugin_bf16", "synthetic_squares", studies.BF16_STEPS),
    ("mine_plugin_bf16_dsprites", "dsprites_full", studies.BF16_DSPRITES_STEPS)])
def test_bf16_study_runs_every_variant_for_each_seed(name, dataset, steps):
  study = studies.STUDIES[name]
  assert len(study) == 4 * studies.BF16_SEEDS and studies.BF16_SEEDS >= 5
  runs = {}
  for model_num in range(len(study)):
    bindings, _ = study.get_model_config(model_num)
    settings = dict(b.split(" = ", 1) for b in bindings)
    assert settings["model.model"] == "@beta_tc_vae()"
    assert settings["dataset.name"] == "'{}'".format(dataset)
    assert settings["model.training_steps"] == str(steps)
    runs.setdefault(settings["model.random_seed"], []).append(
        (settings["model.name"], settings["mixed_precision.bfloat16"],
         settings.get("mixed_precision.float32_ops")))
  assert runs == {str(seed): [
      ("'beta_tc_vae_fp32'", "False", None),  # no float32_ops binding
      ("'beta_tc_vae_bf16'", "True", None),
      ("'beta_tc_vae_bf16_dense_fp32'", "True", str(precision.DENSE_LAYER_OPS)),
      ("'beta_tc_vae_bf16_conv_only'", "True", str(precision.CONVOLUTIONS_ONLY))]
      for seed in range(studies.BF16_SEEDS)}


def _settings(study, model_num):
  bindings, _ = study.get_model_config(model_num)
  return dict(b.split(" = ", 1) for b in bindings if " = " in b), bindings


def test_lambda_beta_study_continues_each_pretraining_with_both_lambdas():
  study = studies.STUDIES["mine_plugin_lambda_beta"]
  pretrainings, continuations = {}, {}
  for model_num in range(len(study)):
    settings, _ = _settings(study, model_num)
    key = (settings["dataset.name"], float(settings.get(
        "vae.beta", settings.get("lambda_beta_vae.beta"))),
           int(settings["model.random_seed"]))
    if settings["model.model"] == "@vae()":
      assert settings["model.training_steps"] == str(
          sweeps.LAMBDA_BETA_STEPS[key[0].strip("'")][0])
      pretrainings[key] = model_num
    else:
      assert settings["model.model"] == "@lambda_beta_vae()"
      assert settings["model.training_steps"] == str(
          sweeps.LAMBDA_BETA_STEPS[key[0].strip("'")][1])
      source = int(settings["warm_start.study_model"])
      # Its own pre-training, which comes earlier in a serial run.
      assert source < model_num and pretrainings[key] == source
      continuations.setdefault(key, []).append(float(settings[
          "lambda_beta_vae.lam"]))
  assert set(continuations) == set(pretrainings)
  assert all(sorted(l) == [0., 8.] for l in continuations.values())
  # 5 seeds x beta {1, 8, 32} on squares; 3 seeds x beta {1, 32} on dSprites.
  assert sorted({k[:2] for k in pretrainings}) == [
      ("'dsprites_full'", 1.), ("'dsprites_full'", 32.),
      ("'synthetic_squares_32'", 1.), ("'synthetic_squares_32'", 8.),
      ("'synthetic_squares_32'", 32.)]
  assert len(pretrainings) == 3 * 5 + 2 * 3
  assert len(study) == 3 * len(pretrainings)
  settings, _ = _settings(study, 0)
  assert settings["encoder.encoder_fn"] == "@conv_encoder_32"
  assert settings["vae/AdamOptimizer.learning_rate"] == "0.001"


def test_allocator_ablation_removes_only_the_allocator():
  study = studies.STUDIES["mine_plugin_allocator_ablation"]
  seen = {}
  for model_num in range(len(study)):
    settings, bindings = _settings(study, model_num)
    name = settings["model.name"].strip("'")
    dataset = settings["dataset.name"].strip("'")
    seen.setdefault((dataset, name), []).append(int(settings["model.random_seed"]))
    if name.startswith("attention_mine_vae"):
      # Both take the model's gin file (its lam, critic settings) ...
      assert bindings[0] == "include '{}'".format(
          studies.model_config_file("attention_mine_vae"))
      assert settings["attention_mine_vae.num_factors"] == str(
          sweeps.NUM_FACTORS[dataset])
      # ... and the ablation differs only in the allocator and its two weights.
      if name == "attention_mine_vae_fixed":
        assert settings["attention_mine_vae.allocator"] == "'fixed'"
        assert settings["attention_mine_vae.alpha"] == "0.0"
        assert settings["attention_mine_vae.gamma"] == "0.0"
        # Every other binding as the full model's of the same seed and data.
        full, _ = _settings(study, model_num - 1)
        assert full["model.name"] == "'attention_mine_vae'"
        changed = {k for k in set(full) | set(settings)
                   if full.get(k) != settings.get(k)}
        assert changed == {"model.name", "attention_mine_vae.allocator",
                           "attention_mine_vae.alpha", "attention_mine_vae.gamma"}
      else:
        assert "attention_mine_vae.allocator" not in settings
    elif name == "beta_vae":
      assert settings["vae.beta"] == "4.0"
  assert {k: sorted(v) for k, v in seen.items()} == {
      (d, m): list(range(n)) for d, n in (("synthetic_squares_32", 5),
                                          ("dsprites_full", 3))
      for m in ("attention_mine_vae", "attention_mine_vae_fixed", "beta_vae",
                "vae")}


def test_factor_counts_of_the_sweeps_agree_with_the_data_sets():
  # The studies are built before any data file is read, so the counts are a table;
  # here they are checked against each data set's own facts.
  from disentanglement_lib.data.ground_truth import named_data  # pylint: disable=g-import-not-at-top
  from mine_plugin.data import dataset_files  # pylint: disable=g-import-not-at-top
  from mine_plugin.data.ground_truth import dsprites  # pylint: disable=g-import-not-at-top
  expected = {
      "dsprites_full": len(dsprites.LATENT_FACTOR_INDICES["dsprites_full"]),
      "shapes3d": len(dataset_files.SHAPES3D_FACTOR_NAMES),
  }
  for name in ("synthetic_squares", "synthetic_squares_32", "dummy_data"):
    expected[name] = named_data.get_named_ground_truth_data(name).num_factors
  assert sweeps.NUM_FACTORS == expected


def test_celeba_study_has_the_papers_models_metrics_and_parses():
  import gin  # pylint: disable=g-import-not-at-top
  from disentanglement_lib.methods.unsupervised import train  # pylint: disable=g-import-not-at-top,unused-import
  study = studies.STUDIES["mine_plugin_celeba"]
  assert reproduce.STUDIES["mine_plugin_celeba"] is study
  seen = {}
  for model_num in range(len(study)):
    settings, bindings = _settings(study, model_num)
    assert settings["dataset.name"] == "'celeba'"
    name = settings["model.name"].strip("'")
    seen.setdefault(name, []).append(int(settings["model.random_seed"]))
    gin.clear_config()
    try:
      gin.parse_config_files_and_bindings([study.get_model_config(model_num)[1]],
                                          bindings)
      model = gin.query_parameter("model.model")
    finally:
      gin.clear_config()
    assert str(model) == {"vae": "@vae()", "beta_vae": "@vae()",
                          "factor_vae": "@factor_vae()", "info_vae": "@info_vae()",
                          "attention_mine_vae": "@attention_mine_vae()",
                          "attention_mine_vae_fixed": "@attention_mine_vae()"}[name]
    if name == "beta_vae":
      assert settings["vae.beta"] == "4.0"
    if name.startswith("attention_mine_vae"):
      assert settings["attention_mine_vae.num_factors"] == "10"
      assert (settings.get("attention_mine_vae.allocator") == "'fixed'") == (
          name.endswith("fixed"))
  assert seen == {name: [0, 1, 2] for name in (
      "vae", "beta_vae", "factor_vae", "info_vae", "attention_mine_vae",
      "attention_mine_vae_fixed")}
  assert [os.path.basename(p) for p in study.get_eval_config_files()] == [
      "fid.gin", "lpips.gin", "beta_vae_sklearn.gin", "dci.gin"]


def test_model_counts_of_the_reproductions_without_tensorflow_are_the_studies():
  # The reproductions page counts a rerun's models from sweeps (no TensorFlow).
  for name in ("mine_plugin_lambda_beta", "mine_plugin_allocator_ablation"):
    counts = collections.Counter(
        config["dataset.name"] for config in studies.STUDIES[name].config)
    assert sweeps.models_per_dataset(name) == dict(counts)
  with pytest.raises(ValueError, match="No model configs for study 'mine_plugin_v1'"):
    sweeps.models_per_dataset("mine_plugin_v1")

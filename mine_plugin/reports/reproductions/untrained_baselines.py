"""What a model that learned nothing scores: the floors of the learning criterion.

A verdict needs the reference model's MIG or DCI clearly above two floors, scored with
its metric configs and seeds: the reference model trained for 1 step (TPUEstimator
refuses 0) and N(0, I) noise codes (a `RandomState(seed)` per model seed). `measure`
writes docs/reproductions/<section>/untrained.json (dlib_aggregate_results' format)
and noise.json ([{"dataset", "seed", "metric", "evaluation_seed", "num_latents",
"evaluation_results"}], one per data set, seed and metric).
"""
import collections
import json
import os
import shutil

UNTRAINED_FILE = "untrained.json"
NOISE_FILE = "noise.json"
# The criterion's metrics (dlib config names): every reproduction study computes both.
CRITERION_METRICS = ("mig", "dci")
# Seeds 0..NUM_SEEDS-1 of each study's reference model.
NUM_SEEDS = 3
UNTRAINED_STEPS = 1

# One reproduction section's reference model in its study's configs: model.name and
# bindings that select it (each data set of the study, seeds 0..NUM_SEEDS-1).
Reference = collections.namedtuple("Reference", ["section", "study", "model",
                                                 "bindings"])
# dlib's default latent size (gin_configs/shared.gin), where a study binds none.
DEFAULT_NUM_LATENTS = 10
REFERENCES = (
    Reference("mi_constrained", "mine_plugin_mi_constrained", "vae", ()),
    # The continuations start from the pre-training: its untrained network is the
    # continuation's too.
    Reference("lambda_beta", "mine_plugin_lambda_beta", "beta_vae_pretraining",
              (("vae.beta", 1.),)),
    Reference("allocator_ablation", "mine_plugin_allocator_ablation", "vae",
              (("vae.beta", 1.),)),
)


def reference_models(study, reference, num_seeds=NUM_SEEDS):
  """The study's model numbers of `reference` with seeds below num_seeds."""
  return [num for num, config in enumerate(study.config)
          if config.get("model.name") == reference.model and
          config.get("model.random_seed", 0) < num_seeds and
          all(config.get(k) == v for k, v in reference.bindings)]


def _bound(study, model_num, name):
  """The value of gin parameter `name` for one model: its config, else the study's."""
  config = study.config[model_num]
  if name in config:
    return config[name]
  for binding in reversed(study.extra_bindings):
    key, _, value = binding.partition("=")
    if key.strip() == name:
      return value.strip().strip("'\"")
  return None


def noise_codes(seed, num_latents):
  """A representation_function whose codes are N(0, I) noise, blind to the input."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  random_state = np.random.RandomState(seed)

  def representation_function(observations):
    return random_state.normal(size=(len(observations), num_latents))

  return representation_function


def score_noise(metric_config, dataset, evaluation_seed, seed, num_latents):
  """dlib's metric of `metric_config` on noise codes: its evaluation results dict.

  The config's own settings (sample sizes, discretizer) with dataset.name bound to
  `dataset` and the metric's random state RandomState(evaluation_seed), as
  dlib's `evaluate.evaluate` builds it.
  """
  # pylint: disable=g-import-not-at-top
  import gin.tf
  import numpy as np
  from disentanglement_lib.data.ground_truth import named_data
  from disentanglement_lib.evaluation import evaluate  # pylint: disable=unused-import
  # pylint: enable=g-import-not-at-top
  gin.clear_config()
  gin.parse_config_files_and_bindings(
      [metric_config], ["dataset.name = '{}'".format(dataset)])
  metric_fn = gin.query_parameter("evaluation.evaluation_fn").scoped_configurable_fn
  try:
    results = metric_fn(named_data.get_named_ground_truth_data(),
                        noise_codes(seed, num_latents),
                        random_state=np.random.RandomState(evaluation_seed))
  finally:
    gin.clear_config()
  return {k: float(v) for k, v in results.items() if np.ndim(v) == 0}


def _evaluation_seeds(untrained_results):
  """{metric name: dlib_reproduce's evaluation seed} from the untrained records."""
  import pandas as pd  # pylint: disable=g-import-not-at-top
  frame = pd.read_json(untrained_results)
  seeds = {}
  for name, seed in zip(frame["evaluation_config.evaluation.name"],
                        frame["evaluation_config.evaluation.random_seed"]):
    seeds.setdefault(str(name).strip("'\""), set()).add(int(seed))
  if any(len(s) != 1 for s in seeds.values()):
    raise ValueError("{}: a metric has several evaluation seeds ({}); dlib_reproduce "
                     "gives every model of a study the same.".format(
                         untrained_results, seeds))
  return {name: s.pop() for name, s in seeds.items()}


def measure(docs_dir, runs_dir, references=REFERENCES, num_seeds=NUM_SEEDS,
            stream=None):
  """Trains the untrained encoders, scores noise, writes both under docs_dir.

  Args:
    docs_dir: the docs/ folder; writes docs_dir/reproductions/<section>/{untrained,
      noise}.json.
    runs_dir: where the studies' 1-step models are run (runs_dir/<study>/);
      finished ones are skipped when rerun, as by the study runner.
    references: the sections' reference models.
    num_seeds: seeds 0..num_seeds-1 of each.
    stream: progress output (default standard output).

  Returns:
    The paths written.
  """
  # pylint: disable=g-import-not-at-top
  from mine_plugin import pipeline
  from mine_plugin import runner
  from mine_plugin.config import studies
  # pylint: enable=g-import-not-at-top
  written = []
  for reference in references:
    study = studies.get_study(reference.study)
    model_nums = reference_models(study, reference, num_seeds)
    if not model_nums:
      raise ValueError("Study {!r} has no model {!r} with {} and seeds < {}.".format(
          reference.study, reference.model, reference.bindings, num_seeds))
    output = os.path.join(runs_dir, reference.study)
    outcomes = runner.run_study(
        reference.study, output, model_nums=model_nums, backend="serial",
        gin_bindings=["model.training_steps = {}".format(UNTRAINED_STEPS)],
        visualize=False, stream=stream)
    failed = [o.model_num for o in outcomes if o.status == "failed"]
    if failed:
      raise RuntimeError("Untrained models {} of {} failed; see {}/<model>/log.txt "
                         "and rerun.".format(failed, reference.study, output))
    section_dir = os.path.join(docs_dir, "reproductions", reference.section)
    os.makedirs(section_dir, exist_ok=True)
    untrained = os.path.join(section_dir, UNTRAINED_FILE)
    shutil.copyfile(os.path.join(output, runner.AGGREGATE), untrained)
    evaluation_seeds = _evaluation_seeds(untrained)
    metric_configs = {pipeline.config_name(c): c
                      for c in study.get_eval_config_files()}
    noise = []
    for model_num in model_nums:
      dataset = _bound(study, model_num, "dataset.name")
      seed = int(study.config[model_num]["model.random_seed"])
      num_latents = int(_bound(study, model_num, "encoder.num_latent") or
                        DEFAULT_NUM_LATENTS)
      for metric in CRITERION_METRICS:
        results = score_noise(metric_configs[metric], dataset, evaluation_seeds[metric], seed, num_latents)
        noise.append({"dataset": dataset, "seed": seed, "metric": metric,
                      "evaluation_seed": evaluation_seeds[metric],
                      "num_latents": num_latents, "evaluation_results": results})
    noise_path = os.path.join(section_dir, NOISE_FILE)
    with open(noise_path, "w") as f:
      json.dump(noise, f, indent=1)
    written += [untrained, noise_path]
  return written

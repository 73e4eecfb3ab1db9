"""Training speed of mine_plugin's models against dlib's beta_tc_vae.

Every model is built from gin_configs/shared.gin + gin_configs/models/<name>.gin
(same encoder/decoder, batch size and optimizers), trains on one fixed batch of the
same dataset, and is timed on its training op alone (no input pipeline, hooks or
summaries). Models are timed in interleaved rounds -- every model once per round --
so that load from other processes affects all of them alike. Per model it prints the
median and the minimum over rounds of the mean step time, and its ratio to the
baseline as the median over rounds of (its time / the baseline's time in the same
round).

  python scripts/benchmark_models.py [--steps 200] [--rounds 5] [--batch_size 64]
                                     [--dataset synthetic_squares]

With --study_models STUDY:N,M,... (repeatable) it times those models of a study
instead, each with the study's own bindings (architecture, data set, settings), and
the first one named is the baseline; e.g. the critic settings against the closed form:

  python scripts/benchmark_models.py --study_models mine_plugin_mi_constrained:1 \
      --study_models mine_plugin_critic_settings:0-5

Prints one row per model: ms/step (median and minimum over rounds), steps/s and
the ratio of its step time to dlib's beta_tc_vae; for a model with a critic
tracking (critic_tracking.CriticTrackingHook), the time of one reading of its
reference (median of --readings, timed after all steps, model after model, so
not interleaved as the steps are) and what readings every
critic_tracking.DEFAULT_EVERY_N_STEPS steps add to its op's time.
"""
import argparse
import statistics
import time

from mine_plugin.config import gin_files
import numpy as np

BASELINE = "beta_tc_vae"
MODELS = (BASELINE, "beta_vae", "lambda_beta_vae", "pairwise_mi_vae", "mine_tc_vae",
          "pairwise_mi_vae_mine", "pairwise_mi_vae_density_ratio",
          "pairwise_mi_vae_club", "attention_mine_vae")


def build(name, observations, bindings=(), session_config=None, config_files=None):
  """Graph, session and train op of one configured model on a fixed batch.

  The model is gin_configs/shared.gin + models/<name>.gin + `bindings` (or
  `config_files` + `bindings`); the session gets `session_config` (a tf
  ConfigProto, e.g. the bf16 rewrite).
  """
  import gin  # pylint: disable=g-import-not-at-top
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  gin.clear_config()
  if config_files is None:
    config_files = [gin_files.plugin_config("shared.gin"),
                    gin_files.plugin_config("models/" + name + ".gin")]
  gin.parse_config_files_and_bindings(config_files, list(bindings))
  model = gin.query_parameter("model.model").scoped_configurable_fn()
  graph = tf.Graph()
  with graph.as_default():
    tf.set_random_seed(0)
    tf.train.get_or_create_global_step()
    spec = model.model_fn(tf.constant(observations), None,
                          tf.estimator.ModeKeys.TRAIN,
                          {"batch_size": len(observations)})
    session = tf.Session(graph=graph, config=session_config)
    session.run(tf.global_variables_initializer())
  gin.clear_config()
  return session, spec.train_op


def tracking_reference(session):
  """The tensor of a critic tracking's reference in the session's graph, or None.

  A critic model logs it as the summary `<name>_reference` (penalized_vae).
  """
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  for summary in session.graph.get_collection(tf.GraphKeys.SUMMARIES):
    if summary.op.name.endswith("_reference"):
      return summary.op.inputs[1]
  return None


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--steps", type=int, default=200,
                      help="timed steps per model, split over the rounds")
  parser.add_argument("--rounds", type=int, default=10)
  parser.add_argument("--warmup", type=int, default=10)
  parser.add_argument("--batch_size", type=int, default=64)
  parser.add_argument("--dataset", default="synthetic_squares")
  parser.add_argument("--models", nargs="+", default=list(MODELS),
                      help="names of gin_configs/models/*.gin; {} is always "
                           "included as the baseline".format(BASELINE))
  parser.add_argument("--readings", type=int, default=3,
                      help="timed readings of each critic tracking's reference")
  parser.add_argument("--study_models", action="append", default=[],
                      help="STUDY:N,M-K: time these models of a study with its "
                           "bindings; the first is the baseline")
  args = parser.parse_args()
  names = [BASELINE] + [n for n in args.models if n != BASELINE]
  study_models = {}
  for spec in args.study_models:
    study_name, _, numbers = spec.partition(":")
    from mine_plugin.config import studies  # pylint: disable=g-import-not-at-top
    from mine_plugin.runner import cli  # pylint: disable=g-import-not-at-top
    study = studies.get_study(study_name)
    for number in cli.parse_model_nums(numbers):
      bindings, base = study.get_model_config(number)
      model_name = study.config[number]["model.name"]
      study_models["{}:{}".format(model_name, number)] = ([base], bindings)
  if study_models:
    names = list(study_models)

  # pylint: disable=g-import-not-at-top,unused-import
  import gin
  from disentanglement_lib.data.ground_truth import named_data
  # Registers dlib's and the plugin's model configurables with gin.
  from disentanglement_lib.methods.unsupervised import train
  # pylint: enable=g-import-not-at-top,unused-import
  if study_models:
    files, bindings = next(iter(study_models.values()))
    gin.parse_config_files_and_bindings(files, bindings)
  else:
    gin.parse_config_files_and_bindings(
        [], ["dataset.name = {!r}".format(args.dataset)])
  data = named_data.get_named_ground_truth_data()
  gin.clear_config()
  observations = data.sample_observations(
      args.batch_size, np.random.RandomState(0)).astype(np.float32)

  built, references = {}, {}
  for name in names:
    files, bindings = study_models.get(name, (None, ()))
    built[name] = build(name, observations, bindings, config_files=files)
    references[name] = tracking_reference(built[name][0])
  baseline = names[0]
  for session, train_op in built.values():
    for _ in range(args.warmup):
      session.run(train_op)

  per_round = max(1, args.steps // args.rounds)
  times = {name: [] for name in names}
  for _ in range(args.rounds):
    for name in names:
      session, train_op = built[name]
      start = time.perf_counter()
      for _ in range(per_round):
        session.run(train_op)
      times[name].append((time.perf_counter() - start) / per_round)

  step = {name: statistics.median(values) for name, values in times.items()}
  ratio = {name: statistics.median(t / b for t, b in zip(times[name], times[baseline]))
           for name in names}
  print("dataset {}, batch {}, {} rounds x {} steps per model (interleaved)".format(
      "of each study's bindings" if study_models else args.dataset, args.batch_size, args.rounds, per_round))
  print("{:<26} {:>13} {:>13} {:>9} {:>16}".format(
      "model", "median ms", "min ms", "steps/s", "x " + baseline))
  for name in names:
    print("{:<26} {:>13.1f} {:>13.1f} {:>9.2f} {:>16.3f}".format(
        name, 1e3 * step[name], 1e3 * min(times[name]), 1. / step[name],
        ratio[name]))
  from mine_plugin.methods.shared import critic_tracking  # pylint: disable=g-import-not-at-top
  interval = critic_tracking.DEFAULT_EVERY_N_STEPS
  for name in names:
    if references[name] is None or args.readings < 1:
      continue
    session = built[name][0]
    session.run(references[name])  # warm-up
    readings = []
    for _ in range(args.readings):
      start = time.perf_counter()
      session.run(references[name])
      readings.append(time.perf_counter() - start)
    reading = statistics.median(readings)
    print("{}: one reading of the critic tracking's reference {:.2f} s (median of "
          "{}, timed after the steps) = {:.0f} training steps; a reading every {} "
          "steps (the default critic_tracking.every_n_steps) adds {:.0f} % to the "
          "op's time".format(
              name, reading, args.readings, reading / step[name], interval,
              100. * reading / (interval * step[name])))


if __name__ == "__main__":
  main()

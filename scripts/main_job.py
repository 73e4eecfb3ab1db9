"""The main job: train one model with dlib, postprocess, evaluate with MIG and DCI.

Runs dlib's train -> postprocess -> evaluate chain (`pipeline.run_pipeline`: the
chain of dlib_reproduce and of the study runner's models, in a fresh process) on
the plugin's embedded synthetic-squares dataset by default, then prints the scores
and where every result lies. Usage:

    .venv/bin/python scripts/main_job.py [--model lambda_beta_vae] [--steps 2000]
    .venv/bin/python scripts/main_job.py --dataset dsprites_full --make_standin_data

Data files are read from $DISENTANGLEMENT_LIB_DATA (default here: data/ of the
checkout).
"""
import argparse
import datetime
import os
import sys
import time

from mine_plugin import pipeline
from mine_plugin.data import dataset_files
from mine_plugin.data import standin_data
from mine_plugin.config import gin_files


def parse_args(argv):
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--model", default="lambda_beta_vae",
                      help="a config of gin_configs/models/ (without .gin)")
  parser.add_argument("--dataset", default="synthetic_squares",
                      help="dlib dataset.name, e.g. synthetic_squares, "
                           "dsprites_full, shapes3d")
  parser.add_argument("--steps", type=int, default=2000,
                      help="training steps (dlib's studies use 300000)")
  parser.add_argument("--metrics", default="mig,dci",
                      help="comma-separated names of dlib's unsupervised_study_v1 "
                           "metric configs (mig, dci, sap_score, ...)")
  parser.add_argument("--model_dir", default=None,
                      help="new output directory (default: runs/<model>-<time>)")
  parser.add_argument("--make_standin_data", action="store_true",
                      help="for dsprites_*/shapes3d: if the data file is missing, "
                           "write a PROCEDURAL STAND-IN first (never replaces a file)")
  parser.add_argument("--gin_bindings", action="append", default=[],
                      help="extra gin binding for dlib_train (repeatable)")
  return parser.parse_args(argv)


def existing_data_file(dataset):
  """The data file `dataset` reads if one exists, else None (also for no file)."""
  try:
    paths = dataset_files.dataset_files(dataset)
  except ValueError:  # A dlib data set whose files only dlib's loader knows.
    return None
  return next((path for path in paths if os.path.exists(path)), None)


def prepare_data(dataset, make_standin):
  """Points dlib at data/ of the checkout by default; writes a stand-in if asked."""
  if dataset_files.DATA_ENV not in os.environ:
    os.environ[dataset_files.DATA_ENV] = os.path.abspath("data")
  if not make_standin:
    return
  try:
    data_set = dataset_files.file_data_set(dataset)
  except ValueError:  # A dlib data set whose files only dlib's loader knows.
    return
  if data_set is None or existing_data_file(dataset) is not None:
    return
  if data_set not in standin_data.WRITERS:
    raise SystemExit(
        "--make_standin_data: there is no stand-in for {} (stand-ins exist for {}); "
        "its files must be the real ones: {}".format(
            dataset, ", ".join(sorted(standin_data.WRITERS)),
            ", ".join(dataset_files.dataset_files(dataset))))
  print("== {} is missing: writing a PROCEDURAL STAND-IN (not the real data set) "
        "under {}".format(dataset_files.dataset_files(dataset)[0], os.environ[dataset_files.DATA_ENV]),
        flush=True)
  standin_data.WRITERS[data_set]()


def main(argv=None):
  args = parse_args(argv)
  prepare_data(args.dataset, args.make_standin_data)
  model_config = gin_files.plugin_config("models/{}.gin".format(args.model))
  model_dir = args.model_dir or os.path.join(
      "runs", "{}-{}-{}".format(args.model, args.dataset,
                                datetime.datetime.now().strftime("%Y%m%d-%H%M%S")))
  bindings = ["dataset.name='{}'".format(args.dataset),
              "model.training_steps={}".format(args.steps)] + args.gin_bindings
  print("== Training {} on {} for {} steps with dlib's train -> {}\n"
        "   (progress: tail -f {})".format(
            args.model, args.dataset, args.steps, model_dir,
            os.path.join(model_dir, pipeline.LOG)), flush=True)
  start = time.time()
  result = pipeline.run_pipeline(
      model_dir, [gin_files.plugin_config("shared.gin"), model_config], bindings,
      postprocess=("mean",), metrics=tuple(args.metrics.split(",")),
      progress=sys.stdout)
  print("== Done in {:.0f} s. Scores of the mean representation:".format(
      time.time() - start))
  for metric, values in result.scores["mean"].items():
    for key, value in values.items():
      if isinstance(value, (int, float)):
        print("   {:<5} {:<32} {:.4f}".format(metric, key, value))
  path = existing_data_file(args.dataset)
  if path is not None and dataset_files.is_standin(path):
    print("== NOTE: {} is a PROCEDURAL STAND-IN, not the real data set: these "
          "scores do not compare with published ones.".format(path))
  print("== Results (dlib's layout):")
  print("   trained model, TF-Hub module: {}".format(
      os.path.join(model_dir, "model", "tfhub")))
  for path in result.result_files:
    print("   {}".format(path))
  print("   the command and its output:  {}".format(
      os.path.join(model_dir, pipeline.LOG)))
  return 0


if __name__ == "__main__":
  sys.exit(main())

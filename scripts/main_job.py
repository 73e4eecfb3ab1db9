"""The main job: train one model with dlib_train, postprocess, evaluate with MIG and DCI.

Runs dlib's own console scripts (see mine_plugin/pipeline.py) on the plugin's
embedded synthetic-squares dataset by default, then prints the scores and where
every result lies. Usage:

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
from mine_plugin.data import standin_data

# Data sets read from files, and the writer of their procedural stand-in.
_FILE_DATASETS = {
    "dsprites_full": (standin_data.dsprites_path, standin_data.write_dsprites),
    "dsprites_noshape": (standin_data.dsprites_path, standin_data.write_dsprites),
    "color_dsprites": (standin_data.dsprites_path, standin_data.write_dsprites),
    "noisy_dsprites": (standin_data.dsprites_path, standin_data.write_dsprites),
    "shapes3d": (standin_data.shapes3d_npz_path, standin_data.write_shapes3d),
}


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
                      help="comma-separated configs of gin_configs/metrics/")
  parser.add_argument("--model_dir", default=None,
                      help="new output directory (default: runs/<model>-<time>)")
  parser.add_argument("--make_standin_data", action="store_true",
                      help="for dsprites_*/shapes3d: if the data file is missing, "
                           "write a PROCEDURAL STAND-IN first (never replaces a file)")
  parser.add_argument("--gin_bindings", action="append", default=[],
                      help="extra gin binding for dlib_train (repeatable)")
  return parser.parse_args(argv)


def prepare_data(dataset, make_standin):
  """Points dlib at data/ of the checkout by default; writes a stand-in if asked."""
  if "DISENTANGLEMENT_LIB_DATA" not in os.environ:
    os.environ["DISENTANGLEMENT_LIB_DATA"] = os.path.abspath("data")
  if dataset not in _FILE_DATASETS or not make_standin:
    return
  path_fn, write_fn = _FILE_DATASETS[dataset]
  if os.path.exists(path_fn()):
    return
  print("== {} is missing: writing a PROCEDURAL STAND-IN (not the real data set) "
        "under {}".format(path_fn(), os.environ["DISENTANGLEMENT_LIB_DATA"]),
        flush=True)
  write_fn()


def main(argv=None):
  args = parse_args(argv)
  prepare_data(args.dataset, args.make_standin_data)
  model_config = pipeline.gin_config("models/{}.gin".format(args.model))
  model_dir = args.model_dir or os.path.join(
      "runs", "{}-{}-{}".format(args.model, args.dataset,
                                datetime.datetime.now().strftime("%Y%m%d-%H%M%S")))
  bindings = ["dataset.name='{}'".format(args.dataset),
              "model.training_steps={}".format(args.steps)] + args.gin_bindings
  print("== Training {} on {} for {} steps with dlib_train -> {}\n"
        "   (progress: tail -f {})".format(
            args.model, args.dataset, args.steps, model_dir,
            os.path.join(model_dir, "pipeline.log")), flush=True)
  start = time.time()
  result = pipeline.run_pipeline(
      model_dir, [pipeline.gin_config("shared.gin"), model_config], bindings,
      postprocess=("mean",), metrics=tuple(args.metrics.split(",")))
  print("== Done in {:.0f} s. Scores of the mean representation:".format(
      time.time() - start))
  for metric, values in result.scores["mean"].items():
    for key, value in values.items():
      if isinstance(value, (int, float)):
        print("   {:<5} {:<32} {:.4f}".format(metric, key, value))
  if args.dataset in _FILE_DATASETS:
    path = _FILE_DATASETS[args.dataset][0]()
    if os.path.exists(path) and standin_data.is_standin(path):
      print("== NOTE: {} is a PROCEDURAL STAND-IN, not the real data set: these "
            "scores do not compare with published ones.".format(path))
  print("== Results (dlib's layout):")
  print("   trained model, TF-Hub module: {}".format(
      os.path.join(model_dir, "model", "tfhub")))
  for path in result.result_files:
    print("   {}".format(path))
  print("   commands and their output:   {}".format(
      os.path.join(model_dir, "pipeline.log")))
  return 0


if __name__ == "__main__":
  sys.exit(main())

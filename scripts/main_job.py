"""The main job: train one model with dlib_train, postprocess, evaluate with MIG and DCI.

Runs dlib's own console scripts (see mine_plugin/pipeline.py) on the plugin's
embedded synthetic-squares dataset by default, then prints the scores and where
every result lies. Usage:

    .venv/bin/python scripts/main_job.py [--model lambda_beta_vae] [--steps 2000]
"""
import argparse
import datetime
import os
import sys
import time

from mine_plugin import pipeline


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
  parser.add_argument("--gin_bindings", action="append", default=[],
                      help="extra gin binding for dlib_train (repeatable)")
  return parser.parse_args(argv)


def main(argv=None):
  args = parse_args(argv)
  model_config = pipeline.gin_config("models/{}.gin".format(args.model))
  model_dir = args.model_dir or os.path.join(
      "runs", "{}-{}-{}".format(args.model, args.dataset,
                                datetime.datetime.now().strftime("%Y%m%d-%H%M%S")))
  bindings = ["dataset.name='{}'".format(args.dataset),
              "model.training_steps={}".format(args.steps)] + args.gin_bindings
  print("== Training {} on {} for {} steps with dlib_train -> {}".format(
      args.model, args.dataset, args.steps, model_dir), flush=True)
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

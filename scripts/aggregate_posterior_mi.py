"""Pairwise MI of trained models' aggregate posteriors: long-trained critics vs MWS.

    .venv/bin/python scripts/aggregate_posterior_mi.py \
        runs/mine_plugin_mi_constrained/0 runs/mine_plugin_mi_constrained/1 \
        [--num_samples 40000] [--steps 3000] [--output mi.json]

Each argument is a dlib_reproduce model directory (holding model/) or dlib_train's
--model_dir. The data set is the one the model was trained on (its
train_config.json). Prints, per model, sum_{i != j} I(z_i; z_j) measured by a critic
per pair on many samples of q(z), and the MWS estimate of the same sum at batch sizes
64 and 1024 (see mine_plugin/evaluation/posterior_mi.py for why they differ).

These are instruments to compare, not the measurement: a critic trained on samples
of q(z) is fooled by encoders trained against a critic of the same kind and reads
several-fold below the real value. The measurement is the `latent_dependence` metric
(exact on noiseless squares; README, "The dependence between latents").
"""
import argparse
import json
import os
import sys

import gin
from mine_plugin.evaluation import posterior_mi


def _trained_dir(path):
  return os.path.join(path, "model") if os.path.isdir(
      os.path.join(path, "model", "tfhub")) else path


def _dataset_name(trained_dir):
  path = os.path.join(trained_dir, "results", "json", "train_config.json")
  try:
    with open(path) as f:
      return json.load(f)["dataset.name"].strip("'\"")
  except (OSError, KeyError, ValueError) as error:
    raise SystemExit("Cannot read dataset.name from {}: {}. Pass a directory that "
                     "dlib_train wrote.".format(path, error)) from None


def main(argv):
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("model_dirs", nargs="+")
  parser.add_argument("--num_samples", type=int, default=40000)
  parser.add_argument("--steps", type=int, default=3000,
                      help="critic updates per pair")
  parser.add_argument("--output", default=None, help="also write the results here")
  args = parser.parse_args(argv)
  # pylint: disable=g-import-not-at-top
  from disentanglement_lib.data.ground_truth import named_data
  results = {}
  print("{:<50} {:>12} {:>10} {:>12}".format("model", "critic total", "MWS M=64",
                                             "MWS M=1024"))
  for model_dir in args.model_dirs:
    trained = _trained_dir(model_dir)
    gin.parse_config_files_and_bindings(
        [], ["dataset.name = {!r}".format(_dataset_name(trained))])
    data = named_data.get_named_ground_truth_data()
    gin.clear_config()
    measured = posterior_mi.measure(os.path.join(trained, "tfhub"), data,
                                    args.num_samples, steps=args.steps)
    measured["pairs"] = {"{},{}".format(*k): v for k, v in measured["pairs"].items()}
    results[model_dir] = measured
    print("{:<50} {:>12.3f} {:>10.3f} {:>12.3f}".format(
        model_dir[-50:], measured["critic_total"], measured["mws_total_64"],
        measured["mws_total_1024"]))
  if args.output:
    with open(args.output, "w") as f:
      json.dump(results, f, indent=2)
  return 0


if __name__ == "__main__":
  sys.exit(main(sys.argv[1:]))

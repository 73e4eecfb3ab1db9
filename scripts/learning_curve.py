"""The dSprites learning curve: how long dlib's beta-VAE and beta-TCVAE need to learn.

    DISENTANGLEMENT_LIB_DATA=$PWD/data .venv/bin/python scripts/learning_curve.py

Trains dlib's `vae` (beta = 16, the lambda-beta-VAE authors' best on dSprites) and
`beta_tc_vae` (beta = 6), seeds 0 and 1, with the reproduction studies' settings
(gin_configs/shared.gin, Adam 1e-3, batch 64), through STAGES steps with resume,
and scores MIG and DCI of the mean representation after each stage
(mine_plugin/runner/learning_curve.py). The stages run stage by stage across the
models, so a curve cut short covers every model; rerunning continues it. Writes
docs/reproductions/learning_curve/results.json after each stage.
"""
import argparse
import json
import os
import sys

from mine_plugin.config import studies
from mine_plugin.runner import learning_curve
from mine_plugin.utils import atomic_write

MODELS = (
    ("beta_vae_16", ["model.model = @vae()", "vae.beta = 16."]),
    ("beta_tc_vae_6", ["model.model = @beta_tc_vae()", "beta_tc_vae.beta = 6."]),
)
STAGES = (3000, 10000, 20000, 30000)


def main(argv):
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--runs_dir", default="runs/learning_curve")
  parser.add_argument("--output",
                      default="docs/reproductions/learning_curve/results.json")
  parser.add_argument("--dataset", default="dsprites_full")
  parser.add_argument("--num_seeds", type=int, default=2)
  parser.add_argument("--stages", type=int, nargs="+", default=list(STAGES))
  parser.add_argument("--models", nargs="+", default=[name for name, _ in MODELS],
                      choices=[name for name, _ in MODELS],
                      help="Which of the curve's models to train (default: all).")
  args = parser.parse_args(argv)
  train_configs = ["gin_configs/shared.gin"]
  # The curves of the models not trained now are kept as the output has them.
  rows, stages = {}, set(args.stages)
  if os.path.exists(args.output):
    with open(args.output) as f:
      earlier = json.load(f)
    if earlier["dataset"] != args.dataset:
      raise ValueError(
          "{} holds curves on {!r}, not --dataset={!r}: write to another "
          "--output.".format(args.output, earlier["dataset"], args.dataset))
    rows = {key: curve for key, curve in earlier["curves"].items()
            if key.split("/")[0] not in args.models}
    if rows:
      stages.update(earlier["stages"])
  for last in range(len(args.stages)):
    for name, bindings in MODELS:
      if name not in args.models:
        continue
      for seed in range(args.num_seeds):
        key = "{}/seed_{}".format(name, seed)
        curve_bindings = bindings + studies.REPRODUCTION_BINDINGS + [
            "dataset.name = '{}'".format(args.dataset),
            "model.random_seed = {}".format(seed)]
        rows[key] = learning_curve.run_curve(
            os.path.join(args.runs_dir, args.dataset, name, "seed_{}".format(seed)),
            train_configs, curve_bindings, stages=args.stages[:last + 1])
        os.makedirs(os.path.dirname(args.output), exist_ok=True)
        atomic_write.write_json_atomically(args.output, {
            "dataset": args.dataset, "stages": sorted(stages),
            "models": dict(MODELS), "curves": rows})
        print(key, json.dumps(rows[key][-1]), flush=True)
  return 0


if __name__ == "__main__":
  sys.exit(main(sys.argv[1:]))

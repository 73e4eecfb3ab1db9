"""Runs (or resumes) the models of a study on Ray, or one by one without it.

    .venv/bin/python scripts/run_study.py --study=mine_plugin_small \
        --output_directory=runs/mine_plugin_small

Each model: dlib's train -> visualize -> postprocess (mean, sampled) -> every metric,
in a fresh process (see mine_plugin/runner.py for the output layout). Rerunning the
same command skips finished models and redoes unfinished ones. Exits with status 1
if a model failed.
"""
import argparse
import sys

from mine_plugin import runner


def parse_model_nums(text):
  """'0-3,7' -> [0, 1, 2, 3, 7]."""
  numbers = []
  for part in text.split(","):
    try:
      if "-" in part:
        first, last = (int(n) for n in part.split("-"))
        if last < first:
          raise argparse.ArgumentTypeError(
              "--model_nums: the range {!r} is empty (its end {} is below its "
              "start {}); write it as '{}-{}'.".format(part, last, first, last,
                                                       first))
        numbers.extend(range(first, last + 1))
      else:
        numbers.append(int(part))
    except ValueError:
      raise argparse.ArgumentTypeError(
          "--model_nums takes numbers and ranges like '0-3,7', not {!r}.".format(
              text)) from None
  return numbers


def parse_args(argv):
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--study", required=True,
                      help="a study of dlib_reproduce (mine_plugin_v1, "
                           "mine_plugin_small, mine_plugin_smoke, dlib's own) or "
                           "'module:attribute' naming a dlib Study")
  parser.add_argument("--output_directory", default=None,
                      help="the study's directory (default: runs/<study>)")
  parser.add_argument("--model_nums", type=parse_model_nums, default=None,
                      help="models to run, e.g. '0-3,7' (default: all)")
  parser.add_argument("--backend", choices=["auto", "ray", "serial"], default="auto",
                      help="auto: Ray if installed, else one model after another")
  parser.add_argument("--address", default=None,
                      help="address of a running Ray cluster (default: local Ray)")
  parser.add_argument("--num_cpus_per_model", type=float, default=1)
  parser.add_argument("--num_gpus_per_model", type=float, default=0)
  parser.add_argument("--gin_bindings", action="append", default=[],
                      help="training binding for every model, e.g. "
                           "'model.training_steps = 5' (repeatable)")
  parser.add_argument("--metric_gin_bindings", action="append", default=[],
                      help="binding for every metric, e.g. 'mig.num_train = 100'")
  parser.add_argument("--no_visualize", action="store_true",
                      help="skip dlib's visualize_model (no traversals in reports)")
  return parser.parse_args(argv)


def main(argv):
  args = parse_args(argv)
  outcomes = runner.run_study(
      args.study, args.output_directory or "runs/" + args.study.replace(":", "_"),
      model_nums=args.model_nums, backend=args.backend, address=args.address,
      num_cpus_per_model=args.num_cpus_per_model,
      num_gpus_per_model=args.num_gpus_per_model, gin_bindings=args.gin_bindings,
      metric_gin_bindings=args.metric_gin_bindings,
      visualize=not args.no_visualize)
  return 1 if any(o.status == "failed" for o in outcomes) else 0


if __name__ == "__main__":
  sys.exit(main(sys.argv[1:]))

"""Runs (or resumes) the models of a study on Ray, or one by one without it.

    .venv/bin/python scripts/run_study.py --study=mine_plugin_small \
        --output_directory=runs/mine_plugin_small

Each model: dlib's train -> visualize -> postprocess (mean, sampled) -> every metric,
in a fresh process (see mine_plugin/runner/__init__.py for the output layout).
Rerunning the same command skips finished models and redoes unfinished ones. Exits
with status 1 if a model failed. Flags: mine_plugin/runner/cli.py.
"""
import sys

from mine_plugin import runner
from mine_plugin.runner import cli


def main(argv):
  args = cli.parse_study_args(argv, description=__doc__.split("\n")[0])
  outcomes = runner.run_study(
      args.study, args.output_directory, model_nums=args.model_nums,
      backend=args.backend, address=args.address,
      num_cpus_per_model=args.num_cpus_per_model,
      num_gpus_per_model=args.num_gpus_per_model, gin_bindings=args.gin_bindings,
      metric_gin_bindings=args.metric_gin_bindings,
      visualize=not args.no_visualize)
  return 1 if any(o.status == "failed" for o in outcomes) else 0


if __name__ == "__main__":
  sys.exit(main(sys.argv[1:]))

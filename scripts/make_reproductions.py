"""Writes docs/reproductions.md: each paper's experiment beside its table.

    .venv/bin/python scripts/make_reproductions.py

regenerates the page and its figures (docs/reproductions/*.png) from the committed
results. After running the studies (docs/studies.md), take their results in first
(each finished model goes to <section>/in_progress.json, beside those of earlier
sessions, and is shown apart; a data set whose models have all finished there
replaces its own records, the others are kept):

    .venv/bin/python scripts/make_reproductions.py \
        --lambda_beta=runs/mine_plugin_lambda_beta/results.json \
        --allocator_ablation=runs/mine_plugin_allocator_ablation/results.json

(the ablation's learned allocations are read from its model directories then, kept
in docs/reproductions/allocator_ablation/in_progress_allocations.json until their data
set is complete, then in allocations.json). The learning
criterion's floors (untrained encoders, noise codes) are measured by
scripts/measure_untrained.py into docs/reproductions/<section>/. See
mine_plugin/reports/reproductions/.
"""
import argparse
import os
import sys

from mine_plugin.reports.reproductions import page as reproductions


def parse_args(argv):
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--docs_dir", default="docs")
  parser.add_argument("--lambda_beta", default=None,
                      help="results.json of mine_plugin_lambda_beta (its finished "
                           "models join in_progress.json; a data set with all its "
                           "models there replaces its records)")
  parser.add_argument("--allocator_ablation", default=None,
                      help="results.json of mine_plugin_allocator_ablation (as "
                           "--lambda_beta; its allocations too)")
  return parser.parse_args(argv)


def _say(study_name, taken, allocations=None):
  print("{}: taken in: {}; in progress (docs/reproductions/<section>/{}): {}{}".format(
      study_name, ", ".join(taken["complete"]) or "none", reproductions.IN_PROGRESS,
      ", ".join(taken["in_progress"]) or "none",
      "" if allocations is None else "; {} allocations collected".format(
          allocations)))
  if taken["stale"]:
    print("{}: left out of {} (not taken in, or dropped from it): the records of "
          "models trained with another config than the study's now, or continued "
          "from a pre-training that was trained again; rerun them: {}".format(
              study_name, reproductions.IN_PROGRESS, ", ".join(
                  "{} model {}".format(d, n) for d, n in taken["stale"])))


def main(argv):
  args = parse_args(argv)
  base = os.path.join(args.docs_dir, "reproductions")
  if args.lambda_beta:
    taken, _ = reproductions.collect(
        args.lambda_beta, os.path.join(base, "lambda_beta", "results.json"),
        "mine_plugin_lambda_beta")
    _say("mine_plugin_lambda_beta", taken)
  if args.allocator_ablation:
    taken, count = reproductions.collect(
        args.allocator_ablation,
        os.path.join(base, "allocator_ablation", "results.json"),
        "mine_plugin_allocator_ablation",
        os.path.join(base, "allocator_ablation", "allocations.json"))
    _say("mine_plugin_allocator_ablation", taken, count)
  print("Page written to", reproductions.make_page(
      args.docs_dir, os.path.join(args.docs_dir, "reproductions.md")))
  return 0


if __name__ == "__main__":
  sys.exit(main(sys.argv[1:]))

"""Turns a study's aggregated results into a Markdown report with PNG figures.

    .venv/bin/python scripts/make_report.py \
        --results=runs/mine_plugin_small/results.json \
        --output_dir=runs/mine_plugin_small/report

Writes <output_dir>/report.md and <output_dir>/figures/ (see mine_plugin/reports/report.py).
Traversals and attention allocations are read from the model directories that the
results' `path` entries point into.
"""
import argparse
import sys

from mine_plugin.reports import report


def parse_args(argv):
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--results", required=True,
                      help="aggregated JSON (scripts/run_study.py's results.json or "
                           "dlib_aggregate_results' output)")
  parser.add_argument("--output_dir", required=True)
  parser.add_argument("--title", default=None)
  return parser.parse_args(argv)


def main(argv):
  args = parse_args(argv)
  print("Report written to", report.make_report(args.results, args.output_dir,
                                                args.title))
  return 0


if __name__ == "__main__":
  sys.exit(main(sys.argv[1:]))

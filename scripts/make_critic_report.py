"""Writes the evidence page of a critic study: scores with spread, tracking ratios.

    .venv/bin/python scripts/make_critic_report.py \
        --results=docs/mine_penalty/results.json --output_dir=docs/mine_penalty

Writes <output_dir>/report.md, <output_dir>/tracking.png and copies the tracking
history of seed 0 of every model to <output_dir>/tracking/ (see
mine_plugin/reports/critic_evidence.py). With the study's model directories gone, the
copied histories are used.
"""
import argparse
import sys

from mine_plugin.reports import critic_evidence


def parse_args(argv):
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--results", required=True,
                      help="the study's results.json (dlib_aggregate_results format)")
  parser.add_argument("--output_dir", required=True)
  return parser.parse_args(argv)


def main(argv):
  args = parse_args(argv)
  print("Report written to",
        critic_evidence.make_page(args.results, args.output_dir))
  return 0


if __name__ == "__main__":
  sys.exit(main(sys.argv[1:]))

"""Places a study's scores among dlib's published results, per data set and metric.

    .venv/bin/python scripts/compare_results.py \
        --results=runs/mine_plugin_v1/results.json \
        --reference=/data/dlib_unsupervised_study_v1 --output=comparison.md

--results and --reference each take an aggregated JSON (dlib_aggregate_results'
format) or a directory of dlib model results (see mine_plugin/records/study_records.py). Prints a
Markdown table per data set and metric: each model's median and IQR, and the
percentile of each of our models' median among the reference scores.
"""
import argparse
import sys

from mine_plugin.evaluation import compare
from mine_plugin.records import study_records


def parse_args(argv):
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--results", required=True,
                      help="our aggregated JSON or directory of model results")
  parser.add_argument("--reference", required=True,
                      help="dlib's results: aggregated JSON or directory")
  parser.add_argument("--representation", default="mean",
                      help="postprocessing to compare: mean (default) or sampled")
  parser.add_argument("--output", default=None, help="also write the Markdown here")
  parser.add_argument("--csv", default=None, help="also write the table as CSV")
  return parser.parse_args(argv)


def main(argv):
  args = parse_args(argv)
  tables = {}
  for flag in ("results", "reference"):
    try:
      tables[flag] = study_records.scores(study_records.load_results(getattr(args, flag)))
    except (OSError, ValueError) as error:
      raise SystemExit("compare_results.py: --{} {}: {}".format(
          flag, getattr(args, flag), error)) from None
  table = compare.compare(tables["results"], tables["reference"],
                          args.representation)
  text = compare.to_markdown(table)
  print(text)
  if args.output:
    with open(args.output, "w") as f:
      f.write(text)
  if args.csv:
    table.to_csv(args.csv, index=False)
  return 0


if __name__ == "__main__":
  sys.exit(main(sys.argv[1:]))

"""The tables of mine_plugin_bf16*: which bf16 rewrite variants keep float32's scores.

    .venv/bin/python scripts/make_precision_report.py \
        --results docs/speed/bf16_results.json docs/speed/bf16_dsprites_results.json \
        --output docs/speed/precision_variants.md

(mine_plugin_bf16's and mine_plugin_bf16_dsprites' results are committed there;
after running a study, pass its runs/<study>/results.json, also while it runs.)

One table per results file (a data set). Per variant: MIG, DCI disentanglement and
reconstruction loss (mean ± sd over seeds), each metric's difference from float32
with its 95 % Welch interval, and whether the variant keeps the metrics
(mine_plugin/reports/precision_variants.py).
"""
import argparse
import sys

from mine_plugin.reports import precision_variants


def main(argv):
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--results", nargs="+",
                      default=["docs/speed/bf16_results.json"])
  parser.add_argument("--output", default=None, help="also write the table here")
  args = parser.parse_args(argv)
  table = "\n".join(precision_variants.make_table(path) for path in args.results)
  print(table, end="")
  if args.output:
    with open(args.output, "w") as f:
      f.write(table)
  return 0


if __name__ == "__main__":
  sys.exit(main(sys.argv[1:]))

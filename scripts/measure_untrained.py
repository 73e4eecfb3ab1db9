"""Measures the learning criterion's floors: untrained encoders and noise codes.

    DISENTANGLEMENT_LIB_DATA=$PWD/data .venv/bin/python scripts/measure_untrained.py

For each reproduction on docs/reproductions.md, trains its study's reference model
(seeds 0-2) for 1 step through the study runner into runs/untrained/<study>/ and
scores it with the study's metrics and seeds, scores N(0, I) noise codes with dlib's
MIG and DCI, and writes docs/reproductions/<section>/{untrained,noise}.json
(mine_plugin/reports/reproductions/untrained_baselines.py). Rerunning skips finished models.
Then regenerate the page: scripts/make_reproductions.py.
"""
import argparse
import sys

from mine_plugin.reports.reproductions import untrained_baselines


def main(argv):
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--docs_dir", default="docs")
  parser.add_argument("--runs_dir", default="runs/untrained")
  parser.add_argument("--num_seeds", type=int,
                      default=untrained_baselines.NUM_SEEDS)
  args = parser.parse_args(argv)
  for path in untrained_baselines.measure(args.docs_dir, args.runs_dir,
                                          num_seeds=args.num_seeds):
    print("Wrote", path)
  return 0


if __name__ == "__main__":
  sys.exit(main(sys.argv[1:]))

"""A model's process: `python -m mine_plugin.runner` (flags: `cli.model_command`)."""
import sys

from mine_plugin import pipeline
from mine_plugin.runner import cli
from mine_plugin.runner import model_process


def main(argv=None):
  study, job = cli.parse_model_command(sys.argv[1:] if argv is None else argv)
  pipeline.log_training_lines()
  model_process.reproduce_model(study, job)


if __name__ == "__main__":
  main()

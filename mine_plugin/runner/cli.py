"""The runner's command lines; `parse_model_command` inverts `model_command`."""
import argparse
import json
import sys

from mine_plugin.runner import job_spec


def model_command(job):
  """The command that runs `job` (a job_spec.ModelJob) in a fresh process."""
  command = [sys.executable, "-m", "mine_plugin.runner", "--study", job.study_name,
             "--model_num", str(job.model_num), "--model_dir", job.model_dir]
  command += ["--gin_bindings=" + b for b in job.gin_bindings]
  command += ["--metric_gin_bindings=" + b for b in job.metric_gin_bindings]
  if not job.visualize:
    command.append("--no_visualize")
  command.append("--expected_settings=" + json.dumps(job.settings, sort_keys=True))
  return command


def _settings_difference(expected, here):
  """The entries of two run settings that differ, as '<key>: <runner> -> <here>'."""
  lines = []
  for key in sorted(set(expected) | set(here)):
    old, new = expected.get(key), here.get(key)
    if old == new:
      continue
    if isinstance(old, list) and isinstance(new, list):
      old, new = ([e for e in a if e not in b] for a, b in ((old, new), (new, old)))
    lines.append("{}: {} -> {}".format(key, json.dumps(old), json.dumps(new)))
  return "; ".join(lines)


def parse_model_command(argv):
  """(study, job) of a model's process from its flags (`model_command`'s, after -m).

  The job's `env` is None: the environment reached the process as such.
  """
  parser = argparse.ArgumentParser(
      prog="python -m mine_plugin.runner",
      description="Runs one model of a study (used by run_study in a fresh process).")
  parser.add_argument("--study", required=True)
  parser.add_argument("--model_num", type=int, required=True)
  parser.add_argument("--model_dir", required=True)
  parser.add_argument("--gin_bindings", action="append", default=[])
  parser.add_argument("--metric_gin_bindings", action="append", default=[])
  parser.add_argument("--no_visualize", action="store_true")
  parser.add_argument("--expected_settings", default=None,
                      help="the runner's run settings of the model (JSON)")
  args = parser.parse_args(argv)
  study = job_spec.load_study(args.study)
  job = job_spec.model_job(
      args.study, study, args.model_num, args.model_dir, args.gin_bindings,
      args.metric_gin_bindings, visualize=not args.no_visualize)
  if args.expected_settings is not None:
    expected = json.loads(args.expected_settings)
    if expected != job.settings:
      raise ValueError(
          "Model {} of {!r} was not run: its run settings here are not the "
          "runner's (runner -> this process: {}). The study's gin files or "
          "configs differ between the runner's machine and this one, or changed "
          "during the run; make them the same and rerun.".format(
              args.model_num, args.study,
              _settings_difference(expected, job.settings)))
  return study, job


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


def parse_study_args(argv, description=None):
  """Flags of scripts/run_study.py; `output_directory` defaults to runs/<study>."""
  parser = argparse.ArgumentParser(description=description)
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
  args = parser.parse_args(argv)
  if args.output_directory is None:
    args.output_directory = "runs/" + args.study.replace(":", "_")
  return args

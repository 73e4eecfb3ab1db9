"""The README's commands, run as written (with short settings), so that they cannot drift.

Every command of the README's ```bash blocks is checked: the program exists, every
`--flag` it passes is one the program accepts (its own --help), and every file of
the checkout it names exists. The main job and the blocks that use dlib's console
scripts directly (train -> postprocess -> evaluate; the warm start) are then run,
with bindings appended that shorten training, and the files the README promises
are checked.
"""
import functools
import json
import os
import pathlib
import re
import shlex
import subprocess
import sys
import tempfile

import pytest

from mine_plugin.data import dataset_files

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
BIN = pathlib.Path(sys.executable).parent
# Appended to every dlib_train / dlib_evaluate of the README: later gin bindings
# win, so these shorten the run without editing the command.
SHORT_TRAIN = ("model.training_steps=3", "model.eval_steps=1", "model.batch_size=8")
SHORT_EVALUATE = ("mig.num_train=200",)
# Commands that set up an environment rather than use the plugin.
SETUP_PROGRAMS = ("source", "export", "pip", "python3.11")


def bash_blocks():
  return re.findall(r"```bash\n(.*?)```", README, re.S)


def expand(line):
  """`line` with each `$(python ...)` replaced by what it prints, as bash would."""

  def run(match):
    argv = shlex.split(match.group(1))
    if argv[0] == "python":
      argv[0] = sys.executable
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=True,
                          timeout=120).stdout.strip()

  return re.sub(r"\$\(([^)]*)\)", run, line)


def commands(block):
  """The block's commands as argument lists (continuations joined, comments gone,
  `a && b` as two commands)."""
  found = []
  for line in block.replace("\\\n", " ").splitlines():
    command = []
    for token in shlex.split(expand(line), comments=True) + ["&&"]:
      if token == "&&":
        if command:
          found.append(command)
        command = []
      else:
        command.append(token)
  return found


def block_with(program):
  matches = [block for block in bash_blocks()
             if any(command[0] == program for command in commands(block))]
  assert matches, "No ```bash block of README.md runs {}".format(program)
  return matches


def program_and_help(command):
  """The argv that runs `command` here, and the text of its --help."""
  program, args = command[0], command[1:]
  if program == "bash":  # bash scripts/x.sh ARGS: the .sh hands ARGS to scripts/x.py.
    script = ROOT / args[0]
    assert script.is_file(), "README runs {}, which does not exist".format(args[0])
    python_script = script.with_suffix(".py")
    argv = [sys.executable, str(python_script)] if python_script.is_file() else None
    return argv, args[1:]
  if program in ("python", ".venv/bin/python"):
    assert (ROOT / args[0]).is_file(), "README runs {}, which does not exist".format(
        args[0])
    return [sys.executable, str(ROOT / args[0])], args[1:]
  assert (BIN / program).is_file(), "README runs {}, not installed in {}".format(
      program, BIN)
  return [str(BIN / program)], args


@functools.lru_cache(maxsize=None)
def program_help(argv):
  """The --help text of a program (each program once: every one loads TensorFlow)."""
  # absl's --helpfull exits with status 1 after printing; argparse's --help with 0.
  done = subprocess.run(list(argv) + ["--helpfull" if "dlib_" in argv[0] else "--help"],
                        cwd=ROOT, capture_output=True, text=True, timeout=300)
  help_text = done.stdout + done.stderr
  assert re.search(r"--(\[no\])?help\b", help_text), (argv, help_text[-2000:])
  return help_text


def check_setup_command(command):
  """A set-up command of the README agrees with scripts/setup.sh and setup.py."""
  setup_sh = (ROOT / "scripts" / "setup.sh").read_text()
  program, args = command[0], command[1:]
  if program == "source":
    assert args == [".venv/bin/activate"] and (BIN / "activate").is_file(), command
  elif program == "export":
    variable = args[0].split("=")[0]
    assert variable == dataset_files.DATA_ENV, "README exports {}, which nothing reads".format(
        variable)
  elif program == "python3.11":
    assert args == ["-m", "venv", ".venv"] and "python3.11" in setup_sh, command
  else:  # pip install [--no-deps] SPEC: the same as setup.sh installs.
    assert args[0] == "install", command
    for spec in args[1:]:
      if spec.startswith(".["):
        extras = spec[2:-1].split(",")
        assert all('"{}":'.format(extra) in (ROOT / "setup.py").read_text()
                   for extra in extras), spec
      elif not spec.startswith("--"):
        assert spec in setup_sh, "README installs {}, setup.sh does not".format(spec)


def pytest_arguments_of(script, args):
  """What `bash script ARGS` passes to pytest: the script runs in a copy of the
  checkout's layout whose scripts/setup.sh does nothing and whose .venv/bin/python
  prints its arguments, one per line, instead of running them."""
  with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    (tmp / "scripts").mkdir()
    (tmp / "scripts" / pathlib.Path(script).name).write_text((ROOT / script).read_text())
    (tmp / "scripts" / "setup.sh").write_text("")
    (tmp / ".venv" / "bin").mkdir(parents=True)
    python = tmp / ".venv" / "bin" / "python"
    python.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    python.chmod(0o755)
    for arg in args:  # The test files the arguments name exist in the copy too.
      path = arg.split("::")[0]
      if not arg.startswith("-") and (ROOT / path).exists():
        (tmp / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp / path).touch()
    done = subprocess.run(["bash", str(tmp / script)] + list(args), cwd=tmp,
                          capture_output=True, text=True, timeout=60)
  assert done.returncode == 0, done.stderr
  return done.stdout.splitlines()


def test_test_sh_runs_every_test_or_the_named_file():
  # CI's command: the whole tests/ folder, with its options.
  assert pytest_arguments_of("scripts/test.sh", ["-q", "-rfEs"]) == [
      "-m", "pytest", "tests", "-q", "-rfEs"]
  # The README's example: the named file alone, not tests/ as well.
  assert pytest_arguments_of("scripts/test.sh", ["tests/test_compat.py", "-x"]) == [
      "-m", "pytest", "tests/test_compat.py", "-x"]
  assert pytest_arguments_of("scripts/test.sh", ["-x", "tests/test_readme.py::test_x"]) == [
      "-m", "pytest", "-x", "tests/test_readme.py::test_x"]
  # An argument that is not a path (a -k expression) leaves the whole folder.
  assert pytest_arguments_of("scripts/test.sh", ["-k", "compat"]) == [
      "-m", "pytest", "tests", "-k", "compat"]


@pytest.mark.parametrize("number", range(len(bash_blocks())))
def test_every_readme_command_exists_and_accepts_its_flags(number):
  for command in commands(bash_blocks()[number]):
    if command[0] in SETUP_PROGRAMS:
      check_setup_command(command)
      continue
    argv, args = program_and_help(command)
    if argv is None:  # A .sh without a .py twin hands its arguments to pytest.
      pytest_argv = pytest_arguments_of(command[1], args)
      assert pytest_argv[:2] == ["-m", "pytest"], (command, pytest_argv)
      assert pytest_argv[len(pytest_argv) - len(args):] == args, (command, pytest_argv)
      continue
    help_text = program_help(tuple(argv))
    for arg in args:
      if arg.startswith("--"):
        flag = arg[2:].split("=")[0]
        assert re.search(r"--{}\b".format(re.escape(flag)), help_text), (
            "README passes --{} to {}, which does not accept it".format(flag, command[0]))
      value = arg.split("=", 1)[-1]
      if value.startswith(("gin_configs/", "scripts/")) or value.endswith(".gin"):
        assert (ROOT / value).is_file(), "README names {}, which does not exist".format(
            value)


def run_as_written(command, runs_dir):
  """Runs one README command with runs/ moved to `runs_dir` and short settings."""
  args = [arg.replace("runs/", str(runs_dir) + "/") for arg in command[1:]]
  if command[0] == "dlib_train":
    args += ["--gin_bindings=" + binding for binding in SHORT_TRAIN]
  if command[0] == "dlib_evaluate":
    args += ["--gin_bindings=" + binding for binding in SHORT_EVALUATE]
  done = subprocess.run([str(BIN / command[0])] + args, cwd=ROOT, capture_output=True,
                        text=True, timeout=900)
  assert done.returncode == 0, "{} failed:\n{}".format(command[0], done.stderr[-3000:])


def test_readme_dlib_commands_train_postprocess_and_evaluate(tmp_path):
  block = [b for b in block_with("dlib_evaluate") if "dlib_postprocess" in b][0]
  for command in commands(block):
    if command[0] not in SETUP_PROGRAMS:
      run_as_written(command, tmp_path)
  evaluations = list(tmp_path.glob("*/metrics/mean/mig/results/json/"
                                   "evaluation_results.json"))
  assert len(evaluations) == 1
  mig = json.loads(evaluations[0].read_text())["discrete_mig"]
  assert 0. <= mig <= 1.


def test_readme_warm_start_continues_the_model_it_names(tmp_path):
  block = [b for b in block_with("dlib_train") if "warm_start" in b][0]
  for command in commands(block):
    run_as_written(command, tmp_path)
  trained = sorted(path.parents[2] for path in
                   tmp_path.glob("*/results/gin/train.gin"))
  assert len(trained) == 2
  # gin wraps a long value onto the next line after a backslash.
  train_gin = re.sub(r"\\\n\s*", "",
                     (trained[1] / "results" / "gin" / "train.gin").read_text())
  assert "warm_start.model_dir = '{}'".format(trained[0]) in train_gin


def test_main_job_writes_every_file_of_the_readme_output_table(tmp_path):
  model_dir = tmp_path / "main_job"
  done = subprocess.run(
      [sys.executable, "scripts/main_job.py", "--steps", "3", "--metrics", "mig",
       "--model_dir", str(model_dir)] +
      ["--gin_bindings=" + binding for binding in SHORT_TRAIN[1:]],
      cwd=ROOT, capture_output=True, text=True, timeout=900)
  assert done.returncode == 0, done.stderr[-3000:]
  section = README.split("### Output of the main job")[1].split("\n## ")[0]
  paths = re.findall(r"^\| `([^`]+)`", section, re.M)
  assert len(paths) >= 6, section
  for row in section.splitlines():
    for path in re.findall(r"`([a-z_]+/[^`]*|[a-z_]+\.log)`", row.split("|")[1]
                           if row.startswith("|") else ""):
      path = path.replace("<metric>", "mig")
      assert os.path.exists(model_dir / path), "README lists {}, not written".format(
          path)
  assert "discrete_mig" in done.stdout


def test_readme_layout_names_every_module():
  """Each module of mine_plugin/ is in the Layout table: its own row, or named in its
  folder's row; and every path the table names exists."""
  section = README.split("\n## Layout")[1]
  rows = [row.split("|")[1:3] for row in section.splitlines()
          if row.startswith("| `")]
  covered = set()
  for path_cell, what in rows:
    for path in re.findall(r"`([^`]+)`", path_cell):
      assert (ROOT / path).exists(), "Layout names {}, which does not exist".format(path)
      if path.endswith(".py"):
        covered.add(path)
      else:
        for name in re.findall(r"`([\w/]+\.py)`", what):
          assert (ROOT / path / name).is_file(), (
              "Layout's row {} names {}, which is not there".format(path, name))
          covered.add(str(pathlib.Path(path) / name))
  modules = {str(path.relative_to(ROOT)) for path in (ROOT / "mine_plugin").rglob("*.py")
             if path.name not in ("__init__.py", "__main__.py")}
  assert modules - covered == set(), "modules missing from README's Layout"

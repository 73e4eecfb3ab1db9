"""A full disk ends dlib_train, dlib_postprocess, dlib_evaluate and the study runner's
failure excerpt with one line naming the path and the space
(mine_plugin/utils/disk_space.py).

How the disk is filled: a small file system cannot be mounted without privileges
(and where CI may not allow user namespaces either), /dev/shm here is a 24 GiB tmpfs
that other processes share, and LD_PRELOAD is not an option. So the processes run
under a file size limit (RLIMIT_FSIZE, `ulimit -f`), which any user may set: a write
past it fails with EFBIG ("File too large"), through the same TensorFlow and Python
paths as ENOSPC ("No space left on device"; CPython ignores SIGXFSZ, so the write
fails instead of the process being killed). ENOSPC and EDQUOT are checked on the
errors themselves, with the exact text TensorFlow 2.15 gave when dlib_train filled a
1 MiB tmpfs.
"""
import errno
import os
import re
import resource
import shutil
import subprocess
import sys

from disentanglement_lib.utils import resources
from mine_plugin import pipeline
from mine_plugin.runner import model_process
from mine_plugin.utils import disk_space
import tensorflow as tf
from test_faults import POSTPROCESS_TEST_GIN  # tests/ is on sys.path under pytest
from test_faults import REPO
from test_faults import siblings
from test_faults import snapshot
from test_faults import TRAIN_TEST_GIN

MIG_TEST_GIN = resources.get_file(
    "config/tests/evaluation/evaluate_test_configs/mig.gin")


def limited(program, flags, limit):
  """Runs a dlib console script whose files may not grow past `limit` bytes; its
  exit status and last line."""
  completed = subprocess.run(
      [pipeline.console_script(program)] + flags, capture_output=True, text=True,
      preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)))
  return completed.returncode, completed.stderr.strip().splitlines()[-1]


def file_too_large(path_pattern, limit):
  return re.compile(
      r"OSError: \[Errno 27\] File too large: could not write {}\. This process may "
      r"write files of at most {} \(ulimit -f, RLIMIT_FSIZE; \S+ has [\d.]+ \w+ "
      r"free\): raise the limit \(ulimit -f unlimited\) and run it again\.$".format(
          path_pattern, re.escape(limit)))


def test_dlib_train_past_the_limit_ends_with_the_path_and_keeps_the_old_model(
    tmp_path):
  model_dir = tmp_path / "model"
  flags = ["--model_dir", str(model_dir), "--gin_config", TRAIN_TEST_GIN]
  # TensorFlow's graph.pbtxt (~300 KiB) is the first file past 200 KiB.
  status, last = limited("dlib_train", flags, 200 * 1024)
  assert status == 1
  assert file_too_large(re.escape(str(model_dir / "tf_checkpoint")) + r"/\S+",
                        "200.0 KiB").match(last), last
  assert not model_dir.exists()  # a first run's partial output is removed

  pipeline.run_dlib("dlib_train", flags)
  model = snapshot(str(model_dir))
  status, last = limited("dlib_train", flags + ["--overwrite"], 200 * 1024)
  assert status == 1
  assert file_too_large(re.escape(str(model_dir / "tf_checkpoint")) + r"/\S+",
                        "200.0 KiB").match(last), last
  assert snapshot(str(model_dir)) == model
  # The failed output, written until the "disk" was full, is not kept.
  assert siblings(model_dir) == []


def test_dlib_postprocess_and_evaluate_past_the_limit_end_with_the_path(tmp_path):
  model_dir, mean, mig = tmp_path / "model", tmp_path / "mean", tmp_path / "mig"
  pipeline.run_dlib("dlib_train", ["--model_dir", str(model_dir),
                                   "--gin_config", TRAIN_TEST_GIN])
  postprocess = ["--model_dir", str(model_dir), "--output_dir", str(mean),
                 "--gin_config", POSTPROCESS_TEST_GIN]
  # The TF-Hub module's variables (~500 KiB). TensorFlow reports them as an
  # OutOfRangeError, which dlib's postprocess used to swallow: it ended with
  # status 0 and no module.
  status, last = limited("dlib_postprocess", postprocess, 200 * 1024)
  assert status == 1
  assert file_too_large(re.escape(str(mean / "tfhub" / "variables")) + r"/\S+",
                        "200.0 KiB").match(last), last
  assert not mean.exists()

  pipeline.run_dlib("dlib_postprocess", postprocess)
  # The metric's results (each a few KiB); Python's write does not say which file.
  status, last = limited("dlib_evaluate", [
      "--input_dir", str(mean), "--output_dir", str(mig),
      "--gin_config", MIG_TEST_GIN], 1024)
  assert status == 1
  assert file_too_large("a file under " + re.escape(str(mig)),
                        "1.0 KiB").match(last), last
  assert not mig.exists()


def test_the_study_runner_ends_a_models_excerpt_with_the_full_disk(tmp_path):
  output = str(tmp_path / "study")
  limit = 200 * 1024  # past it: the model's graph.pbtxt; not its log
  completed = subprocess.run(
      [sys.executable, os.path.join(REPO, "scripts", "run_study.py"),
       "--study=mine_plugin_smoke", "--backend=serial", "--no_visualize",
       "--model_nums=0", "--output_directory=" + output],
      capture_output=True, text=True, timeout=900,
      preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)))
  assert completed.returncode == 1, completed.stdout[-3000:]
  failure = completed.stdout.split("model 0 FAILED")[1].split(
      "\n[mine_plugin_smoke]")[0]
  excerpt = failure.strip().splitlines()
  assert excerpt[0].endswith("exit code 1; last lines of {}:".format(
      os.path.join(output, "0", "log.txt"))), failure
  path = re.escape(os.path.join(output, "0", "model", "tf_checkpoint")) + r"/\S+"
  assert file_too_large(path, "200.0 KiB").match(excerpt[-1]), failure


# What TensorFlow 2.15 raised when dlib_train filled a 1 MiB tmpfs (`mount -t tmpfs
# -o size=1m`), less the stack frames; gin appended the last line.
TF_NO_SPACE = """Graph execution error:

Detected at node 'save/SaveV2' defined at (most recent call last):
Node: 'save/SaveV2'
{path}; No space left on device
\t [[{{{{node save/SaveV2}}}}]]
Hint: If you want to see a list of allocated tensors when OOM happens, add report_tensor_allocations_upon_oom to RunOptions for current allocation info. This isn't available when running in Eager mode.

Original stack trace for 'save/SaveV2':
  In call to configurable 'model' (<function train at 0x7ff6e5640400>)"""


def test_no_space_names_the_path_and_the_free_space_of_its_file_system(tmp_path):
  model_dir = tmp_path / "model"
  path = str(model_dir / "tf_checkpoint" / "model.ckpt-0_temp" /
             "part-00000-of-00001.data-00000-of-00001.tempstate7028618595389609024")
  error = tf.errors.ResourceExhaustedError(None, None, TF_NO_SPACE.format(path=path))
  mount = str(tmp_path)
  while not os.path.ismount(mount):
    mount = os.path.dirname(mount)
  total = disk_space.human_size(shutil.disk_usage(mount).total)
  assert disk_space.full_disk(error) == (errno.ENOSPC, path)
  line = disk_space.describe(error, str(model_dir))
  assert re.match(
      r"No space left on device: could not write {}\. {} has [\d.]+ \w+ free of {} "
      r"without this run's output: a run needs more than that\. Free space there, "
      r"or write to a file system with more room \(--model_dir, --output_dir\)\.$"
      .format(re.escape(path), re.escape(mount), re.escape(total)), line), line

  # An --overwrite whose previous model is back: its size is the guide.
  model_dir.mkdir()
  (model_dir / "checkpoint").write_bytes(b"0" * 3000)
  line = disk_space.describe(error, str(model_dir), replaced=True)
  assert ("a run needs more than that. The previous {} takes 2.9 KiB: a run like it "
          "needs about as much, and --overwrite keeps the previous one until the "
          "new run has finished.".format(model_dir)) in line, line
  # Without --overwrite, what the run left in place (a resumable training).
  line = disk_space.describe(error, str(model_dir))
  assert re.search(r"free of {}, and {} holds 2\.9 KiB\. Free space there".format(
      re.escape(total), re.escape(str(model_dir))), line), line


def test_a_quota_and_errors_raised_from_a_full_disk_are_named_the_rest_are_not(
    tmp_path):
  quota = OSError(errno.EDQUOT, "Disk quota exceeded", str(tmp_path / "x.json"))
  line = disk_space.describe(quota, str(tmp_path))
  assert line.startswith("Disk quota exceeded: could not write {}. Your disk quota "
                         "on ".format(tmp_path / "x.json")), line
  assert "is used up (`quota -s` shows it)" in line
  try:
    try:
      raise OSError(errno.ENOSPC, "No space left on device")
    except OSError as error:
      raise ValueError("In call to configurable 'evaluation'") from error
  except ValueError as error:
    assert disk_space.full_disk(error) == (errno.ENOSPC, None)
    assert disk_space.describe(error, str(tmp_path)).startswith(
        "No space left on device: could not write a file under {}.".format(
            tmp_path))
  # Out of memory is TensorFlow's ResourceExhaustedError too.
  memory = tf.errors.ResourceExhaustedError(
      None, None, "OOM when allocating tensor with shape[64,64,64,32]")
  assert disk_space.full_disk(memory) is None
  assert disk_space.describe(memory, str(tmp_path)) is None


def test_the_runners_excerpt_shows_an_error_that_tensorflow_put_mid_trace(tmp_path):
  frames = ['  File "/x/estimator.py", line {}, in train\n'.format(n) +
            "    return self._train_model(input_fn, hooks, saving_listeners)\n"
            for n in range(40)]
  path = "/study/0/model/tf_checkpoint/model.ckpt-0_temp/part-00000"
  log = tmp_path / "log.txt"
  log.write_text("".join(
      ["I1206 training step 0\n", "Traceback (most recent call last):\n"] +
      frames[:10] +
      ["tensorflow.python.framework.errors_impl.ResourceExhaustedError: " +
       TF_NO_SPACE.format(path=path).split("\nOriginal stack trace")[0] + "\n",
       "\n", "Original stack trace for 'save/SaveV2':\n"] + frames[10:] +
      ["  In call to configurable 'model' (<function train at 0x7f>)\n"]))
  excerpt = model_process._log_tail(str(log))  # pylint: disable=protected-access
  lines = excerpt.splitlines()
  assert lines[:4] == [
      "tensorflow.python.framework.errors_impl.ResourceExhaustedError: Graph "
      "execution error:", "Node: 'save/SaveV2'",
      "{}; No space left on device".format(path), "  ..."], excerpt
  assert "OOM" not in excerpt  # TensorFlow's hint misleads on a full disk
  assert lines[4:] == log.read_text().splitlines()[-15:]
  # A log without a traceback (a killed process): its last lines only.
  log.write_text("".join("line {}\n".format(n) for n in range(30)))
  assert model_process._log_tail(str(log)) == "".join(  # pylint: disable=protected-access
      "line {}\n".format(n) for n in range(15, 30))

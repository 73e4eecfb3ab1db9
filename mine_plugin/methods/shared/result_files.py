"""Where a training run's own result files go, and their JSON I/O, without TF.

dlib's train.py gives its TPUEstimator `<model_dir>/tf_checkpoint` and writes its
results under `<model_dir>/results/`; the plugin's training hooks
(`critic_tracking.CriticTrackingHook`, `attention_mine_vae`'s allocation) put their
files there too, and reports read them back. Local paths use Python's file I/O (a
report that reads one JSON file loads no TensorFlow); a path with a scheme (dlib's
model_dir may be `gs://...`) goes through `tf.io.gfile`, imported only then.
"""
import json
import os

from mine_plugin.utils import atomic_write


def results_path(estimator_model_dir, filename):
  """Where a file of a run whose TPUEstimator writes to `estimator_model_dir` goes.

  dlib's train.py gives the estimator `<model_dir>/tf_checkpoint` and writes its
  results under `<model_dir>/results/`; `filename` (which may hold a subdirectory)
  goes there. Any other estimator directory gets the file, without subdirectory,
  inside it.
  """
  estimator_model_dir = os.path.normpath(estimator_model_dir)
  if os.path.basename(estimator_model_dir) == "tf_checkpoint":
    return os.path.join(os.path.dirname(estimator_model_dir), "results", filename)
  return os.path.join(estimator_model_dir, os.path.basename(filename))


def results_json_path(estimator_model_dir, filename):
  """`results_path` in results/json/, where dlib copies a file along into the
  postprocessing and evaluation results and aggregates it (when it holds one
  flat dict)."""
  return results_path(estimator_model_dir, os.path.join("json", filename))


def _gfile(path):
  """tf.io.gfile for a path with a scheme (gs://...), None for a local path."""
  if "://" not in path:
    return None
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  return tf.io.gfile


def exists(path):
  gfile = _gfile(path)
  return gfile.exists(path) if gfile else os.path.exists(path)


def write_json(path, content):
  """Writes `content` as JSON (indent 2), creating the directory; atomic if local."""
  directory = os.path.dirname(path) or "."
  gfile = _gfile(path)
  if gfile is None:
    os.makedirs(directory, exist_ok=True)
    atomic_write.write_json_atomically(path, content)
    return
  gfile.makedirs(directory)
  with gfile.GFile(path, "w") as output:
    json.dump(content, output, indent=2)


def read_json(path):
  gfile = _gfile(path)
  with (gfile.GFile(path, "r") if gfile else open(path)) as source:
    return json.load(source)

"""The files a training run writes beside dlib's results, read back without TensorFlow.

dlib's train.py gives its TPUEstimator `<model_dir>/tf_checkpoint` and writes its
results under `<model_dir>/results/`; the plugin's training hooks (the critic's
tracking, `attention_mine_vae`'s allocation) put their files there too. Local paths
use Python's file I/O; a path with a scheme (dlib's model_dir may be `gs://...`)
goes through `tf.io.gfile`, imported only then.

The allocation A (num_latent x (K + 1); row j is latent dimension j's distribution
over the slots factor0 ... factor{K-1}, nuisance; `capacity_allocator`) is in
`<model_dir>/results/json/attention_allocation.json`.
"""
import json
import os

import numpy as np

from mine_plugin.utils import atomic_write

NUISANCE = "nuisance"
# Written by a training run next to dlib's train_results.json.
ALLOCATION_FILE = "attention_allocation.json"


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


def slot_names(num_factors):
  """Names of the K + 1 slots: factor0 ... factor{K-1}, then the nuisance slot."""
  return ["factor{}".format(k) for k in range(num_factors)] + [NUISANCE]


def write_allocation(path, allocation, num_factors):
  """Writes A as JSON: the matrix, each dimension's main slot, each slot's dims.

  The file holds one dict (dlib's results aggregation reads every json/*.json
  file as a dict): `slots` (names, nuisance last), `allocation` (num_latent lists
  of K + 1 weights), `dominant_slot` (argmax slot of every latent dimension),
  `latents_by_slot` (slot -> latent dimensions whose argmax it is) and `capacity`
  (slot -> share of the latent dimensions, c_i).
  """
  allocation = np.asarray(allocation, dtype=np.float64)
  names = slot_names(num_factors)
  if allocation.ndim != 2 or allocation.shape[1] != len(names):
    raise ValueError("allocation must have shape (num_latent, {}), got {}.".format(
        len(names), allocation.shape))
  dominant = allocation.argmax(axis=1)
  content = {
      "slots": names,
      "allocation": allocation.tolist(),
      "dominant_slot": [names[i] for i in dominant],
      "latents_by_slot": {name: [int(j) for j in np.flatnonzero(dominant == i)]
                          for i, name in enumerate(names)},
      "capacity": {name: float(c) for name, c in zip(names,
                                                     allocation.mean(axis=0))},
  }
  write_json(path, content)


def read_allocation(model_dir):
  """The learned (num_latent, K + 1) allocation A of a trained attention_mine_vae.

  Args:
    model_dir: dlib_train's --model_dir (or a dlib_postprocess / dlib_evaluate
      output directory, whose results/ dlib copies from it).

  Returns:
    numpy array; row j is latent dimension j's distribution over the slots
    factor0 ... factor{K-1}, nuisance.
  """
  path = os.path.join(model_dir, "results", "json", ALLOCATION_FILE)
  if not exists(path):
    raise FileNotFoundError(
        "No {} under {}: it is written when an attention_mine_vae finishes "
        "training with dlib_train (expected at {}). Pass the --model_dir given "
        "to dlib_train.".format(ALLOCATION_FILE, model_dir, path))
  return np.array(read_json(path)["allocation"])


def model_output_dir(result_path):
  """A model's dlib_reproduce directory, from the path of one of its metric results."""
  parts = os.path.normpath(result_path).split(os.sep)
  if "metrics" not in parts:
    return None
  position = len(parts) - 1 - parts[::-1].index("metrics")
  return os.sep.join(parts[:position]) or os.sep

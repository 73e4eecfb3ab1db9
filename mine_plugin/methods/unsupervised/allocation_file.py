"""The allocation file of a trained `attention_mine_vae`, without TensorFlow.

The allocation A (num_latent x (K + 1); row j is latent dimension j's distribution
over the slots factor0 ... factor{K-1}, nuisance; `capacity_allocator`) of a
finished training run is in `<model_dir>/results/json/attention_allocation.json`
(`write_allocation`, called by attention_mine_vae's training hook);
`read_allocation(model_dir)` reads it back. Reports import this module, so it
imports no TensorFlow (`result_files`).
"""
import os

from mine_plugin.methods.shared import result_files
import numpy as np

NUISANCE = "nuisance"
# Written by a training run next to dlib's train_results.json.
ALLOCATION_FILE = "attention_allocation.json"


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
  result_files.write_json(path, content)


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
  if not result_files.exists(path):
    raise FileNotFoundError(
        "No {} under {}: it is written when an attention_mine_vae finishes "
        "training with dlib_train (expected at {}). Pass the --model_dir given "
        "to dlib_train.".format(ALLOCATION_FILE, model_dir, path))
  return np.array(result_files.read_json(path)["allocation"])

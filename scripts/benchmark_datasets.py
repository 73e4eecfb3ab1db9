"""Prints generation time, disk size and loading memory of the plugin's data sets.

For each data set it (re)writes the procedural stand-in under --data_dir (default
$DISENTANGLEMENT_LIB_DATA, else '.'; unless --skip_generation), then loads it in a
fresh Python process through `dataset.name` with that data root and prints that
process's peak resident memory (ru_maxrss), the load time and the time to draw a
batch of 64 observations. For Shapes3D it also prints what dlib's own loader would
hold: dlib converts the whole uint8 array to float32 at once
(images.astype(np.float32) / 255.), i.e. the uint8 array plus two float32 arrays of
4x its size at the peak -- ~53 GB for the full grid, so that figure is computed,
not measured, and printed next to this machine's memory.

  python scripts/benchmark_datasets.py --data_dir=data
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

from mine_plugin.data import dataset_files
from mine_plugin.data import standin_data

_LOAD_SNIPPET = r"""
import json, os, resource, sys, time, warnings
import numpy as np
warnings.simplefilter("ignore")
from disentanglement_lib.data.ground_truth import named_data
start = time.time()
data = named_data.get_named_ground_truth_data(sys.argv[1])
load_s = time.time() - start
random_state = np.random.RandomState(0)
start = time.time()
batch = data.sample_observations(64, random_state)
batch_s = time.time() - start
images = getattr(data, "images", None)
print(json.dumps({
    "load_s": load_s, "batch64_s": batch_s,
    "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
    "images_gb": images.nbytes / 1e9 if images is not None else None,
    "images_dtype": str(images.dtype) if images is not None else None,
    "factors_num_values": list(map(int, data.factors_num_values)),
    "batch_dtype": str(batch.dtype), "batch_range": [float(batch.min()),
                                                     float(batch.max())]}))
"""


def _load_in_subprocess(name, data_dir):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
  env[dataset_files.DATA_ENV] = data_dir
  result = subprocess.run([sys.executable, "-c", _LOAD_SNIPPET, name], env=env,
                          capture_output=True, text=True, check=False)
  if result.returncode != 0:
    raise RuntimeError("Loading {} failed:\n{}".format(name, result.stderr[-3000:]))
  return json.loads(result.stdout.strip().splitlines()[-1])


def _physical_memory_gb():
  return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9


def _generate(label, write, path, regenerate):
  if os.path.exists(path) and not regenerate:
    print("{}: using existing {} (pass --regenerate to time its generation)".format(
        label, path))
    return None
  start = time.time()
  write()
  return time.time() - start


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--data_dir", default=None,
                      help="Data root (default: $DISENTANGLEMENT_LIB_DATA, else '.').")
  parser.add_argument("--datasets", default="synthetic_squares,dsprites,shapes3d")
  parser.add_argument("--skip_generation", action="store_true")
  parser.add_argument("--shapes3d_format", choices=("npz", "h5"), default="npz",
                      help="Stand-in to write and time; the loader reads dlib's "
                      "npz if present, else 3dshapes.h5.")
  parser.add_argument("--regenerate", action="store_true",
                      help="Rewrite existing stand-ins (only stand-ins).")
  args = parser.parse_args(argv)
  root = os.path.abspath(
      args.data_dir if args.data_dir is not None else dataset_files.data_dir())
  names = args.datasets.split(",")
  rows = []
  if "synthetic_squares" in names:
    for name in ("synthetic_squares", "synthetic_squares_32"):
      figures = _load_in_subprocess(name, root)
      rows.append((name, None, None, figures))
  if "dsprites" in names:
    path = dataset_files.dsprites_path(root)
    seconds = None if args.skip_generation else _generate(
        "dsprites", lambda: standin_data.dsprites.write_dsprites(
            root, overwrite=True), path, args.regenerate)
    rows.append(("dsprites_full", seconds, os.path.getsize(path),
                 _load_in_subprocess("dsprites_full", root)))
  if "shapes3d" in names:
    path = (dataset_files.shapes3d_npz_path(root) if args.shapes3d_format == "npz"
            else dataset_files.shapes3d_h5_path(root))
    seconds = None if args.skip_generation else _generate(
        "shapes3d", lambda: standin_data.shapes3d.write_shapes3d(
            root, overwrite=True, file_format=args.shapes3d_format), path,
        args.regenerate)
    figures = _load_in_subprocess("shapes3d", root)
    rows.append(("shapes3d ({})".format(os.path.basename(path)[-3:].strip(".")),
                 seconds, os.path.getsize(path), figures))
    num_bytes = dataset_files.SHAPES3D_NUM_IMAGES * int(np.prod(dataset_files.SHAPES3D_IMAGE_SHAPE))
    print("dlib's shapes3d.Shapes3D (computed): images float32 {:.1f} GB held; peak "
          "during its conversion >= uint8 {:.1f} + astype {:.1f} + /255. {:.1f} = "
          "{:.1f} GB; this machine has {:.1f} GB".format(
              4 * num_bytes / 1e9, num_bytes / 1e9, 4 * num_bytes / 1e9,
              4 * num_bytes / 1e9, 9 * num_bytes / 1e9, _physical_memory_gb()))
  print("\n{:<22} {:>10} {:>10} {:>9} {:>11} {:>10} {:>9}  {}".format(
      "dataset", "gen_s", "disk_MB", "load_s", "peak_RSS_GB", "images_GB",
      "batch64_s", "grid"))
  for name, seconds, size, figures in rows:
    print("{:<22} {:>10} {:>10} {:>9.1f} {:>11.2f} {:>10} {:>9.4f}  {}".format(
        name, "-" if seconds is None else "{:.1f}".format(seconds),
        "-" if size is None else "{:.1f}".format(size / 1e6), figures["load_s"],
        figures["peak_rss_gb"],
        "-" if figures["images_gb"] is None else "{:.2f} ({})".format(
            figures["images_gb"], figures["images_dtype"]),
        figures["batch64_s"], figures["factors_num_values"]))
  return 0


if __name__ == "__main__":
  sys.exit(main())

"""Writes procedural stand-ins for dSprites and Shapes3D where dlib looks for them.

The files have the official names, keys, dtypes and shapes, but hold PROCEDURAL
renderings (mine_plugin.data.standin_data), not the real data sets; each is marked as a
stand-in and loading one prints a warning. An existing file is never replaced,
except a stand-in with --overwrite.

  python scripts/make_standin_data.py --dataset=dsprites --data_dir=/path/to/data
  python scripts/make_standin_data.py --dataset=shapes3d --shapes3d_format=npz
  python scripts/make_standin_data.py --dataset=all --overwrite

Real data: https://github.com/deepmind/dsprites-dataset and
https://github.com/deepmind/3d-shapes.
"""
import argparse
import os
import sys
import time

from mine_plugin.data import dataset_files
from mine_plugin.data import standin_data


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--dataset", choices=("dsprites", "shapes3d", "all"),
                      required=True)
  parser.add_argument("--data_dir", default=None,
                      help="Data root (default: $DISENTANGLEMENT_LIB_DATA, else '.').")
  parser.add_argument("--shapes3d_format", choices=("npz", "h5", "both"),
                      default="npz",
                      help="npz: dlib's file (read by dlib and the plugin); h5: the "
                      "official 3dshapes.h5 (read by the plugin).")
  parser.add_argument("--overwrite", action="store_true",
                      help="Replace an existing stand-in (never other files).")
  args = parser.parse_args(argv)
  root = args.data_dir if args.data_dir is not None else dataset_files.data_dir()
  jobs = []
  if args.dataset in ("dsprites", "all"):
    jobs.append(("dSprites", lambda: standin_data.dsprites.write_dsprites(
        root, overwrite=args.overwrite)))
  if args.dataset in ("shapes3d", "all"):
    formats = (("npz", "h5") if args.shapes3d_format == "both"
               else (args.shapes3d_format,))
    for file_format in formats:
      jobs.append(("Shapes3D ({})".format(file_format),
                   lambda f=file_format: standin_data.shapes3d.write_shapes3d(
                       root, overwrite=args.overwrite, file_format=f)))
  for name, write in jobs:
    start = time.time()
    try:
      path = write()
    except FileExistsError as error:
      print("error: {}".format(error), file=sys.stderr)
      return 1
    print("{}: wrote PROCEDURAL STAND-IN {} ({:.1f} MB) in {:.1f} s".format(
        name, path, os.path.getsize(path) / 1e6, time.time() - start))
  print("These are not the real data sets; set DISENTANGLEMENT_LIB_DATA={} for dlib "
        "to find them.".format(os.path.abspath(root)))
  return 0


if __name__ == "__main__":
  sys.exit(main())

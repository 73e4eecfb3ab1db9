"""Procedural stand-ins for dSprites and Shapes3D, written in their official formats.

The real data sets cannot always be downloaded (offline machines, CI). The writers
here render procedural look-alikes that follow each data set's published generative
description and store them in the files, keys, dtypes and shapes that
disentanglement_lib (dlib) reads (`mine_plugin.data.dataset_files`), so that dlib's
unmodified loaders and the plugin's own loaders accept them: `dsprites.py` (full
grid, dlib's file) and `shapes3d.py` (dlib's npz and/or the official h5, full or
reduced grid); `writing.py` holds what both need.

A stand-in is never the real data and says so everywhere: each file holds the extra
key (npz) or root attribute (h5) `dataset_files.STANDIN_MARKER`, dSprites' `metadata`
description says so, a text file `<file>` + `dataset_files.STANDIN_README_SUFFIX` is
written next to it, and the plugin's loaders emit a `StandinDataWarning` when they
load one. A writer never replaces a file that is already there, unless it is one of
these stand-ins and `overwrite=True`.

Files are streamed chunk by chunk into a temporary file that is renamed into place
at the end, so peak memory stays at one chunk (< 1 GB) and a reader never sees a
half-written file.

The loaders never import this package; it imports no TensorFlow.
"""
from mine_plugin.data import dataset_files
from mine_plugin.data.standin_data import dsprites
from mine_plugin.data.standin_data import shapes3d

# `dataset_files.file_data_set(dataset_name)` -> the writer of its stand-in; called with
# (root=None, overwrite=False) it writes the file that the loader looks for first.
WRITERS = {
    "dsprites": dsprites.write_dsprites,
    "shapes3d": shapes3d.write_shapes3d,
}

"""Procedural stand-ins for dSprites and Shapes3D, written in their official formats.

Each is marked (`dataset_files.STANDIN_MARKER`, a README beside it, a
`StandinDataWarning` on load), replaces only a stand-in and only with
`overwrite=True`, and is streamed into a temporary file renamed into place at the end
(< 1 GB peak memory). No TensorFlow.
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

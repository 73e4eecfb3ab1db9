"""The plugin's `dataset.name`s: the one place where they are registered with dlib.

`FACTORIES` is consulted before dlib's closed if/elif chain (`with_plugin_datasets`,
wrapped by `mine_plugin.registration`), so the names exist wherever dlib's do.
"""
import functools

from mine_plugin.data.ground_truth import celeba
from mine_plugin.data.ground_truth import dsprites
from mine_plugin.data.ground_truth import shapes3d
from mine_plugin.data.ground_truth import synthetic_squares

# `dataset.name` -> the function that builds the data set.
FACTORIES = {
    "synthetic_squares": synthetic_squares.synthetic_squares,
    "synthetic_squares_32": synthetic_squares.synthetic_squares_32,
    "shapes3d": shapes3d.shapes3d,
    "celeba": celeba.celeba,
    "dsprites_full": dsprites.dsprites_full,
    "dsprites_noshape": dsprites.dsprites_noshape,
    "color_dsprites": dsprites.color_dsprites,
    "noisy_dsprites": dsprites.noisy_dsprites,
}


def with_plugin_datasets(get_named_ground_truth_data):
  """dlib's `get_named_ground_truth_data`, which also knows `FACTORIES`' names."""

  @functools.wraps(get_named_ground_truth_data)
  def with_plugin_names(name):
    if name in FACTORIES:
      return FACTORIES[name]()
    try:
      return get_named_ground_truth_data(name)
    except ValueError as error:
      if str(error) != "Invalid data set name.":
        raise
      raise ValueError(
          "Invalid data set name {!r}. Valid names: dlib's dsprites_full, "
          "dsprites_noshape, color_dsprites, noisy_dsprites, scream_dsprites, "
          "smallnorb, cars3d, mpi3d_toy, mpi3d_realistic, mpi3d_real, shapes3d, "
          "dummy_data; mine_plugin's {}.".format(
              name, ", ".join(sorted(FACTORIES)))) from None

  return with_plugin_names

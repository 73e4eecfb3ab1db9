"""The plugin's `dataset.name`s: the one place where they are registered with dlib.

dlib's `named_data.get_named_ground_truth_data` is a closed if/elif chain; gin
registers it wrapped by `with_plugin_datasets` (`mine_plugin.registration`), which
looks the plugin's names up in `FACTORIES` first. This module is therefore loaded
with dlib's `named_data`, and its names (and the `synthetic_squares.*` gin
parameters) exist wherever dlib's do.

==========================  ===================================================
`dataset.name`              returns
==========================  ===================================================
`synthetic_squares`         `SyntheticSquares(image_size=64)`: 64x64x1, for dlib's
                            `conv_encoder`/`deconv_decoder`.
`synthetic_squares_32`      `SyntheticSquares(image_size=32)`: 32x32x1, for
                            `conv_encoder_32`/`deconv_decoder_32`.
`shapes3d`                  `Shapes3D`: dlib's Shapes3D factors and observations,
                            kept as uint8 in memory (~5.9 GB instead of ~23.6 GB);
                            replaces dlib's name.
`celeba`                    `CelebA`: the user's CelebA at 64x64x3, its 40
                            attributes as binary factors (`celeba.*`: split,
                            pre-processing, cache directory).
`dsprites_full`,            dlib's own `dsprites.DSprites`/`ColorDSprites`/
`dsprites_noshape`,         `NoisyDSprites`, unchanged, after checking that the
`color_dsprites`,           file exists and has the expected shapes (one clear
`noisy_dsprites`            message otherwise).
==========================  ===================================================

The files each name reads: `mine_plugin.data.dataset_files.dataset_files(name)`.
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

"""The plugin's `dataset.name`s: the one place where they are registered with dlib.

dlib's `named_data.get_named_ground_truth_data` is a closed if/elif chain;
`mine_plugin.compat` extends it with `compat.PLUGIN_DATASETS`, which this module
fills. `mine_plugin/__init__.py` imports this module right after dlib's
`named_data`, so the names (and the `synthetic_squares.*` gin parameters) exist
wherever dlib's do.

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

The files each name reads: `mine_plugin.data.files.dataset_files(name)`.
"""
from mine_plugin import compat
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

compat.PLUGIN_DATASETS.update({
    name: "{}:{}".format(factory.__module__, factory.__name__)
    for name, factory in FACTORIES.items()})

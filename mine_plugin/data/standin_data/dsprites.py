"""Procedural dSprites stand-in (after Matthey et al. 2017), in the file dlib reads."""
import os

import numpy as np

from mine_plugin.data import dataset_files
from mine_plugin.data.standin_data import writing


def dsprites_factor_values():
  """dSprites latent values, as in the official file's metadata.

  Matthey et al. 2017 (dsprites-dataset README): color white (1), shape in
  {1: square, 2: ellipse, 3: heart}, scale 6 values in [0.5, 1], orientation 40
  values in [0, 2 pi] (both end points, as in the official file), posX and posY 32
  values in [0, 1].
  """
  (num_colors, num_shapes, num_scales, num_orientations, num_x,
   num_y) = dataset_files.DSPRITES_FACTOR_SIZES
  return (np.ones(num_colors), np.arange(1., num_shapes + 1.),
          np.linspace(0.5, 1., num_scales),
          np.linspace(0., 2. * np.pi, num_orientations), np.linspace(0., 1., num_x),
          np.linspace(0., 1., num_y))


# Sprite size: at scale 1 the sprites span ~20 pixels, and posX/posY in [0, 1] move
# the centre over [_MARGIN, 63 - _MARGIN], so rotated sprites at
# scale 1 stay within the 64x64 frame, as in the official images.
_RADIUS = 10.
_MARGIN = 11.
_PATCH = 24  # Side of the window around the centre that a sprite covers.


def _inside_dsprites_shape(shape, u, v):
  """Whether sprite-frame points (u, v) (units of the sprite radius) are inside.

  Shapes of dSprites: 1 square, 2 ellipse (elongated so orientation shows), 3 heart
  (the implicit heart curve (x^2 + y^2 - 1)^3 - x^2 y^3 <= 0, rescaled to ~unit
  extent and pointing down in the sprite frame).
  """
  if shape == 1:
    half_side = 0.8  # Area close to the ellipse's and the heart's.
    return (np.abs(u) <= half_side) & (np.abs(v) <= half_side)
  if shape == 2:
    return u * u + 4. * v * v <= 1.  # Semi-axes 1 and 1/2.
  if shape == 3:
    x, y = u * 1.2, -(v * 1.2) + 0.15
    x2 = x * x
    t = x2 + y * y - 1.
    # Products, not `** 3`: numpy's pow is ~10x slower on large arrays.
    return t * t * t <= x2 * y * y * y
  raise ValueError("Unknown dSprites shape {}.".format(shape))


def render_dsprites_block(shape, scale, orientation, pos_x, pos_y):
  """Binary images of one sprite at every (posX, posY), as dSprites stores them.

  Args:
    shape: 1 (square), 2 (ellipse) or 3 (heart).
    scale: sprite scale in [0.5, 1].
    orientation: rotation in radians.
    pos_x: (num_x,) positions in [0, 1] (image columns, left to right).
    pos_y: (num_y,) positions in [0, 1] (image rows, top to bottom).

  Returns:
    uint8 array (num_x * num_y, 64, 64) with values in {0, 1}, posY fastest (the
    official order of the last two latents).
  """
  side, half = dataset_files.DSPRITES_IMAGE_SHAPE[0], _PATCH // 2
  span = side - 1 - 2 * _MARGIN
  # Pixel centres sit at integer coordinates; the sprite centre is sub-pixel.
  centres_x = _MARGIN + np.asarray(pos_x, np.float64) * span
  centres_y = _MARGIN + np.asarray(pos_y, np.float64) * span
  origin_x = np.floor(centres_x).astype(np.int64) - half + 1
  origin_y = np.floor(centres_y).astype(np.int64) - half + 1
  offsets = np.arange(_PATCH)
  # dx: (num_x, patch) column offsets from each centre; dy likewise for rows.
  dx = (origin_x[:, None] + offsets[None, :]) - centres_x[:, None]
  dy = (origin_y[:, None] + offsets[None, :]) - centres_y[:, None]
  radius = _RADIUS * scale
  cos, sin = np.cos(orientation), np.sin(orientation)
  # Rotate the image offsets by -orientation into the sprite frame; shape
  # (num_x, num_y, patch_rows, patch_cols).
  dx4 = (dx[:, None, None, :] / radius).astype(np.float32)
  dy4 = (dy[None, :, :, None] / radius).astype(np.float32)
  u = cos * dx4 + sin * dy4
  v = -sin * dx4 + cos * dy4
  patches = _inside_dsprites_shape(shape, u, v)
  num_x, num_y = len(centres_x), len(centres_y)
  # Paste each patch into a padded canvas, then crop to the 64x64 frame.
  pad = _PATCH
  canvas = np.zeros((num_x, num_y, side + 2 * pad, side + 2 * pad), np.uint8)
  rows = (origin_y[None, :, None, None] + offsets[None, None, :, None] + pad)
  cols = (origin_x[:, None, None, None] + offsets[None, None, None, :] + pad)
  canvas[np.arange(num_x)[:, None, None, None], np.arange(num_y)[None, :, None, None],
         rows, cols] = patches
  return canvas[:, :, pad:pad + side, pad:pad + side].reshape(num_x * num_y, side,
                                                              side)


_DETAILS = ("White sprites (square, ellipse, heart) on black, rendered after "
            "Matthey et al. 2017; full 1x3x6x40x32x32 grid.")


def write_dsprites(root=None, overwrite=False, compress=True):
  """Writes the dSprites stand-in (full 3x6x40x32x32 grid) where dlib reads it.

  Args:
    root: data root; defaults to $DISENTANGLEMENT_LIB_DATA (or '.').
    overwrite: replace an existing stand-in (never a file that is not one).
    compress: deflate the npz like the official file (np.savez_compressed).

  Returns:
    The path written.
  """
  path = dataset_files.dsprites_path(root)
  writing.check_target(path, overwrite, "dSprites")
  os.makedirs(os.path.dirname(path), exist_ok=True)
  values = dsprites_factor_values()
  classes, latents_values = writing.factor_grid(values)
  metadata = {
      "title": "dSprites procedural stand-in (mine_plugin)",
      "description": writing.STANDIN_NOTE.format(name="dSprites") + " " + _DETAILS,
      "version": "mine_plugin-standin-1",
      "latents_names": dataset_files.DSPRITES_FACTOR_NAMES,
      "latents_possible_values": dict(zip(dataset_files.DSPRITES_FACTOR_NAMES, values)),
      "latents_sizes": np.array(dataset_files.DSPRITES_FACTOR_SIZES, dtype=np.int64),
      "author": "mine_plugin (procedural)",
  }
  _, shapes, scales, orientations, pos_x, pos_y = values

  def image_chunks():
    for shape in shapes:
      for scale in scales:
        for orientation in orientations:
          yield render_dsprites_block(int(shape), scale, orientation, pos_x, pos_y)

  with writing.npz_writer(path, compress) as add:
    add("imgs", image_chunks(),
        shape=(dataset_files.DSPRITES_NUM_IMAGES,) + dataset_files.DSPRITES_IMAGE_SHAPE,
        dtype=np.uint8)
    add("latents_classes", classes)
    add("latents_values", latents_values)
    add("metadata", np.array(metadata, dtype=object))
    add(dataset_files.STANDIN_MARKER, np.array(writing.STANDIN_NOTE.format(name="dSprites")))
  writing.write_readme(path, "dSprites", _DETAILS)
  return path

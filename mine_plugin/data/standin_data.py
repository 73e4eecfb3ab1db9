"""Procedural stand-ins for dSprites and Shapes3D, written in their official formats.

The real data sets cannot always be downloaded (offline machines, CI). The writers
here render procedural look-alikes that follow each data set's published generative
description and store them in the files, keys, dtypes and shapes that
disentanglement_lib (dlib) reads, so that dlib's unmodified loaders and the plugin's
own loaders accept them:

* dSprites (Matthey et al. 2017, https://github.com/deepmind/dsprites-dataset):
  `$DISENTANGLEMENT_LIB_DATA/dsprites/dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz`
  with `imgs` uint8 (737280, 64, 64) in {0, 1}, `latents_values` float64 (737280, 6),
  `latents_classes` int64 (737280, 6) and the pickled `metadata` dict
  (`latents_sizes` = [1, 3, 6, 40, 32, 32], ...), as read by dlib's `dsprites.DSprites`.
* Shapes3D (Burgess & Kim 2018, https://github.com/deepmind/3d-shapes):
  dlib's `$DISENTANGLEMENT_LIB_DATA/3dshapes/look-at-object-room_floor-hueXwall-hueX
  obj-hueXobj-sizeXobj-shapeXview-azi.npz` with `images` uint8
  (10, 10, 10, 8, 4, 15, 64, 64, 3) and `labels` float64 (10, 10, 10, 8, 4, 15, 6),
  as read by dlib's `shapes3d.Shapes3D`, and/or the official
  `$DISENTANGLEMENT_LIB_DATA/3dshapes/3dshapes.h5` with `images` uint8
  (480000, 64, 64, 3) and `labels` float64 (480000, 6).

A stand-in is never the real data and says so everywhere: each file holds the extra
key (npz) or root attribute (h5) `STANDIN_MARKER`, dSprites' `metadata` description
says so, a text file `<file>.MINE_PLUGIN_STANDIN_README.txt` is written next to it,
and the plugin's loaders emit a `StandinDataWarning` when they load one. A writer
never replaces a file that is already there, unless it is one of these stand-ins
and `overwrite=True`.

Files are streamed chunk by chunk into a temporary file that is renamed into place
at the end, so peak memory stays at one chunk (< 1 GB) and a reader never sees a
half-written file.
"""
import contextlib
import os
import zipfile

import numpy as np

# Key (npz member) / attribute (h5) that marks a file as a procedural stand-in.
STANDIN_MARKER = "mine_plugin_standin"
# Suffix of the text file written next to each stand-in data file.
STANDIN_README_SUFFIX = ".MINE_PLUGIN_STANDIN_README.txt"
# What the marker holds.
STANDIN_NOTE = ("PROCEDURAL STAND-IN written by mine_plugin.data.standin_data; NOT the "
                "real {name} data set. Scores on it are not comparable with "
                "published results.")

DATA_ENV = "DISENTANGLEMENT_LIB_DATA"

DSPRITES_RELATIVE_PATH = os.path.join(
    "dsprites", "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz")
SHAPES3D_NPZ_RELATIVE_PATH = os.path.join(
    "3dshapes", "look-at-object-room_floor-hueXwall-hueXobj-hueXobj-sizeXobj-"
    "shapeXview-azi.npz")
SHAPES3D_H5_RELATIVE_PATH = os.path.join("3dshapes", "3dshapes.h5")

# dSprites (Matthey et al. 2017): color, shape, scale, orientation, posX, posY.
DSPRITES_LATENTS_NAMES = ("color", "shape", "scale", "orientation", "posX", "posY")
DSPRITES_FACTOR_SIZES = (1, 3, 6, 40, 32, 32)
DSPRITES_NUM_IMAGES = int(np.prod(DSPRITES_FACTOR_SIZES))

# Shapes3D (Burgess & Kim 2018): floor hue, wall hue, object hue, scale, shape,
# orientation.
SHAPES3D_FACTOR_NAMES = ("floor_hue", "wall_hue", "object_hue", "scale", "shape",
                         "orientation")
SHAPES3D_FACTOR_SIZES = (10, 10, 10, 8, 4, 15)
SHAPES3D_NUM_IMAGES = int(np.prod(SHAPES3D_FACTOR_SIZES))


def data_dir():
  """The data root dlib uses, read now (dlib's modules read it once, at import)."""
  return os.environ.get(DATA_ENV, ".")


def dsprites_path(root=None):
  return os.path.join(data_dir() if root is None else root, DSPRITES_RELATIVE_PATH)


def shapes3d_npz_path(root=None):
  return os.path.join(data_dir() if root is None else root,
                      SHAPES3D_NPZ_RELATIVE_PATH)


def shapes3d_h5_path(root=None):
  return os.path.join(data_dir() if root is None else root, SHAPES3D_H5_RELATIVE_PATH)


def is_standin(path):
  """True if `path` is a stand-in written here (reads the marker only)."""
  if path.endswith(".h5"):
    import h5py  # pylint: disable=g-import-not-at-top
    with h5py.File(path, "r") as h5_file:
      return STANDIN_MARKER in h5_file.attrs
  with zipfile.ZipFile(path) as zip_file:
    return STANDIN_MARKER + ".npy" in zip_file.namelist()


def dsprites_factor_values():
  """dSprites latent values, as in the official file's metadata.

  Matthey et al. 2017 (dsprites-dataset README): color white (1), shape in
  {1: square, 2: ellipse, 3: heart}, scale 6 values in [0.5, 1], orientation 40
  values in [0, 2 pi] (both end points, as in the official file), posX and posY 32
  values in [0, 1].
  """
  return (np.array([1.]), np.array([1., 2., 3.]), np.linspace(0.5, 1., 6),
          np.linspace(0., 2. * np.pi, 40), np.linspace(0., 1., 32),
          np.linspace(0., 1., 32))


def shapes3d_factor_values():
  """Shapes3D label values, as in the official `labels` array.

  Burgess & Kim 2018 (3d-shapes README): floor, wall and object hue 10 values each
  in [0, 1) (0.0, 0.1, ..., 0.9); scale 8 values in [0.75, 1.25]; shape 4 values
  (0 cube, 1 cylinder, 2 sphere, 3 capsule); orientation 15 values in [-30, 30]
  degrees.
  """
  hues = np.arange(10) / 10.
  return (hues, hues.copy(), hues.copy(), np.linspace(0.75, 1.25, 8),
          np.arange(4, dtype=np.float64), np.linspace(-30., 30., 15))


def _subgrid(values, size):
  """`size` values of `values`, evenly spaced and including both ends."""
  if not 1 <= size <= len(values):
    raise ValueError("A reduced grid needs between 1 and {} values for this factor, "
                     "got {}.".format(len(values), size))
  return values[np.round(np.linspace(0, len(values) - 1, size)).astype(int)]


def _factor_grid(factor_values):
  """(prod(sizes), num_factors) classes and values, last factor fastest."""
  sizes = [len(v) for v in factor_values]
  classes = np.stack(np.meshgrid(*[np.arange(s) for s in sizes], indexing="ij"),
                     axis=-1).reshape(-1, len(sizes))
  values = np.stack([v[classes[:, j]] for j, v in enumerate(factor_values)], axis=1)
  return classes.astype(np.int64), values.astype(np.float64)


# ----------------------------------------------------------------------------
# dSprites renderer.

# Sprite size: at scale 1 the sprites span ~20 pixels, and posX/posY in [0, 1] move
# the centre over [_DSPRITES_MARGIN, 63 - _DSPRITES_MARGIN], so rotated sprites at
# scale 1 stay within the 64x64 frame, as in the official images.
_DSPRITES_RADIUS = 10.
_DSPRITES_MARGIN = 11.
_DSPRITES_PATCH = 24  # Side of the window around the centre that a sprite covers.


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
  side, half = 64, _DSPRITES_PATCH // 2
  span = side - 1 - 2 * _DSPRITES_MARGIN
  # Pixel centres sit at integer coordinates; the sprite centre is sub-pixel.
  centres_x = _DSPRITES_MARGIN + np.asarray(pos_x, np.float64) * span
  centres_y = _DSPRITES_MARGIN + np.asarray(pos_y, np.float64) * span
  origin_x = np.floor(centres_x).astype(np.int64) - half + 1
  origin_y = np.floor(centres_y).astype(np.int64) - half + 1
  offsets = np.arange(_DSPRITES_PATCH)
  # dx: (num_x, patch) column offsets from each centre; dy likewise for rows.
  dx = (origin_x[:, None] + offsets[None, :]) - centres_x[:, None]
  dy = (origin_y[:, None] + offsets[None, :]) - centres_y[:, None]
  radius = _DSPRITES_RADIUS * scale
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
  pad = _DSPRITES_PATCH
  canvas = np.zeros((num_x, num_y, side + 2 * pad, side + 2 * pad), np.uint8)
  rows = (origin_y[None, :, None, None] + offsets[None, None, :, None] + pad)
  cols = (origin_x[:, None, None, None] + offsets[None, None, None, :] + pad)
  canvas[np.arange(num_x)[:, None, None, None], np.arange(num_y)[None, :, None, None],
         rows, cols] = patches
  return canvas[:, :, pad:pad + side, pad:pad + side].reshape(num_x * num_y, side,
                                                              side)


# ----------------------------------------------------------------------------
# Shapes3D renderer.

_SHAPES3D_SIDE = 64
_SHAPES3D_SUPERSAMPLING = 4
# Colours: HSV with these saturation/value (the official scenes are vivid).
_SATURATION, _VALUE = 0.75, 0.9


def hue_to_rgb(hue):
  """RGB in [0, 1] of HSV colour (hue, _SATURATION, _VALUE); hue in [0, 1)."""
  hue = np.asarray(hue, np.float64)
  # Standard HSV -> RGB (Smith 1978): channel k uses (k + 6 hue) mod 6.
  channel_offsets = np.array([5., 3., 1.])
  k = (channel_offsets + 6. * hue[..., None]) % 6.
  return _VALUE - _VALUE * _SATURATION * np.clip(np.minimum(k, 4. - k), 0., 1.)


def _pixel_grid(side, supersampling):
  """Sub-pixel sample coordinates in [0, 1): (side*ss, side*ss) x and y arrays."""
  coords = (np.arange(side * supersampling) + 0.5) / (side * supersampling)
  return np.meshgrid(coords, coords, indexing="xy")


def _downsample(array, supersampling):
  """Averages supersampling x supersampling blocks of the last two axes."""
  *lead, height, width = array.shape
  return array.reshape(*lead, height // supersampling, supersampling,
                       width // supersampling, supersampling).mean(axis=(-3, -1))


def shapes3d_background(azimuth_degrees):
  """Floor mask and shading of the room seen from camera azimuth `azimuth_degrees`.

  The scene of Burgess & Kim 2018: an object on the floor of a room, walls behind
  it. The camera turns about the object, so the room's back corner moves sideways
  with the azimuth and the two wall planes and the floor/wall boundary skew with it.

  Returns:
    floor: (64, 64) floor coverage in [0, 1] (1 - floor is wall).
    floor_shade, wall_shade: (64, 64) brightness factors.
  """
  x, y = _pixel_grid(_SHAPES3D_SIDE, _SHAPES3D_SUPERSAMPLING)
  corner_x = 0.5 - 0.3 * azimuth_degrees / 30.
  # The corner is the farthest point of the floor, so its boundary is highest there.
  boundary_y = 0.52 + 0.25 * np.abs(x - corner_x)
  floor = (y >= boundary_y).astype(np.float64)
  floor_shade = 0.7 + 0.3 * np.clip((y - 0.5) / 0.5, 0., 1.)
  wall_shade = np.where(x < corner_x, 0.78, 1.0) * (0.9 + 0.1 * y)
  floor_shade = floor_shade * floor
  wall_shade = wall_shade * (1. - floor)
  return (_downsample(floor, _SHAPES3D_SUPERSAMPLING),
          _downsample(floor_shade, _SHAPES3D_SUPERSAMPLING),
          _downsample(wall_shade, _SHAPES3D_SUPERSAMPLING))


def shapes3d_object(shape, scale, azimuth_degrees):
  """Silhouette (coverage) and shading of the object, as seen by the camera.

  Shapes of Burgess & Kim 2018: 0 cube (two visible faces whose widths follow the
  azimuth, plus a lit top), 1 cylinder (flat side, elliptic lit top), 2 sphere
  (disc), 3 capsule (lying pill whose apparent length follows the azimuth). The
  light is fixed in the room, so the highlight moves with the azimuth (Lambert
  shading of the visible surface normal).

  Returns:
    alpha: (64, 64) object coverage in [0, 1].
    shade: (64, 64) brightness factors of the object (0 where alpha is 0).
  """
  x, y = _pixel_grid(_SHAPES3D_SIDE, _SHAPES3D_SUPERSAMPLING)
  azimuth = np.deg2rad(azimuth_degrees)
  size = 0.4 * scale  # Object height in image units.
  centre_x, base_y = 0.5, 0.88
  light = np.sin(azimuth - 0.6)  # Horizontal light direction seen by the camera.
  dx = x - centre_x
  if shape == 0:  # Cube: rotate a square footprint by the azimuth.
    face_a = size * abs(np.cos(azimuth + np.pi / 4.)) / np.sqrt(2.) * 2.
    face_b = size * abs(np.sin(azimuth + np.pi / 4.)) / np.sqrt(2.) * 2.
    left, right = -(face_a + face_b) / 2., (face_a + face_b) / 2.
    top = base_y - size
    cap = 0.18 * size
    side = (dx >= left) & (dx <= right) & (y <= base_y) & (y >= top)
    lid = (dx >= left) & (dx <= right) & (y < top) & (y >= top - cap)
    alpha = (side | lid).astype(np.float64)
    on_a = dx < left + face_a
    shade = np.where(lid, 1.0, np.where(on_a, 0.75 + 0.2 * light, 0.75 - 0.2 * light))
  elif shape == 1:  # Cylinder.
    radius = size / 2.
    top = base_y - size
    cap = 0.18 * size
    body = (np.abs(dx) <= radius) & (y <= base_y) & (y >= top)
    lid = (dx / radius) ** 2 + ((y - top) / cap) ** 2 <= 1.
    alpha = (body | lid).astype(np.float64)
    normal_x = np.clip(dx / radius, -1., 1.)
    lambert = np.sqrt(1. - normal_x ** 2) * 0.8 + normal_x * light * 0.6
    shade = np.where(lid & (y < top), 1.0, 0.45 + 0.55 * np.clip(lambert, 0., 1.))
  elif shape == 2:  # Sphere.
    radius = size / 2.
    centre_y = base_y - radius
    rx, ry = dx / radius, (y - centre_y) / radius
    alpha = (rx ** 2 + ry ** 2 <= 1.).astype(np.float64)
    normal_z = np.sqrt(np.clip(1. - rx ** 2 - ry ** 2, 0., 1.))
    lambert = 0.7 * normal_z + 0.5 * light * rx - 0.4 * ry
    shade = 0.45 + 0.55 * np.clip(lambert, 0., 1.)
  elif shape == 3:  # Capsule lying on the floor, axis turned by the azimuth.
    radius = size / 3.
    half_length = size * (0.25 + 0.55 * abs(np.cos(azimuth)))
    centre_y = base_y - radius
    ax = np.clip(dx, -half_length, half_length)
    rx, ry = (dx - ax) / radius, (y - centre_y) / radius
    alpha = (rx ** 2 + ry ** 2 <= 1.).astype(np.float64)
    lambert = 0.8 * np.sqrt(np.clip(1. - ry ** 2, 0., 1.)) - 0.3 * ry + 0.3 * light * rx
    shade = 0.45 + 0.55 * np.clip(lambert, 0., 1.)
  else:
    raise ValueError("Unknown Shapes3D shape {}.".format(shape))
  shade = np.clip(shade, 0., 1.) * alpha
  alpha_small = _downsample(alpha, _SHAPES3D_SUPERSAMPLING)
  shade_small = _downsample(shade, _SHAPES3D_SUPERSAMPLING)
  # Mean shade over the covered sub-samples.
  shade_small = np.where(alpha_small > 0, shade_small / np.maximum(alpha_small, 1e-9),
                         0.)
  return alpha_small, shade_small


class _Shapes3DRenderer(object):
  """Pre-renders the layers that the 6 factors combine (cheap: 15 + 480 maps)."""

  def __init__(self, factor_values):
    (self.floor_hues, self.wall_hues, self.object_hues, self.scales, self.shapes,
     self.azimuths) = factor_values
    backgrounds = [shapes3d_background(a) for a in self.azimuths]
    # (num_azimuths, 64, 64, 1) each.
    self.floor_shade = np.stack([b[1] for b in backgrounds])[..., None]
    self.wall_shade = np.stack([b[2] for b in backgrounds])[..., None]
    objects = [[[shapes3d_object(int(shape), scale, a) for a in self.azimuths]
                for shape in self.shapes] for scale in self.scales]
    # (num_scales, num_shapes, num_azimuths, 64, 64, 1).
    self.alpha = np.array([[[o[0] for o in row] for row in per_scale]
                           for per_scale in objects])[..., None]
    self.object_shade = np.array([[[o[1] for o in row] for row in per_scale]
                                  for per_scale in objects])[..., None]
    # The object term of every object hue, in 0..255 units, computed once:
    # (num_object_hues, num_scales, num_shapes, num_azimuths, 64, 64, 3).
    object_rgb = hue_to_rgb(self.object_hues)
    self.object_term = ((255. * self.alpha * self.object_shade)[None] * object_rgb[
        :, None, None, None, None, None, :]).astype(np.float32)
    self.alpha = self.alpha.astype(np.float32)

  def render(self, floor_index, wall_index):
    """uint8 images (objects, scales, shapes, azimuths, 64, 64, 3) for one room.

    Alpha compositing (Porter & Duff 1984, "over"): object colour times coverage
    plus background times (1 - coverage).
    """
    floor_rgb = hue_to_rgb(self.floor_hues[floor_index])
    wall_rgb = hue_to_rgb(self.wall_hues[wall_index])
    # (num_azimuths, 64, 64, 3)
    background = self.floor_shade * floor_rgb + self.wall_shade * wall_rgb
    # +0.5 so that truncation to uint8 rounds; the sum never exceeds 255.5 because
    # colour values are at most _VALUE < 1.
    background_term = ((1. - self.alpha) * (255. * background[None, None]) +
                       0.5).astype(np.float32)
    image = self.object_term + background_term[None]
    return image.astype(np.uint8)


# ----------------------------------------------------------------------------
# Writers.


def _check_target(path, overwrite, name):
  """Refuses to replace any file but one of our own stand-ins with overwrite=True."""
  if not os.path.exists(path):
    return
  try:
    ours = is_standin(path)
  except Exception:  # pylint: disable=broad-except
    ours = False  # Unreadable: not provably ours, so never touch it.
  if not ours:
    raise FileExistsError(
        "{} already exists and is not a mine_plugin stand-in (it may be the real {} "
        "data): refusing to overwrite it. Move it away first if you really want a "
        "stand-in there.".format(path, name))
  if not overwrite:
    raise FileExistsError(
        "{} already exists (a mine_plugin stand-in of {}). Pass --overwrite "
        "(overwrite=True) to write it again.".format(path, name))


def readme_path(path):
  """The text file that says `path` is a stand-in."""
  return path + STANDIN_README_SUFFIX


def _write_readme(path, name, details):
  with open(readme_path(path), "w") as f:
    f.write("{}\n\nFile: {}\n\n{}\n".format(
        STANDIN_NOTE.format(name=name), os.path.basename(path), details))


@contextlib.contextmanager
def _npz_writer(path, compress):
  """Yields `add(name, array_or_chunks, shape=None, dtype=None)` writing into `path`.

  An .npz is a zip of .npy files (numpy.lib.format); members are streamed so a
  multi-GB array never sits in memory. Written to `path + '.partial'`, then renamed.
  """
  partial = path + ".partial"
  compression = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
  try:
    with zipfile.ZipFile(partial, "w", compression=compression, allowZip64=True,
                         compresslevel=1 if compress else None) as zip_file:

      def add(name, data, shape=None, dtype=None):
        with zip_file.open(name + ".npy", "w", force_zip64=True) as member:
          if shape is None:  # A whole (small) array, possibly of objects.
            np.lib.format.write_array(member, np.asanyarray(data), allow_pickle=True)
            return
          header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                    "fortran_order": False, "shape": tuple(shape)}
          np.lib.format.write_array_header_2_0(member, header)
          written = 0
          for chunk in data:
            chunk = np.ascontiguousarray(chunk, dtype=dtype)
            member.write(chunk.tobytes())
            written += chunk.size
          if written != int(np.prod(shape)):
            raise RuntimeError("Wrote {} elements to {}, expected {}.".format(
                written, name, int(np.prod(shape))))

      yield add
    os.replace(partial, path)
  finally:
    if os.path.exists(partial):
      os.remove(partial)


_DSPRITES_DETAILS = ("White sprites (square, ellipse, heart) on black, rendered after "
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
  path = dsprites_path(root)
  _check_target(path, overwrite, "dSprites")
  os.makedirs(os.path.dirname(path), exist_ok=True)
  values = dsprites_factor_values()
  classes, latents_values = _factor_grid(values)
  metadata = {
      "title": "dSprites procedural stand-in (mine_plugin)",
      "description": STANDIN_NOTE.format(name="dSprites") + " " + _DSPRITES_DETAILS,
      "version": "mine_plugin-standin-1",
      "latents_names": DSPRITES_LATENTS_NAMES,
      "latents_possible_values": dict(zip(DSPRITES_LATENTS_NAMES, values)),
      "latents_sizes": np.array(DSPRITES_FACTOR_SIZES, dtype=np.int64),
      "author": "mine_plugin (procedural)",
  }
  _, shapes, scales, orientations, pos_x, pos_y = values

  def image_chunks():
    for shape in shapes:
      for scale in scales:
        for orientation in orientations:
          yield render_dsprites_block(int(shape), scale, orientation, pos_x, pos_y)

  with _npz_writer(path, compress) as add:
    add("imgs", image_chunks(), shape=(DSPRITES_NUM_IMAGES, 64, 64), dtype=np.uint8)
    add("latents_classes", classes)
    add("latents_values", latents_values)
    add("metadata", np.array(metadata, dtype=object))
    add(STANDIN_MARKER, np.array(STANDIN_NOTE.format(name="dSprites")))
  _write_readme(path, "dSprites", _DSPRITES_DETAILS)
  return path


def write_shapes3d(root=None, overwrite=False, file_format="npz", factor_sizes=None,
                   compress=False):
  """Writes the Shapes3D stand-in where dlib (npz) or users (h5) look for it.

  Args:
    root: data root; defaults to $DISENTANGLEMENT_LIB_DATA (or '.').
    overwrite: replace an existing stand-in (never a file that is not one).
    file_format: "npz" (dlib's file, factor axes kept: images (10, 10, 10, 8, 4, 15,
      64, 64, 3)) or "h5" (the official 3dshapes.h5: images (480000, 64, 64, 3)).
    factor_sizes: reduced grid for tests, e.g. (2, 2, 2, 2, 4, 3): that many
      evenly spaced official values of each factor. Only the plugin's Shapes3D
      reads reduced grids (dlib assumes the full one). Default: the full grid.
    compress: deflate the npz (smaller on disk, slower to write and read).

  Returns:
    The path written.
  """
  if file_format not in ("npz", "h5"):
    raise ValueError("file_format must be 'npz' (dlib's file) or 'h5' (official "
                     "3dshapes.h5), got {!r}.".format(file_format))
  full_values = shapes3d_factor_values()
  if factor_sizes is None:
    factor_sizes = SHAPES3D_FACTOR_SIZES
  if len(factor_sizes) != 6:
    raise ValueError("factor_sizes needs 6 entries (floor hue, wall hue, object hue, "
                     "scale, shape, orientation), got {}.".format(factor_sizes))
  values = tuple(_subgrid(v, s) for v, s in zip(full_values, factor_sizes))
  factor_sizes = tuple(len(v) for v in values)
  path = shapes3d_npz_path(root) if file_format == "npz" else shapes3d_h5_path(root)
  _check_target(path, overwrite, "Shapes3D")
  os.makedirs(os.path.dirname(path), exist_ok=True)
  _, labels = _factor_grid(values)
  renderer = _Shapes3DRenderer(values)
  num_images = int(np.prod(factor_sizes))

  def image_chunks():
    for floor_index in range(factor_sizes[0]):
      for wall_index in range(factor_sizes[1]):
        yield renderer.render(floor_index, wall_index)

  note = STANDIN_NOTE.format(name="Shapes3D")
  if file_format == "npz":
    with _npz_writer(path, compress) as add:
      add("images", image_chunks(), shape=factor_sizes + (64, 64, 3), dtype=np.uint8)
      add("labels", labels.reshape(factor_sizes + (6,)))
      add(STANDIN_MARKER, np.array(note))
  else:
    import h5py  # pylint: disable=g-import-not-at-top
    partial = path + ".partial"
    try:
      with h5py.File(partial, "w") as h5_file:
        images = h5_file.create_dataset("images", (num_images, 64, 64, 3), np.uint8)
        h5_file.create_dataset("labels", data=labels)
        h5_file.attrs[STANDIN_MARKER] = note
        start = 0
        for chunk in image_chunks():
          chunk = chunk.reshape(-1, 64, 64, 3)
          images[start:start + len(chunk)] = chunk
          start += len(chunk)
      os.replace(partial, path)
    finally:
      if os.path.exists(partial):
        os.remove(partial)
  _write_readme(path, "Shapes3D", (
      "Room (floor and walls coloured by hue, skewed by the camera azimuth) with one "
      "shaded object (cube, cylinder, sphere or capsule), rendered after Burgess & "
      "Kim 2018. Grid sizes: {}.".format(dict(zip(SHAPES3D_FACTOR_NAMES,
                                                   factor_sizes)))))
  return path

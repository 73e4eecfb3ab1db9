"""Procedural Shapes3D stand-in (after Burgess & Kim 2018): dlib's npz or the .h5."""
import os

import numpy as np

from mine_plugin.data import dataset_files
from mine_plugin.data.standin_data import writing
from mine_plugin.utils import atomic_write


def shapes3d_factor_values():
  """Shapes3D label values, as in the official `labels` array.

  Burgess & Kim 2018 (3d-shapes README): floor, wall and object hue 10 values each
  in [0, 1) (0.0, 0.1, ..., 0.9); scale 8 values in [0.75, 1.25]; shape 4 values
  (0 cube, 1 cylinder, 2 sphere, 3 capsule); orientation 15 values in [-30, 30]
  degrees.
  """
  (num_floor_hues, num_wall_hues, num_object_hues, num_scales, num_shapes,
   num_orientations) = dataset_files.SHAPES3D_FACTOR_SIZES
  return (np.arange(num_floor_hues) / num_floor_hues,
          np.arange(num_wall_hues) / num_wall_hues,
          np.arange(num_object_hues) / num_object_hues,
          np.linspace(0.75, 1.25, num_scales),
          np.arange(num_shapes, dtype=np.float64),
          np.linspace(-30., 30., num_orientations))


_SIDE = dataset_files.SHAPES3D_IMAGE_SHAPE[0]
_SUPERSAMPLING = 4
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
  x, y = _pixel_grid(_SIDE, _SUPERSAMPLING)
  corner_x = 0.5 - 0.3 * azimuth_degrees / 30.
  # The corner is the farthest point of the floor, so its boundary is highest there.
  boundary_y = 0.52 + 0.25 * np.abs(x - corner_x)
  floor = (y >= boundary_y).astype(np.float64)
  floor_shade = 0.7 + 0.3 * np.clip((y - 0.5) / 0.5, 0., 1.)
  wall_shade = np.where(x < corner_x, 0.78, 1.0) * (0.9 + 0.1 * y)
  floor_shade = floor_shade * floor
  wall_shade = wall_shade * (1. - floor)
  return (_downsample(floor, _SUPERSAMPLING),
          _downsample(floor_shade, _SUPERSAMPLING),
          _downsample(wall_shade, _SUPERSAMPLING))


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
  x, y = _pixel_grid(_SIDE, _SUPERSAMPLING)
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
  alpha_small = _downsample(alpha, _SUPERSAMPLING)
  shade_small = _downsample(shade, _SUPERSAMPLING)
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
    factor_sizes = dataset_files.SHAPES3D_FACTOR_SIZES
  if len(factor_sizes) != len(dataset_files.SHAPES3D_FACTOR_NAMES):
    raise ValueError("factor_sizes needs one entry per factor {}, got {}.".format(
        dataset_files.SHAPES3D_FACTOR_NAMES, factor_sizes))
  values = tuple(writing.subgrid(v, s) for v, s in zip(full_values, factor_sizes))
  factor_sizes = tuple(len(v) for v in values)
  path = (dataset_files.shapes3d_npz_path(root) if file_format == "npz"
          else dataset_files.shapes3d_h5_path(root))
  writing.check_target(path, overwrite, "Shapes3D")
  os.makedirs(os.path.dirname(path), exist_ok=True)
  _, labels = writing.factor_grid(values)
  renderer = _Shapes3DRenderer(values)
  num_images = int(np.prod(factor_sizes))

  def image_chunks():
    for floor_index in range(factor_sizes[0]):
      for wall_index in range(factor_sizes[1]):
        yield renderer.render(floor_index, wall_index)

  image_shape = dataset_files.SHAPES3D_IMAGE_SHAPE
  note = writing.STANDIN_NOTE.format(name="Shapes3D")
  if file_format == "npz":
    with writing.npz_writer(path, compress) as add:
      add("images", image_chunks(), shape=factor_sizes + image_shape, dtype=np.uint8)
      add("labels", labels.reshape(factor_sizes + (len(factor_sizes),)))
      add(dataset_files.STANDIN_MARKER, np.array(note))
  else:
    import h5py  # pylint: disable=g-import-not-at-top
    with atomic_write.atomic_path(path) as partial:
      with h5py.File(partial, "w") as h5_file:
        images = h5_file.create_dataset("images", (num_images,) + image_shape,
                                        np.uint8)
        h5_file.create_dataset("labels", data=labels)
        h5_file.attrs[dataset_files.STANDIN_MARKER] = note
        start = 0
        for chunk in image_chunks():
          chunk = chunk.reshape((-1,) + image_shape)
          images[start:start + len(chunk)] = chunk
          start += len(chunk)
  writing.write_readme(path, "Shapes3D", (
      "Room (floor and walls coloured by hue, skewed by the camera azimuth) with one "
      "shaded object (cube, cylinder, sphere or capsule), rendered after Burgess & "
      "Kim 2018. Grid sizes: {}.".format(dict(zip(dataset_files.SHAPES3D_FACTOR_NAMES,
                                                   factor_sizes)))))
  return path

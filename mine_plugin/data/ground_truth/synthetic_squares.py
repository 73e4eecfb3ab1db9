"""Synthetic squares, rendered in memory: `synthetic_squares` 64x64, `_32` 32x32."""
from disentanglement_lib.data.ground_truth import ground_truth_data
from disentanglement_lib.data.ground_truth import util
import gin
import numpy as np

# The factors of variation, in the order of `sample_factors`' columns.
FACTOR_NAMES = ("size", "intensity", "rotation")


@gin.configurable("synthetic_squares", denylist=["image_size"])
class SyntheticSquares(ground_truth_data.GroundTruthData):
  """A centred grey square on black: size, intensity and rotation.

  Factors of variation (all discrete, as dlib's metrics need):
  0 - size: side length as a fraction of the image side, `num_sizes` values evenly
      spaced over `size_range` (default 12 values in [0.2, 0.65]).
  1 - intensity: grey level of the square, `num_intensities` values evenly spaced
      over `intensity_range` (default 12 values in [0.3, 1.0]).
  2 - rotation: one of `angles` in degrees (default 0, 22.5, 45, 67.5). A square is
      symmetric under a quarter turn, so angles must lie in [0, 90) to give
      distinct images.

  The (default 12 x 12 x 4 = 576) images are rendered once, anti-aliased by
  `supersampling` x `supersampling` samples per pixel (the pixel value is the
  covered area times the intensity), and kept in memory as float32 (2.4 MB at
  32x32, 9.4 MB at 64x64). With `noise_std > 0`, independent Gaussian noise of that
  standard deviation, drawn from the `random_state` given to
  `sample_observations_from_factors`, is added and the result clipped to [0, 1];
  with the default 0 observations are exact renderings.
  """

  def __init__(self, image_size=64, num_sizes=12, size_range=(0.2, 0.65),
               num_intensities=12, intensity_range=(0.3, 1.0),
               angles=(0., 22.5, 45., 67.5), noise_std=0., supersampling=8):
    self.image_size = _check_int("image_size", image_size, 8)
    num_sizes = _check_int("synthetic_squares.num_sizes", num_sizes, 2)
    num_intensities = _check_int("synthetic_squares.num_intensities",
                                 num_intensities, 2)
    self.supersampling = _check_int("synthetic_squares.supersampling",
                                    supersampling, 1)
    angles = np.asarray(angles, dtype=np.float64).reshape(-1)
    if (angles.size < 2 or np.any(angles < 0.) or np.any(angles >= 90.) or
        np.unique(angles).size != angles.size):
      raise ValueError(
          "synthetic_squares.angles must be at least 2 distinct angles in degrees "
          "within [0, 90), got {}. A square rotated by 90 degrees is the same image, "
          "so e.g. use (0, 22.5, 45, 67.5).".format(list(angles)))
    low, high = _check_range("synthetic_squares.size_range", size_range)
    # A square of side s rotated by a covers s (|cos a| + |sin a|) of each axis.
    extent = np.max(np.abs(np.cos(np.deg2rad(angles))) +
                    np.abs(np.sin(np.deg2rad(angles))))
    if low <= 0. or high * extent > 1.:
      raise ValueError(
          "synthetic_squares.size_range={} does not fit the image: sizes are "
          "fractions of the image side, must be > 0, and at the widest angle the "
          "square spans size * {:.3f}, so the largest size must be <= {:.3f}. "
          "Shrink size_range or the angles.".format(tuple(size_range), extent,
                                                   1. / extent))
    intensity_low, intensity_high = _check_range(
        "synthetic_squares.intensity_range", intensity_range)
    if intensity_low <= 0. or intensity_high > 1.:
      raise ValueError(
          "synthetic_squares.intensity_range={} must lie within (0, 1] (an "
          "intensity of 0 would hide the square on the black background).".format(
              tuple(intensity_range)))
    if not noise_std >= 0.:
      raise ValueError("synthetic_squares.noise_std must be >= 0, got {}.".format(
          noise_std))
    self.noise_std = float(noise_std)
    self.sizes = np.linspace(low, high, num_sizes)
    self.intensities = np.linspace(intensity_low, intensity_high, num_intensities)
    self.angles = angles
    self.factor_sizes = [num_sizes, num_intensities, angles.size]
    self.state_space = util.SplitDiscreteStateSpace(
        self.factor_sizes, list(range(len(FACTOR_NAMES))))
    # Row-major index of a factor triple, as dlib's dsprites/shapes3d use.
    self.factor_bases = np.prod(self.factor_sizes) // np.cumprod(self.factor_sizes)
    coverage = np.stack([
        np.stack([square_coverage(self.image_size, size, angle, self.supersampling)
                  for angle in self.angles]) for size in self.sizes])
    # images[size, intensity, angle] = intensity * coverage[size, angle].
    images = (self.intensities[None, :, None, None, None] *
              coverage[:, None, :, :, :])
    self.images = images.reshape(-1, self.image_size, self.image_size,
                                 1).astype(np.float32)

  @property
  def num_factors(self):
    return self.state_space.num_latent_factors

  @property
  def factors_num_values(self):
    return list(self.factor_sizes)

  @property
  def observation_shape(self):
    return [self.image_size, self.image_size, 1]

  def sample_factors(self, num, random_state):
    """Sample a batch of factors Y."""
    return self.state_space.sample_latent_factors(num, random_state)

  def sample_observations_from_factors(self, factors, random_state):
    """Sample a batch of observations X given a batch of factors Y."""
    factors = np.asarray(factors)
    if (factors.ndim != 2 or factors.shape[1] != len(FACTOR_NAMES) or
        np.any(factors < 0) or np.any(factors >= np.array(self.factor_sizes))):
      raise ValueError(
          "factors must be an integer array (batch, {}) with values below {}, got "
          "shape {}.".format(len(FACTOR_NAMES), self.factor_sizes, factors.shape))
    observations = self.images[np.dot(factors, self.factor_bases).astype(np.int64)]
    if self.noise_std > 0.:
      noise = random_state.normal(0., self.noise_std, observations.shape)
      observations = np.clip(observations + noise, 0., 1.).astype(np.float32)
    return observations


def _check_int(name, value, minimum):
  if int(value) != value or value < minimum:
    raise ValueError("{} must be an integer >= {}, got {!r}.".format(
        name, minimum, value))
  return int(value)


def _check_range(name, value):
  try:
    low, high = (float(v) for v in value)
  except (TypeError, ValueError):
    raise ValueError("{} must be a pair (low, high), got {!r}.".format(
        name, value)) from None
  if not low < high:
    raise ValueError("{} must have low < high, got {!r}.".format(name, value))
  return low, high


def square_coverage(image_size, size, angle_degrees, supersampling):
  """Fraction of each pixel covered by a centred square, by supersampling.

  Args:
    image_size: side of the (square) image in pixels.
    size: side of the square as a fraction of the image side.
    angle_degrees: rotation of the square.
    supersampling: samples per pixel along each axis (a regular grid).

  Returns:
    float64 array (image_size, image_size) in [0, 1].
  """
  num = image_size * supersampling
  # Sample positions in units of the image side, centred on the image centre.
  coords = (np.arange(num) + 0.5) / num - 0.5
  x, y = np.meshgrid(coords, coords, indexing="xy")
  angle = np.deg2rad(angle_degrees)
  # Rotate the samples by -angle into the square's frame, where it is axis-aligned.
  u = np.cos(angle) * x + np.sin(angle) * y
  v = -np.sin(angle) * x + np.cos(angle) * y
  inside = (np.abs(u) <= size / 2.) & (np.abs(v) <= size / 2.)
  return inside.reshape(image_size, supersampling, image_size,
                        supersampling).mean(axis=(1, 3))


def synthetic_squares():
  """`dataset.name = 'synthetic_squares'`: 64x64x1."""
  return SyntheticSquares(image_size=64)


def synthetic_squares_32():
  """`dataset.name = 'synthetic_squares_32'`: 32x32x1."""
  return SyntheticSquares(image_size=32)

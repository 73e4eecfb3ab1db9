"""Tests of mine_plugin.data: synthetic squares through dlib's own code, the
registration of the plugin's names, and the data files each name reads.

The data sets are reached the way dlib's console scripts reach them, through
`named_data.get_named_ground_truth_data` (`dataset.name`); synthetic squares are
scored with dlib's own MIG, DCI and beta-VAE metrics. The stand-in writers and the
file loaders are tested in test_standin_data.py.
"""
import glob
import io
import os
import re
import subprocess
import sys
import zipfile

from disentanglement_lib.data.ground_truth import named_data
from disentanglement_lib.evaluation.metrics import beta_vae
from disentanglement_lib.evaluation.metrics import dci
from disentanglement_lib.evaluation.metrics import mig
from disentanglement_lib.evaluation.metrics import utils
import gin
import numpy as np
import pytest

from mine_plugin.data import dataset_files
from mine_plugin.data.ground_truth import named_data as plugin_named_data
from mine_plugin.data.ground_truth import synthetic_squares

_GIN_DIR = os.path.join(os.path.dirname(__file__), os.pardir, "gin_configs",
                        "datasets")


@pytest.fixture(autouse=True)
def _clear_gin():
  gin.clear_config()
  yield
  gin.clear_config()


@pytest.fixture(scope="module")
def squares():
  return named_data.get_named_ground_truth_data("synthetic_squares")


def test_resolved_by_name_with_default_grid(squares):
  assert isinstance(squares, synthetic_squares.SyntheticSquares)
  assert squares.num_factors == 3
  assert squares.factors_num_values == [12, 12, 4]
  assert squares.observation_shape == [64, 64, 1]
  np.testing.assert_allclose(squares.angles, [0., 22.5, 45., 67.5])
  np.testing.assert_allclose(squares.sizes[[0, -1]], [0.2, 0.65])
  np.testing.assert_allclose(squares.intensities[[0, -1]], [0.3, 1.0])
  small = named_data.get_named_ground_truth_data("synthetic_squares_32")
  assert small.observation_shape == [32, 32, 1]
  assert small.factors_num_values == [12, 12, 4]


def test_bad_name_lists_valid_names():
  with pytest.raises(ValueError) as error:
    named_data.get_named_ground_truth_data("synthetic_circles")
  message = str(error.value)
  assert "'synthetic_circles'" in message
  for name in ("synthetic_squares", "synthetic_squares_32", "dsprites_full",
               "shapes3d"):
    assert name in message


def test_sample_shapes_and_range(squares):
  random_state = np.random.RandomState(0)
  factors = squares.sample_factors(500, random_state)
  assert factors.shape == (500, 3)
  assert np.issubdtype(factors.dtype, np.integer)
  for j, size in enumerate(squares.factors_num_values):
    assert factors[:, j].min() == 0 and factors[:, j].max() == size - 1
  observations = squares.sample_observations_from_factors(factors, random_state)
  assert observations.shape == (500, 64, 64, 1)
  assert observations.dtype == np.float32
  assert observations.min() == 0.
  # The brightest pixel is the intensity of a fully covered pixel.
  np.testing.assert_allclose(observations.max(axis=(1, 2, 3)),
                             squares.intensities[factors[:, 1]], rtol=1e-6)
  assert squares.sample_observations(7, random_state).shape == (7, 64, 64, 1)


def test_each_factor_changes_pixels_and_equal_factors_equal_images(squares):
  base = np.array([[5, 6, 0]])
  image = squares.sample_observations_from_factors(base, np.random.RandomState(1))
  again = squares.sample_observations_from_factors(base, np.random.RandomState(2))
  np.testing.assert_array_equal(image, again)
  for factor, num_values in enumerate(squares.factors_num_values):
    varied = np.repeat(base, num_values, axis=0)
    varied[:, factor] = np.arange(num_values)
    images = squares.sample_observations_from_factors(
        varied, np.random.RandomState(0)).reshape(num_values, -1)
    # Every pair of values of this factor gives a different image.
    distances = np.abs(images[:, None, :] - images[None, :, :]).sum(axis=-1)
    assert np.all(distances[~np.eye(num_values, dtype=bool)] > 1.), factor


def test_rendering_is_antialiased_and_area_exact():
  # A square of side s (fraction of the image side) covers s^2 * side^2 pixels.
  for size, angle in ((0.5, 0.), (0.37, 22.5), (0.6, 45.)):
    coverage = synthetic_squares.square_coverage(64, size, angle, 8)
    np.testing.assert_allclose(coverage.sum(), (size * 64) ** 2, rtol=0.01)
  rotated = synthetic_squares.square_coverage(64, 0.37, 22.5, 8)
  # Anti-aliased: edge pixels are partly covered.
  assert np.sum((rotated > 0.05) & (rotated < 0.95)) > 40
  # Symmetric under a quarter turn of the image (the square is centred).
  np.testing.assert_allclose(rotated, np.rot90(rotated), atol=1e-12)


def test_noise_is_deterministic_given_random_state():
  noisy = synthetic_squares.SyntheticSquares(image_size=32, num_sizes=3, num_intensities=3,
                                    noise_std=0.1)
  clean = synthetic_squares.SyntheticSquares(image_size=32, num_sizes=3, num_intensities=3)
  factors = np.array([[0, 1, 2], [2, 2, 1]])
  first = noisy.sample_observations_from_factors(factors, np.random.RandomState(3))
  second = noisy.sample_observations_from_factors(factors, np.random.RandomState(3))
  other = noisy.sample_observations_from_factors(factors, np.random.RandomState(4))
  np.testing.assert_array_equal(first, second)
  assert not np.array_equal(first, other)
  assert first.dtype == np.float32 and first.min() >= 0. and first.max() <= 1.
  exact = clean.sample_observations_from_factors(factors, np.random.RandomState(3))
  # Noise of std 0.1, clipped only where the clean pixel is 0 (background).
  object_pixels = exact > 0.3
  residual = (first - exact)[object_pixels & (exact < 0.7)]
  assert abs(residual.mean()) < 0.02 and 0.08 < residual.std() < 0.12


def test_grid_is_gin_configurable():
  gin.bind_parameter("synthetic_squares.num_sizes", 5)
  gin.bind_parameter("synthetic_squares.angles", (10., 40.))
  data = named_data.get_named_ground_truth_data("synthetic_squares_32")
  assert data.factors_num_values == [5, 12, 2]
  assert data.images.shape == (5 * 12 * 2, 32, 32, 1)


@pytest.mark.parametrize("kwargs, needle", [
    (dict(angles=(0., 90.)), "within [0, 90)"),
    (dict(angles=(-10., 20.)), "within [0, 90)"),
    (dict(angles=(0., 0.)), "distinct"),
    (dict(size_range=(0.2, 0.9)), "largest size must be <= 0.707"),
    (dict(size_range=(0.5, 0.3)), "low < high"),
    (dict(intensity_range=(0., 1.)), "within (0, 1]"),
    (dict(num_sizes=1), "num_sizes must be an integer >= 2"),
    (dict(noise_std=-0.1), "noise_std must be >= 0"),
])
def test_bad_values_give_clear_errors(kwargs, needle):
  with pytest.raises(ValueError, match=None) as error:
    synthetic_squares.SyntheticSquares(image_size=32, **kwargs)
  assert needle in str(error.value)


def test_sizes_fit_when_angles_allow():
  # Without the 45-degree angle a larger square still fits.
  data = synthetic_squares.SyntheticSquares(image_size=32, num_sizes=2, num_intensities=2,
                                   size_range=(0.3, 0.9), angles=(0., 5.))
  assert data.images.shape == (8, 32, 32, 1)


def _factor_lookup(data):
  """Ground-truth representation: the factor indices of each observation.

  Noise-free renderings are distinct (test above), so each observation is found
  exactly among the pre-rendered images.
  """
  flat = data.images.reshape(len(data.images), -1).astype(np.float64)
  squared_norms = (flat ** 2).sum(axis=1)
  all_factors = np.stack(np.unravel_index(np.arange(len(flat)), data.factor_sizes),
                         axis=1).astype(np.float64)

  def representation_function(observations):
    observations = np.asarray(observations, np.float64).reshape(
        len(observations), -1)
    # Squared distances up to a per-row constant: |b|^2 - 2 a.b.
    distances = squared_norms[None, :] - 2. * observations @ flat.T
    return all_factors[np.argmin(distances, axis=1)]

  return representation_function


def _rotated(representation_function, factor_sizes, seed=0):
  """The same codes after a random rotation: each latent mixes all factors."""
  rotation, _ = np.linalg.qr(np.random.RandomState(seed).normal(size=(3, 3)))
  scale = np.array(factor_sizes, np.float64) - 1.
  return lambda x: (representation_function(x) / scale) @ rotation


def test_dlib_metrics_score_ground_truth_as_disentangled():
  data = synthetic_squares.SyntheticSquares(image_size=32)
  truth = _factor_lookup(data)
  entangled = _rotated(truth, data.factor_sizes)
  np.testing.assert_array_equal(
      truth(data.images[[0, 100, 575]]),
      [[0, 0, 0], [2, 1, 0], [11, 11, 3]])
  # dlib's own discretiser; 20 bins give each of the <= 12 levels its own bin.
  gin.bind_parameter("discretizer.discretizer_fn", utils._histogram_discretize)  # pylint: disable=protected-access
  gin.bind_parameter("discretizer.num_bins", 20)
  scores = {}
  for name, function in (("truth", truth), ("rotated", entangled)):
    scores[name] = dict(
        mig=mig.compute_mig(data, function, np.random.RandomState(0), None,
                            num_train=2000, batch_size=200)["discrete_mig"],
        dci=dci.compute_dci(data, function, np.random.RandomState(0), None,
                            num_train=300, num_test=100,
                            batch_size=100)["disentanglement"],
        beta_vae=beta_vae.compute_beta_vae_sklearn(
            data, function, np.random.RandomState(0), None, batch_size=16,
            num_train=100, num_eval=50)["eval_accuracy"])
  assert scores["truth"]["mig"] > 0.9, scores
  assert scores["truth"]["dci"] > 0.9, scores
  assert scores["truth"]["beta_vae"] > 0.9, scores
  assert scores["rotated"]["mig"] < scores["truth"]["mig"] - 0.4, scores
  assert scores["rotated"]["dci"] < scores["truth"]["dci"] - 0.4, scores
  assert scores["rotated"]["beta_vae"] < scores["truth"]["beta_vae"], scores


def test_shipped_gin_files_parse_and_name_plugin_datasets():
  paths = sorted(glob.glob(os.path.join(_GIN_DIR, "*.gin")))
  assert paths
  for path in paths:
    gin.clear_config()
    gin.parse_config_file(path)
    name = gin.query_parameter("dataset.name")
    assert name in ("synthetic_squares", "synthetic_squares_32", "dsprites_full",
                    "shapes3d", "celeba"), (path, name)


def test_truncated_dsprites_file_names_the_file_and_the_fix(tmp_path, monkeypatch):
  # Valid zip and .npy header (what check_dsprites_file reads), data cut short:
  # dlib's own loader then fails inside np.load.
  monkeypatch.setenv(dataset_files.DATA_ENV, str(tmp_path))
  path = dataset_files.dsprites_path()
  os.makedirs(os.path.dirname(path))
  header = io.BytesIO()
  np.lib.format.write_array_header_1_0(header, {
      "descr": "|u1", "fortran_order": False,
      "shape": (dataset_files.DSPRITES_NUM_IMAGES, 64, 64)})
  with zipfile.ZipFile(path, "w") as npz:
    npz.writestr("imgs.npy", header.getvalue() + b"\x00" * 1000)
  with pytest.raises(ValueError, match=re.escape(path) + " could not be read by "
                     "dlib's dSprites loader .* may be truncated or not the official one. "
                     "Download it again"):
    named_data.get_named_ground_truth_data("dsprites_full")


PLUGIN_NAMES = ("synthetic_squares", "synthetic_squares_32", "shapes3d", "dsprites_full",
                "dsprites_noshape", "color_dsprites", "noisy_dsprites", "celeba")


def test_every_plugin_name_is_registered_with_dlib_and_knows_its_files():
  assert set(plugin_named_data.FACTORIES) == set(PLUGIN_NAMES)
  for name in PLUGIN_NAMES:
    dataset_files.dataset_files(name)  # Raises for a name without an entry.
  # dlib's own lookup resolves the plugin's names (squares need no file).
  squares = named_data.get_named_ground_truth_data("synthetic_squares_32")
  assert squares.num_factors == 3 and squares.observation_shape == [32, 32, 1]


def test_dataset_files_name_each_file_or_none(tmp_path):
  root = str(tmp_path)
  assert dataset_files.dataset_files("synthetic_squares", root) == ()
  assert dataset_files.dataset_files("synthetic_squares_32", root) == ()
  for name in ("dsprites_full", "dsprites_noshape", "color_dsprites",
               "noisy_dsprites"):
    assert dataset_files.dataset_files(name, root) == (os.path.join(
        root, "dsprites", "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz"),)
    assert dataset_files.file_data_set(name) == "dsprites"
  npz, h5 = dataset_files.dataset_files("shapes3d", root)
  assert npz == dataset_files.shapes3d_npz_path(root) and npz.endswith(".npz")
  assert h5 == os.path.join(root, "3dshapes", "3dshapes.h5")
  with pytest.raises(ValueError, match=r"'cars3d'.*Known names: .*dsprites_full"):
    dataset_files.dataset_files("cars3d")


def test_dataset_files_default_to_the_data_root_of_now(tmp_path, monkeypatch):
  monkeypatch.setenv(dataset_files.DATA_ENV, str(tmp_path))
  assert dataset_files.dataset_files("dsprites_full") == (
      dataset_files.dsprites_path(str(tmp_path)),)
  monkeypatch.delenv(dataset_files.DATA_ENV)
  assert dataset_files.data_dir() == "."


def test_loaders_and_files_do_not_import_the_writers():
  completed = subprocess.run([sys.executable, "-c", """
import sys
from mine_plugin.data import dataset_files
assert 'tensorflow' not in sys.modules
from mine_plugin.data.ground_truth import named_data
print(sorted(m for m in sys.modules if 'standin_data' in m))
"""], capture_output=True, text=True, check=False)
  assert completed.returncode == 0, completed.stderr[-2000:]
  assert completed.stdout.strip().splitlines()[-1] == "[]"

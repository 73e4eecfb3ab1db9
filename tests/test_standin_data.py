"""Tests of mine_plugin.data.standin_data and of the plugin's loaders for those dataset_files.

dSprites is written at its full 3x6x40x32x32 grid and read back by dlib's own,
unmodified `dsprites.DSprites` (dlib holds it as 3 GB of uint8, 6 GB at the peak of
its load; ~10 s to write and ~25 s to load on 2 busy cores). Shapes3D is
written on reduced grids and read by the plugin's `shapes3d.Shapes3D`, and compared
with dlib's `shapes3d.Shapes3D` code path on the same small file.

dlib's dsprites/shapes3d modules read $DISENTANGLEMENT_LIB_DATA once, when they are
imported; the plugin reads it when a data set is built, so the tests set the
variable with monkeypatch (and patch dlib's module constant where dlib's class is
called directly).
"""
import os
import runpy
import warnings

from disentanglement_lib.data.ground_truth import dsprites
from disentanglement_lib.data.ground_truth import named_data
from disentanglement_lib.data.ground_truth import shapes3d as dlib_shapes3d
from disentanglement_lib.data.ground_truth import util
import numpy as np
import pytest

from mine_plugin.data import dataset_files
from mine_plugin.data.ground_truth import shapes3d
from mine_plugin.data.standin_data import dsprites as dsprites_standin
from mine_plugin.data.standin_data import shapes3d as shapes3d_standin

_SCRIPT = os.path.join(os.path.dirname(__file__), os.pardir, "scripts",
                       "make_standin_data.py")
_SMALL_GRID = (2, 3, 2, 2, 4, 3)


@pytest.fixture(scope="module")
def dsprites_root(tmp_path_factory):
  """A full-grid dSprites stand-in, compressed like the official file (~50 MB).

  Compressed is faster here than the 3 GB uncompressed file, whose write to disk
  dominates.
  """
  root = str(tmp_path_factory.mktemp("dsprites_data"))
  dsprites_standin.write_dsprites(root)
  return root


def test_dlib_reads_dsprites_standin_full_grid(dsprites_root, monkeypatch):
  monkeypatch.setenv("DISENTANGLEMENT_LIB_DATA", dsprites_root)
  with pytest.warns(dataset_files.StandinDataWarning, match="PROCEDURAL STAND-IN"):
    data = named_data.get_named_ground_truth_data("dsprites_full")
  assert type(data) is dsprites.DSprites  # pylint: disable=unidiomatic-typecheck
  assert data.factors_num_values == [3, 6, 40, 32, 32]
  assert data.images.shape == (737280, 64, 64) and data.images.dtype == np.uint8
  np.testing.assert_array_equal(data.factor_sizes, [1, 3, 6, 40, 32, 32])
  random_state = np.random.RandomState(0)
  factors = data.sample_factors(64, random_state)
  observations = data.sample_observations_from_factors(factors, random_state)
  assert observations.shape == (64, 64, 64, 1) and observations.dtype == np.float32
  assert set(np.unique(observations)) == {0., 1.}
  # Each image is the sprite its factors describe, at the row dlib computes.
  values = dsprites_standin.dsprites_factor_values()
  for shape, scale, orientation, pos_x, pos_y in factors[:4]:
    expected = dsprites_standin.render_dsprites_block(
        shape + 1, values[2][scale], values[3][orientation], [values[4][pos_x]],
        [values[5][pos_y]])[0]
    image = data.sample_observations_from_factors(
        np.array([[shape, scale, orientation, pos_x, pos_y]]), random_state)
    np.testing.assert_array_equal(image[0, :, :, 0], expected)
  # The file keeps the official keys, plus the marker.
  with np.load(dataset_files.dsprites_path(dsprites_root), allow_pickle=True) as npz:
    assert {"imgs", "latents_values", "latents_classes", "metadata",
            dataset_files.STANDIN_MARKER} <= set(npz.files)
    assert npz["latents_values"].shape == (737280, 6)
    np.testing.assert_array_equal(npz["latents_classes"][-1], [0, 2, 5, 39, 31, 31])
    np.testing.assert_allclose(npz["latents_values"][-1],
                               [1., 3., 1., 2. * np.pi, 1., 1.])
    assert "STAND-IN" in npz["metadata"][()]["description"]
  assert os.path.exists(dataset_files.standin_readme_path(
      dataset_files.dsprites_path(dsprites_root)))


def test_dsprites_factors_change_the_image():
  values = dsprites_standin.dsprites_factor_values()
  base = dict(shape=3, scale=values[2][3], orientation=values[3][5],
              pos_x=values[4][10], pos_y=values[5][20])

  def render(**changes):
    factors = dict(base, **changes)
    return dsprites_standin.render_dsprites_block(
        factors["shape"], factors["scale"], factors["orientation"],
        [factors["pos_x"]], [factors["pos_y"]])[0].astype(int)

  image = render()
  assert 30 < image.sum() < 400
  for changes in (dict(shape=2), dict(scale=values[2][5]),
                  dict(orientation=values[3][9]), dict(pos_x=values[4][11]),
                  dict(pos_y=values[5][21])):
    assert np.abs(render(**changes) - image).sum() > 0, changes
  # posX moves the sprite right (columns), posY down (rows).
  columns = np.nonzero(render(pos_x=values[4][25]).sum(axis=0))[0]
  rows = np.nonzero(render(pos_y=values[5][30]).sum(axis=1))[0]
  assert columns.mean() > np.nonzero(image.sum(axis=0))[0].mean() + 15
  assert rows.mean() > np.nonzero(image.sum(axis=1))[0].mean() + 10


@pytest.mark.parametrize("file_format, compress", [("npz", False), ("npz", True),
                                                   ("h5", False)])
def test_plugin_shapes3d_reads_standin_reduced_grid(tmp_path, monkeypatch,
                                                    file_format, compress):
  root = str(tmp_path)
  path = shapes3d_standin.write_shapes3d(root, file_format=file_format,
                                     factor_sizes=_SMALL_GRID, compress=compress)
  monkeypatch.setenv("DISENTANGLEMENT_LIB_DATA", root)
  with pytest.warns(dataset_files.StandinDataWarning):
    data = named_data.get_named_ground_truth_data("shapes3d")
  assert isinstance(data, shapes3d.Shapes3D)
  assert data.factors_num_values == list(_SMALL_GRID)
  assert data.observation_shape == [64, 64, 3]
  # Kept as uint8: 1 byte per value, converted per batch.
  assert data.images.dtype == np.uint8
  assert data.images.nbytes == int(np.prod(_SMALL_GRID)) * 64 * 64 * 3
  full = shapes3d_standin.shapes3d_factor_values()
  np.testing.assert_allclose(data.factor_values[0], full[0][[0, 9]])
  np.testing.assert_allclose(data.factor_values[5], [-30., 0., 30.])
  random_state = np.random.RandomState(0)
  factors = data.sample_factors(50, random_state)
  observations = data.sample_observations_from_factors(factors, random_state)
  assert observations.shape == (50, 64, 64, 3) and observations.dtype == np.float32
  assert 0. <= observations.min() and observations.max() <= 1.
  with open(dataset_files.standin_readme_path(path)) as readme:
    assert "NOT the real Shapes3D" in readme.read()


def test_plugin_shapes3d_matches_dlib_code_path(tmp_path, monkeypatch):
  root = str(tmp_path)
  npz_path = shapes3d_standin.write_shapes3d(root, factor_sizes=_SMALL_GRID)
  h5_path = shapes3d_standin.write_shapes3d(root, file_format="h5",
                                        factor_sizes=_SMALL_GRID)
  monkeypatch.setattr(dlib_shapes3d, "SHAPES3D_PATH", npz_path)
  reference = dlib_shapes3d.Shapes3D()
  # dlib hard-codes the full grid; give its instance the small grid the way its
  # __init__ derives everything from factor_sizes.
  reference.factor_sizes = list(_SMALL_GRID)
  reference.state_space = util.SplitDiscreteStateSpace(reference.factor_sizes,
                                                       list(range(6)))
  reference.factor_bases = np.prod(reference.factor_sizes) / np.cumprod(
      reference.factor_sizes)
  with warnings.catch_warnings():
    warnings.simplefilter("ignore", dataset_files.StandinDataWarning)
    from_npz = shapes3d.Shapes3D(npz_path)
    from_h5 = shapes3d.Shapes3D(h5_path)
  for plugin in (from_npz, from_h5):
    assert plugin.factors_num_values == reference.factors_num_values
    expected_state, actual_state = np.random.RandomState(5), np.random.RandomState(5)
    expected_factors = reference.sample_factors(200, expected_state)
    actual_factors = plugin.sample_factors(200, actual_state)
    np.testing.assert_array_equal(actual_factors, expected_factors)
    expected = reference.sample_observations_from_factors(expected_factors,
                                                          expected_state)
    actual = plugin.sample_observations_from_factors(actual_factors, actual_state)
    assert actual.dtype == expected.dtype == np.float32
    np.testing.assert_array_equal(actual, expected)


def test_shapes3d_factors_change_the_image():
  hues, _, _, scales, shapes, azimuths = shapes3d_standin.shapes3d_factor_values()
  # Two values of each hue and of scale, all shapes and azimuths.
  values = (hues[[1, 4]], hues[[2, 6]], hues[[3, 7]], scales[[4, 7]], shapes,
            azimuths)
  renderer = shapes3d_standin._Shapes3DRenderer(  # pylint: disable=protected-access
      values)
  room = renderer.render(0, 0).astype(int)  # (object hue, scale, shape, azimuth, ...)
  base = (0, 0, 0, 2)
  image = room[base]
  for axis, other in enumerate((1, 1, 1, 12)):
    changed = list(base)
    changed[axis] = other
    assert np.abs(room[tuple(changed)] - image).sum() > 1000, axis
  # Floor and wall hues.
  assert np.abs(renderer.render(1, 0).astype(int)[base] - image).sum() > 1000
  assert np.abs(renderer.render(0, 1).astype(int)[base] - image).sum() > 1000
  # Every shape differs from every other at every azimuth.
  for azimuth in range(15):
    shapes = room[0, 0, :, azimuth].reshape(4, -1)
    distances = np.abs(shapes[:, None] - shapes[None]).sum(-1)
    assert np.all(distances[~np.eye(4, dtype=bool)] > 1000), azimuth


def test_hue_to_rgb_closed_form():
  value, saturation = shapes3d_standin._VALUE, shapes3d_standin._SATURATION  # pylint: disable=protected-access
  low = value * (1. - saturation)
  np.testing.assert_allclose(shapes3d_standin.hue_to_rgb(0.), [value, low, low])
  np.testing.assert_allclose(shapes3d_standin.hue_to_rgb(1. / 3.), [low, value, low])
  np.testing.assert_allclose(shapes3d_standin.hue_to_rgb(2. / 3.), [low, low, value])
  np.testing.assert_allclose(shapes3d_standin.hue_to_rgb(0.5), [low, value, value])


def test_never_overwrites_other_files(tmp_path, capsys):
  root = str(tmp_path)
  path = dataset_files.dsprites_path(root)
  os.makedirs(os.path.dirname(path))
  with open(path, "wb") as f:
    f.write(b"the user's real file")
  for overwrite in (False, True):
    with pytest.raises(FileExistsError, match="not a mine_plugin stand-in"):
      dsprites_standin.write_dsprites(root, overwrite=overwrite)
  with open(path, "rb") as f:
    assert f.read() == b"the user's real file"
  # The command line says the same and exits with 1.
  assert _run_script(["--dataset=dsprites", "--data_dir=" + root,
                      "--overwrite"]) == 1
  assert "refusing to overwrite" in capsys.readouterr().err


def _run_script(argv):
  return runpy.run_path(_SCRIPT)["main"](argv)


def test_overwrites_own_standin_only_when_asked(tmp_path, capsys):
  root = str(tmp_path)
  path = shapes3d_standin.write_shapes3d(root, factor_sizes=(1, 1, 1, 1, 4, 2))
  modified = os.path.getmtime(path)
  with pytest.raises(FileExistsError, match="--overwrite"):
    shapes3d_standin.write_shapes3d(root, factor_sizes=(1, 1, 1, 1, 4, 2))
  assert os.path.getmtime(path) == modified
  shapes3d_standin.write_shapes3d(root, factor_sizes=(1, 1, 1, 2, 4, 2),
                                  overwrite=True)
  with warnings.catch_warnings():
    warnings.simplefilter("ignore", dataset_files.StandinDataWarning)
    assert shapes3d.Shapes3D(path).factors_num_values == [1, 1, 1, 2, 4, 2]
  assert not os.path.exists(path + ".partial")


@pytest.mark.parametrize("name, standin, url", [
    ("dsprites_full", "dsprites", "github.com/deepmind/dsprites-dataset"),
    ("dsprites_noshape", "dsprites", "github.com/deepmind/dsprites-dataset"),
    ("shapes3d", "shapes3d", "storage.googleapis.com/3d-shapes/3dshapes.h5"),
])
def test_missing_file_gives_one_clear_message(tmp_path, monkeypatch, name, standin,
                                              url):
  root = str(tmp_path / "empty")
  monkeypatch.setenv("DISENTANGLEMENT_LIB_DATA", root)
  with pytest.raises(FileNotFoundError) as error:
    named_data.get_named_ground_truth_data(name)
  message = str(error.value)
  expected_file = (dataset_files.dsprites_path(root) if standin == "dsprites"
                   else dataset_files.shapes3d_npz_path(root))
  assert expected_file in message
  assert "DISENTANGLEMENT_LIB_DATA={!r}".format(root) in message
  assert url in message
  assert ("python scripts/make_standin_data.py --dataset={} --data_dir={}".format(
      standin, os.path.abspath(root)) in message)


def test_corrupt_or_wrong_shaped_files_name_expected_shapes(tmp_path, monkeypatch):
  root = str(tmp_path)
  monkeypatch.setenv("DISENTANGLEMENT_LIB_DATA", root)
  path = dataset_files.dsprites_path(root)
  os.makedirs(os.path.dirname(path))
  with open(path, "wb") as f:
    f.write(b"truncated download")
  with pytest.raises(ValueError, match=r"'imgs' uint8 \(737280, 64, 64\)"):
    named_data.get_named_ground_truth_data("dsprites_full")
  np.savez(path, imgs=np.zeros((10, 64, 64), np.uint8))
  with pytest.raises(ValueError, match=r"has 'imgs' uint8 \(10, 64, 64\)"):
    named_data.get_named_ground_truth_data("dsprites_full")
  shapes_path = dataset_files.shapes3d_npz_path(root)
  os.makedirs(os.path.dirname(shapes_path))
  np.savez(shapes_path, images=np.zeros((4, 32, 32, 3), np.uint8),
           labels=np.zeros((4, 6)))
  with pytest.raises(ValueError, match=r"\(480000, 64, 64, 3\)"):
    named_data.get_named_ground_truth_data("shapes3d")
  with open(shapes_path, "wb") as f:
    f.write(b"truncated download")
  with pytest.raises(ValueError, match=r"unreadable.*\(480000, 64, 64, 3\)"):
    named_data.get_named_ground_truth_data("shapes3d")
  os.remove(shapes_path)
  with open(dataset_files.shapes3d_h5_path(root), "wb") as f:
    f.write(b"truncated download")
  with pytest.raises(ValueError, match=r"3dshapes.h5 is not a valid Shapes3D file"):
    named_data.get_named_ground_truth_data("shapes3d")

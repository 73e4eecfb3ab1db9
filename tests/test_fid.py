"""FID (mine_plugin/evaluation/metrics/fid.py): the Frechet distance and the features.

The Frechet distance is checked against closed forms (a wrong formula fails them:
without the factor 2 of the cross term, the identical-Gaussian distance is no
longer 0; without the square root, the diagonal case is off) and against
pytorch-fid's `calculate_frechet_distance` on fixed features (reference values made
once by tests/fixtures/image_metrics/make_reference.py, pytorch-fid 0.3.0).
"""
import os
import sys

import numpy as np
import pytest

from mine_plugin.evaluation.metrics import fid

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
sys.path.insert(0, FIXTURES)
import inception_graph  # pylint: disable=g-import-not-at-top,wrong-import-position


def test_identical_gaussians_are_at_distance_zero():
  random_state = np.random.RandomState(0)
  a = random_state.randn(5, 5)
  sigma = a @ a.T + np.eye(5)
  mu = random_state.randn(5)
  assert fid.frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0., abs=1e-9)


def test_diagonal_covariances_give_the_closed_form():
  mu1, mu2 = np.array([0., 1., 2.]), np.array([1., 1., -1.])
  var1, var2 = np.array([1., 4., 9.]), np.array([4., 1., 0.25])
  # ||mu1 - mu2||^2 + sum (sqrt a - sqrt b)^2 = 10 + (1 + 1 + 6.25).
  expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(var1) - np.sqrt(var2)) ** 2)
  assert expected == pytest.approx(18.25)
  assert fid.frechet_distance(mu1, np.diag(var1), mu2, np.diag(var2)) == (
      pytest.approx(expected, abs=1e-9))


def test_commuting_covariances_give_the_closed_form():
  # Sigma_i = Q diag(d_i) Q^T: sqrt(S1 S2) = Q diag(sqrt(d1 d2)) Q^T.
  q, _ = np.linalg.qr(np.random.RandomState(1).randn(4, 4))
  d1, d2 = np.array([1., 2., 3., 4.]), np.array([4., 3., 2., 1.])
  expected = np.sum((np.sqrt(d1) - np.sqrt(d2)) ** 2)
  assert fid.frechet_distance(np.zeros(4), q @ np.diag(d1) @ q.T, np.zeros(4),
                              q @ np.diag(d2) @ q.T) == pytest.approx(expected, abs=1e-8)


def test_non_finite_root_is_retried_with_a_small_diagonal(monkeypatch):
  calls = []

  def sqrtm(matrix):
    calls.append(matrix)
    return np.full_like(matrix, np.nan) if len(calls) == 1 else np.eye(len(matrix))

  monkeypatch.setattr(fid.linalg, "sqrtm", sqrtm)
  sigma1, sigma2 = np.diag([1., 2.]), np.diag([3., 4.])
  # Second root taken as I: d^2 = 0 + 3 + 7 - 2 * 2.
  assert fid.frechet_distance(np.zeros(2), sigma1, np.zeros(2), sigma2) == 6.
  assert len(calls) == 2
  np.testing.assert_allclose(calls[0], sigma1 @ sigma2)
  np.testing.assert_allclose(calls[1], (sigma1 + 1e-6 * np.eye(2)) @
                             (sigma2 + 1e-6 * np.eye(2)), rtol=0, atol=1e-15)


def test_negligible_imaginary_part_is_dropped_and_a_large_one_refused(monkeypatch):
  roots = iter([np.eye(2) * (1. + 1e-5j), np.eye(2) * (1. + 0.5j)])
  monkeypatch.setattr(fid.linalg, "sqrtm", lambda matrix: next(roots))
  assert fid.frechet_distance(np.zeros(2), np.eye(2), np.zeros(2), np.eye(2)) == (
      pytest.approx(0.))
  with pytest.raises(ValueError, match="imaginary part of up to 0.5"):
    fid.frechet_distance(np.zeros(2), np.eye(2), np.zeros(2), np.eye(2))


def test_equals_pytorch_fid_on_fixed_features():
  with np.load(os.path.join(FIXTURES, "image_metrics", "frechet_reference.npz")) as data:
    for case in ("wide", "singular"):
      got = fid.frechet_distance(*fid.statistics(data["a_" + case]),
                                 *fid.statistics(data["b_" + case]))
      assert got == pytest.approx(float(data["distance_" + case]), abs=1e-4), case


def test_statistics_use_n_minus_one():
  features = np.array([[0., 0.], [2., 0.], [0., 2.], [2., 2.]])
  mu, sigma = fid.statistics(features)
  np.testing.assert_allclose(mu, [1., 1.])
  np.testing.assert_allclose(sigma, np.eye(2) * 4. / 3.)


def test_features_of_the_graph_at_ttur_input_scale(tmp_path):
  path = inception_graph.write_graph(str(tmp_path / "graph.pb"))
  images = np.random.RandomState(3).rand(7, 9, 9, 3).astype(np.float32)
  features = fid.InceptionFeatures(path)
  try:
    got = features(images, batch_size=3)
    grey = features(images[:, :, :, :1], batch_size=4)
  finally:
    features.close()
  np.testing.assert_allclose(got, inception_graph.features_by_hand(images), atol=1e-5)
  np.testing.assert_allclose(
      grey, inception_graph.features_by_hand(np.repeat(images[:, :, :, :1], 3, -1)),
      atol=1e-5)


def test_graph_without_the_tensors_is_refused(tmp_path):
  path = inception_graph.write_graph(str(tmp_path / "other.pb"), feature_name="pool")
  with pytest.raises(ValueError, match=r"has no tensor 'pool_3:0' \(fid.feature_tensor\)"
                                       r".*'ExpandDims:0'.*nodes, e.g."):
    fid.InceptionFeatures(path)
  not_a_graph = tmp_path / "x.pb"
  not_a_graph.write_bytes(b"\xff\xfe garbage")
  with pytest.raises(ValueError, match="is not a TensorFlow GraphDef"):
    fid.InceptionFeatures(str(not_a_graph))


def test_no_graph_file_names_the_setting_and_where_to_get_it(tmp_path, monkeypatch):
  monkeypatch.setenv("DISENTANGLEMENT_LIB_DATA", str(tmp_path))
  with pytest.raises(FileNotFoundError) as error:
    fid.compute_fid(None, None, np.random.RandomState(0))
  message = str(error.value)
  assert "fid.inception_graph is not set" in message
  assert str(tmp_path / "inception" / "classify_image_graph_def.pb") in message
  assert "inception-2015-12-05.tgz" in message


def test_bad_settings_name_the_valid_values():
  with pytest.raises(ValueError, match=r"fid.kinds must be a non-empty subset"):
    fid.compute_fid(None, None, None, kinds=("prior",))
  with pytest.raises(ValueError, match=r"fid.reconstruct_from must be one of 'mean', "
                                       r"'sampled', got 'mode'"):
    fid.compute_fid(None, None, None, reconstruct_from="mode")
  with pytest.raises(ValueError, match=r"fid.num_images must be an integer >= 2"):
    fid.compute_fid(None, None, None, num_images=1)

"""LPIPS v0.1 AlexNet (mine_plugin/evaluation/metrics/lpips.py) against the `lpips` package.

The reference distances were computed once by the `lpips` package (0.1.4, PyTorch
2.14.1) on fixed random weights and images: tests/fixtures/image_metrics/
make_reference.py. A wrong formula fails here: dropping the channel normalisation,
the input scaling or a layer's head each moves the distances by far more
than the 1e-4 tolerance (test_each_part_of_the_formula_matters).
"""
import os

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from mine_plugin.evaluation.metrics import lpips

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "image_metrics")
BACKBONE = os.path.join(FIXTURES, "alexnet_features.pth")
HEADS = os.path.join(FIXTURES, "alex_heads.pth")


@pytest.fixture(scope="module")
def reference():
  with np.load(os.path.join(FIXTURES, "lpips_reference.npz")) as data:
    return (data["first"].astype(np.float32) / 255.,
            data["second"].astype(np.float32) / 255., data["distances"])


def test_distances_equal_the_lpips_package(reference):
  first, second, expected = reference
  metric = lpips.LPIPS(BACKBONE, HEADS)
  try:
    got = metric(first, second)
  finally:
    metric.close()
  assert expected[0] == 0. and expected[2] > 0.05  # The fixture's pairs.
  np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)


def _distances(first, second, backbone, heads):
  with tf.Graph().as_default(), tf.Session() as session:
    return session.run(lpips.lpips_distance(
        tf.constant(2. * first - 1.), tf.constant(2. * second - 1.), backbone, heads))


def test_each_part_of_the_formula_matters(reference, monkeypatch):
  first, second, expected = reference
  backbone, heads = lpips.read_backbone(BACKBONE), lpips.read_heads(HEADS)
  np.testing.assert_allclose(_distances(first, second, backbone, heads), expected,
                             atol=1e-4)
  wrong_head = [h.copy() for h in heads]
  wrong_head[3][:] = 0.  # One layer's head dropped.
  assert np.max(np.abs(_distances(first, second, backbone, wrong_head) - expected)) > 1e-3
  monkeypatch.setattr(lpips, "SHIFT", (0., 0., 0.))
  assert np.max(np.abs(_distances(first, second, backbone, heads) - expected)) > 1e-3
  monkeypatch.undo()
  monkeypatch.setattr(lpips, "NORMALIZE_EPS", 1e3)  # Features left unnormalised.
  assert np.max(np.abs(_distances(first, second, backbone, heads) - expected)) > 1e-3


def test_grey_images_are_repeated_to_rgb(reference):
  first, second, _ = reference
  metric = lpips.LPIPS(BACKBONE, HEADS)
  try:
    grey = metric(first[:2, :, :, :1], second[:2, :, :, :1])
    rgb = metric(np.repeat(first[:2, :, :, :1], 3, -1),
                 np.repeat(second[:2, :, :, :1], 3, -1))
  finally:
    metric.close()
  np.testing.assert_array_equal(grey, rgb)


def test_wrong_files_are_named(tmp_path):
  with pytest.raises(ValueError, match=r"has no 'lin0.model.1.weight'; expected LPIPS"):
    lpips.read_heads(BACKBONE)
  with pytest.raises(ValueError, match=r"has no 'features.0.weight'; expected a "
                                       r"torchvision AlexNet"):
    lpips.read_backbone(HEADS)
  not_torch = tmp_path / "x.pth"
  not_torch.write_bytes(b"not a checkpoint")
  with pytest.raises(ValueError, match="is not a PyTorch file"):
    lpips.read_heads(str(not_torch))


def test_missing_weights_name_the_setting_and_the_source(tmp_path, monkeypatch):
  monkeypatch.setenv("DISENTANGLEMENT_LIB_DATA", str(tmp_path))
  with pytest.raises(FileNotFoundError) as error:
    lpips.compute_lpips(None, None, np.random.RandomState(0), heads=HEADS)
  message = str(error.value)
  assert "lpips.backbone is not set" in message
  assert str(tmp_path / "lpips" / "alexnet-owt-7be5be79.pth") in message
  assert "download.pytorch.org/models/alexnet-owt-7be5be79.pth" in message
  with pytest.raises(FileNotFoundError, match=r"lpips.heads = '/nowhere.pth' does "
                                              r"not exist.*lpips/weights/v0.1/alex.pth"):
    lpips.compute_lpips(None, None, np.random.RandomState(0), backbone=BACKBONE,
                        heads="/nowhere.pth")

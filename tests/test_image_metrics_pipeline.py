"""FID and LPIPS through dlib's unchanged console scripts, on CelebA-format data.

A miniature CelebA tree (tests/fixtures/celeba_tree.py) goes through dlib_train
(info_vae, a few steps) -> dlib_postprocess -> dlib_evaluate with @fid (a tiny
Inception-shaped graph, tests/fixtures/inception_graph.py) and @lpips (the fixed
random AlexNet of tests/fixtures/image_metrics/), in the README's layout
(`<run>/postprocessed/mean`); a synthetic-squares model (grey images, repeated to
RGB) goes through dlib_reproduce's chain (`<run>/model`, `<run>/postprocessed/mean`).
The scores' math is checked in test_fid.py and test_lpips.py; here, that dlib runs
them and reads back what they wrote.
"""
import os
import sys

import numpy as np
import pytest

from mine_plugin import pipeline
from mine_plugin.config import gin_files
from mine_plugin.evaluation import trained_model

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
sys.path.insert(0, FIXTURES)
import celeba_tree  # pylint: disable=g-import-not-at-top,wrong-import-position
import inception_graph  # pylint: disable=g-import-not-at-top,wrong-import-position

WEIGHTS = os.path.join(FIXTURES, "image_metrics")
QUICK_TRAIN = ["model.training_steps=4", "model.batch_size=8", "model.eval_steps=1"]


def metric_bindings(graph):
  return ["fid.inception_graph='{}'".format(graph), "fid.num_images=20",
          "fid.batch_size=8",
          "lpips.backbone='{}'".format(os.path.join(WEIGHTS, "alexnet_features.pth")),
          "lpips.heads='{}'".format(os.path.join(WEIGHTS, "alex_heads.pth")),
          "lpips.num_images=10", "lpips.batch_size=4"]


@pytest.fixture(scope="module")
def celeba_run(tmp_path_factory):
  root = tmp_path_factory.mktemp("celeba_e2e")
  data = root / "data"
  celeba_tree.write_celeba_tree(str(data), 36)
  graph = inception_graph.write_graph(str(root / "graph.pb"))
  run = str(root / "run")
  with pytest.MonkeyPatch.context() as patch:
    patch.setenv("DISENTANGLEMENT_LIB_DATA", str(data))
    pipeline.run_dlib("dlib_train", [
        "--model_dir=" + run,
        "--gin_config=" + gin_files.plugin_config("shared.gin"),
        "--gin_config=" + gin_files.plugin_config("datasets/celeba.gin"),
        "--gin_config=" + gin_files.plugin_config("models/info_vae.gin")] + [
            "--gin_bindings=" + b for b in QUICK_TRAIN])
    representation = os.path.join(run, "postprocessed", "mean")
    pipeline.run_dlib("dlib_postprocess", [
        "--model_dir=" + run, "--output_dir=" + representation,
        "--gin_config=" + gin_files.step_config("postprocess", "mean")])
    scores = {}
    for metric in ("fid", "lpips"):
      output = os.path.join(run, "metrics", "mean", metric)
      pipeline.run_dlib("dlib_evaluate", [
          "--input_dir=" + representation, "--output_dir=" + output,
          "--gin_config=" + gin_files.named_config("metric", metric)] + [
              "--gin_bindings=" + b for b in metric_bindings(graph)])
      scores[metric] = pipeline.read_scores(output)
  return str(data), run, scores


def test_fid_of_samples_and_reconstructions_on_celeba(celeba_run):
  _, _, scores = celeba_run
  fid = scores["fid"]
  assert fid["num_images"] == 20
  for kind in ("samples", "reconstructions"):
    assert np.isfinite(fid["fid_" + kind]) and fid["fid_" + kind] > 0.


def test_lpips_of_reconstructions_on_celeba(celeba_run):
  lpips = celeba_run[2]["lpips"]
  assert lpips["num_images"] == 10
  assert 0. < lpips["lpips"] < 10. and lpips["lpips_std"] >= 0.


def test_metrics_read_the_test_split_the_config_names(celeba_run):
  data, _, _ = celeba_run
  cache = os.path.join(data, "celeba", "mine_plugin_cache")
  # Training cached the train split; fid.gin and lpips.gin bind celeba.split = 'test'.
  assert sorted(os.listdir(cache)) == ["test_crop148_64.npy", "train_crop148_64.npy"]


def test_trained_model_is_found_in_both_layouts(celeba_run, tmp_path):
  _, run, _ = celeba_run
  artifact = os.path.join(run, "postprocessed", "mean", "artifacts", "fid")
  assert trained_model.find_model_dir(artifact) == run
  with pytest.raises(FileNotFoundError) as error:
    trained_model.find_model_dir(str(tmp_path / "postprocessed" / "mean" / "artifacts"
                                     / "fid"), setting="fid.model_dir")
  message = str(error.value)
  assert "Set fid.model_dir to the --model_dir of dlib_train" in message
  assert str(tmp_path / "model") in message
  with pytest.raises(FileNotFoundError, match=r"lpips.model_dir = '/nowhere' has no "
                                              r"tfhub/saved_model.pb"):
    trained_model.find_model_dir(artifact, "/nowhere", "lpips.model_dir")


def test_fid_and_lpips_on_a_grey_squares_model_through_dlib_reproduce(tmp_path):
  graph = inception_graph.write_graph(str(tmp_path / "graph.pb"))
  result = pipeline.run_pipeline(
      str(tmp_path / "squares"),
      [gin_files.plugin_config("shared.gin"), gin_files.plugin_config("tests/pipeline_test.gin")],
      QUICK_TRAIN, postprocess=("mean",), metrics=("fid", "lpips"),
      metric_bindings=metric_bindings(graph))
  scores = result.scores["mean"]
  assert scores["fid"]["fid_samples"] > 0. and scores["fid"]["fid_reconstructions"] > 0.
  assert scores["lpips"]["lpips"] > 0.

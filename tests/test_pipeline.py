"""dlib's chain end to end under the plugin: train, visualize, postprocess, evaluate.

`pipeline.run_pipeline` runs, in a fresh process and for a handful of training steps,
the dlib functions that dlib's console scripts call; dlib's unchanged console scripts
run here too (dlib_aggregate_results, dlib_visualize_dataset, dlib_train's errors).
The tests check the files dlib writes.
"""
import glob
import json
import os
import re

import numpy as np
import pytest

from mine_plugin import chain_progress
from mine_plugin import pipeline
from mine_plugin.config import gin_files

# A few steps, small batches and small metric samples: this checks the plumbing,
# not the scores.
QUICK_TRAIN = ("model.training_steps=4", "model.batch_size=8", "model.eval_steps=2")
QUICK_METRICS = ("mig.num_train=100", "dci.num_train=100", "dci.num_test=50")


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory):
  model_dir = str(tmp_path_factory.mktemp("e2e") / "run")
  return pipeline.run_pipeline(
      model_dir,
      [gin_files.plugin_config("shared.gin"), gin_files.plugin_config("tests/pipeline_test.gin")],
      QUICK_TRAIN, postprocess=("mean", "sampled"), metrics=("mig", "dci"),
      metric_bindings=QUICK_METRICS, visualize=True)


def test_train_exports_a_tf_hub_module_dlib_reads(pipeline_run):
  tfhub = os.path.join(pipeline_run.model_dir, "model", "tfhub")
  assert os.path.isfile(os.path.join(tfhub, "saved_model.pb"))
  # dlib's postprocessing loaded that module and exported its own.
  for name in ("mean", "sampled"):
    assert os.path.isfile(os.path.join(pipeline_run.model_dir, "postprocessed",
                                       name, "tfhub", "saved_model.pb"))


def test_train_results_record_the_plugin_config(pipeline_run):
  json_dir = os.path.join(pipeline_run.model_dir, "model", "results", "json")
  with open(os.path.join(json_dir, "train_config.json")) as config_file:
    config = json.load(config_file)
  # Bound in gin_configs/tests/pipeline_test.gin, resolved from the plugin's architectures.
  assert config["encoder.encoder_fn"] == "@conv_encoder_32"
  assert config["dataset.name"] == "'synthetic_squares_32'"
  with open(os.path.join(json_dir, "train_results.json")) as results_file:
    results = json.load(results_file)
  assert results["reconstruction_loss"] > 0


def test_metrics_are_written_in_range(pipeline_run):
  for name in ("mean", "sampled"):
    mig = pipeline_run.scores[name]["mig"]["discrete_mig"]
    assert 0. <= mig <= 1.
    dci = pipeline_run.scores[name]["dci"]
    for key in ("disentanglement", "completeness", "informativeness_test"):
      assert 0. <= dci[key] <= 1., (key, dci[key])
  assert len(pipeline_run.result_files) == 4
  assert all(os.path.isfile(path) for path in pipeline_run.result_files)


def test_visualize_model_writes_traversal_animations(pipeline_run):
  animations = glob.glob(os.path.join(pipeline_run.visualizations,
                                      "animated_traversals", "*.gif"))
  assert animations, os.listdir(pipeline_run.visualizations)
  assert all(os.path.getsize(path) > 0 for path in animations)


def test_aggregate_results_reads_the_pipeline_results(pipeline_run, tmp_path):
  from disentanglement_lib.utils import aggregate_results
  output = str(tmp_path / "results.json")
  pipeline.run_dlib("dlib_aggregate_results", [
      "--result_file_pattern=" + os.path.join(
          pipeline_run.model_dir, "metrics", "*", "*", "results", "aggregate",
          "evaluation.json"),
      "--output_path=" + output])
  frame = aggregate_results.load_aggregated_json_results(output)
  assert len(frame) == 4  # 2 representations x 2 metrics
  assert set(frame["train_config.model.name"]) == {"'pipeline_test'"}
  assert frame["evaluation_results.discrete_mig"].notna().sum() == 2


def test_visualize_dataset_writes_images_of_a_plugin_dataset(tmp_path):
  from PIL import Image
  pipeline.run_dlib("dlib_visualize_dataset", ["--name=synthetic_squares_32",
                                               "--path=" + str(tmp_path)])
  written = tmp_path / "synthetic_squares_32"
  # One image of variations per factor (size, intensity, rotation), and animations.
  for factor in range(3):
    image = Image.open(written / "variations_of_factor{}.png".format(factor))
    pixels = np.asarray(image)
    assert pixels.dtype == np.uint8 and pixels.ndim == 3
    assert pixels.max() > pixels.min()  # not a blank image
  assert list(written.glob("animation*.gif"))


def test_the_log_tells_how_far_the_chain_has_got(pipeline_run):
  """What the main job's progress bar reads (chain_progress): numbered steps, the
  training's length, TensorFlow's lines."""
  with open(os.path.join(pipeline_run.model_dir, pipeline.LOG)) as f:
    text = f.read()
  # Training, visualization, 2 representations, mig and dci on each.
  assert re.findall(r"^\[ *[\d.]+s\] \((\d)/8\) ", text, re.M) == list("12345678")
  assert chain_progress.length_line(4, 100) in text.splitlines()
  assert "INFO:tensorflow:Loss for final step" in text
  state = chain_progress.ChainLog(os.path.join(pipeline_run.model_dir,
                                               pipeline.LOG)).update()
  assert state.finished and state.describe() == "done"


def test_existing_model_dir_is_never_overwritten(pipeline_run):
  before = sorted(os.listdir(pipeline_run.model_dir))
  with pytest.raises(FileExistsError, match="already exists"):
    pipeline.run_pipeline(pipeline_run.model_dir,
                          [gin_files.plugin_config("shared.gin")])
  assert sorted(os.listdir(pipeline_run.model_dir)) == before


def test_a_failed_run_raises_with_dlibs_error_and_keeps_its_log(tmp_path):
  model_dir = str(tmp_path / "bad")
  with pytest.raises(RuntimeError, match="mine_plugin.pipeline failed with exit "
                     "code 1") as error:
    pipeline.run_pipeline(model_dir, [gin_files.plugin_config("shared.gin")],
                          ["model.model=@no_such_model()"])
  assert "No configurable matching reference '@no_such_model()'" in str(error.value)
  with open(os.path.join(model_dir, pipeline.LOG)) as log:
    assert "Training with " + gin_files.plugin_config("shared.gin") in log.read()


def _dlib_error(script, flags):
  """The exception line ('SomeError: ...') a failing dlib console script ended with."""
  with pytest.raises(RuntimeError) as error:
    pipeline.run_dlib(script, flags)
  output = str(error.value)
  # The compat layer wraps dlib's train (overwrite guard, short NaN stops) but
  # passes dlib's own errors on unchanged: the last exception line is dlib's.
  exceptions = re.findall(r"^\w+Error: .*$", output, flags=re.MULTILINE)
  assert exceptions, output
  return exceptions[-1]


def test_dlib_errors_come_through_unchanged(tmp_path):
  shared = "--gin_config=" + gin_files.plugin_config("shared.gin")
  assert ("ValueError: No configurable matching reference '@no_such_model()'." ==
          _dlib_error("dlib_train", [
              "--model_dir=" + str(tmp_path / "a"), shared,
              "--gin_bindings=model.model=@no_such_model()"]))
  existing = tmp_path / "existing"
  existing.mkdir()
  (existing / "keep.txt").write_text("user data")
  assert ("ValueError: Directory already exists and overwrite is False." ==
          _dlib_error("dlib_train", [
              "--model_dir=" + str(existing), shared,
              "--gin_bindings=model.model=@vae()", "--gin_bindings=vae.beta=1."]))
  assert (existing / "keep.txt").read_text() == "user data"
  # Without --model_dir dlib fails inside TensorFlow's path handling, as on TF 1.14.
  assert ("TypeError: Expected binary or unicode string, got None" ==
          _dlib_error("dlib_train", [
              shared, "--gin_bindings=model.model=@vae()",
              "--gin_bindings=vae.beta=1."]))

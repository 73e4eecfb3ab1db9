"""mine_plugin.training.precision: the oneDNN bfloat16 option of dlib_train."""
import os
import subprocess

from disentanglement_lib.utils import resources
from mine_plugin import pipeline
from mine_plugin.training import precision
import pytest

TRAIN_TEST_GIN = resources.get_file(
    "config/tests/methods/unsupervised/train_test.gin")


def test_session_config_is_the_estimators_with_the_rewrite_on():
  from tensorflow.core.protobuf import rewriter_config_pb2  # pylint: disable=g-import-not-at-top
  from tensorflow_estimator.python.estimator import run_config  # pylint: disable=g-import-not-at-top
  config = precision.session_config()
  options = config.graph_options.rewrite_options
  assert (options.auto_mixed_precision_onednn_bfloat16 ==
          rewriter_config_pb2.RewriterConfig.ON)
  # Everything else as tf.estimator's default, which dlib_train otherwise gets.
  options.auto_mixed_precision_onednn_bfloat16 = (
      rewriter_config_pb2.RewriterConfig.DEFAULT)
  assert config == run_config.get_default_session_config()
  assert precision.session_config(bfloat16=False) == (
      run_config.get_default_session_config())


def test_cpu_without_bf16_or_a_gpu_is_a_clear_error():
  with pytest.raises(ValueError, match="avx512_bf16 or amx_bf16 .* neither"):
    precision.check_bfloat16_support(flags={"avx2", "fma"}, num_gpus=0)
  with pytest.raises(NotImplementedError, match="with a GPU visible .1 found. "
                     "it is not supported"):
    precision.check_bfloat16_support(flags={"amx_bf16"}, num_gpus=1)
  precision.check_bfloat16_support(flags={"avx512_bf16"}, num_gpus=0)
  with pytest.raises(ValueError, match="must be True or False, got 'yes'"):
    precision.bfloat16_enabled("yes")


def test_dlib_train_with_bf16_records_it_or_names_what_the_cpu_lacks(tmp_path):
  model_dir = tmp_path / "model"
  completed = subprocess.run(
      [pipeline.console_script("dlib_train"), "--model_dir", str(model_dir),
       "--gin_config", TRAIN_TEST_GIN,
       "--gin_bindings", "mixed_precision.bfloat16 = True"],
      capture_output=True, text=True)
  supported = any(flag in precision.cpu_flags()
                  for flag in precision.BF16_CPU_FLAGS)
  if supported:
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "Running auto_mixed_precision_onednn_bfloat16" in completed.stderr
    with open(os.path.join(model_dir, "results", "gin", "train.gin")) as f:
      assert "mixed_precision.bfloat16 = True" in f.read()
  else:
    assert completed.returncode != 0
    assert "needs a CPU with bfloat16 instructions" in completed.stderr

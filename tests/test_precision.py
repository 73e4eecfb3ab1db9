"""mine_plugin.training.precision: the oneDNN bfloat16 option of dlib_train."""
import re

import gin
from mine_plugin.training import precision
import pytest

from test_warm_start import dlib_train  # tests/ is on sys.path under pytest


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
    precision.settings("yes")


def test_float32_ops_must_be_tensorflow_op_types():
  assert precision.settings(False, []) == (False, ())
  with pytest.raises(ValueError, match="'Matmul' is not a TensorFlow op type; did "
                     "you mean MatMul"):
    precision.settings(False, ["Matmul"])
  with pytest.raises(ValueError, match="must be a list of op type names .* got "
                     "'MatMul'"):
    precision.settings(False, "MatMul")
  with pytest.raises(ValueError, match=r"float32_ops = \['MatMul'\] has no effect "
                     "without the bf16 rewrite: add mixed_precision.bfloat16 = True"):
    precision.settings(False, ["MatMul"])


def test_float32_ops_is_read_from_gin_with_the_shipped_constants():
  gin.clear_config()
  try:
    gin.parse_config(["mixed_precision.bfloat16 = True",
                      "mixed_precision.float32_ops = "
                      "%mixed_precision.CONVOLUTIONS_ONLY"])
    if any(flag in precision.cpu_flags() for flag in precision.BF16_CPU_FLAGS):
      assert precision.settings() == (True, precision.CONVOLUTIONS_ONLY)
    else:
      with pytest.raises(ValueError, match="needs a CPU with bfloat16"):
        precision.settings()
  finally:
    gin.clear_config()
  assert set(precision.DENSE_LAYER_OPS) < set(precision.CONVOLUTIONS_ONLY)


def test_set_float32_ops_moves_the_types_to_the_deny_list_and_clears():
  environ = {"OTHER": "1"}
  precision.set_float32_ops(("MatMul", "Relu"), environ)
  prefix = precision.ENV_PREFIX
  assert environ[prefix + "DENYLIST_ADD"] == "MatMul,Relu"
  for name in ("ALLOWLIST", "INFERLIST", "CLEARLIST"):
    assert environ[prefix + name + "_REMOVE"] == "MatMul,Relu"
  precision.set_float32_ops((), environ)
  assert environ == {"OTHER": "1"}


def _relative_errors(bfloat16, float32_ops):
  """Relative error of a matmul and a conv against float32, under the rewrite."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  rng = np.random.RandomState(0)
  a, b = rng.randn(64, 256), rng.randn(256, 128)
  x, k = rng.randn(8, 16, 16, 3), rng.randn(3, 3, 3, 4)
  with tf.Graph().as_default():
    # Variables, so that nothing is folded; fetched through Identity, because the
    # rewrite leaves fetched nodes as they are.
    inputs = [tf.Variable(v.astype(np.float32)) for v in (a, b, x, k)]
    product = tf.identity(tf.matmul(inputs[0], inputs[1]))
    conv = tf.identity(tf.nn.conv2d(inputs[2], inputs[3], 1, "SAME"))
    precision.set_float32_ops(float32_ops)
    with tf.Session(config=precision.session_config(bfloat16)) as session:
      session.run(tf.global_variables_initializer())
      got_product, got_conv = session.run([product, conv])
    with tf.Session() as session:
      session.run(tf.global_variables_initializer())
      want_product, want_conv = session.run([product, conv])
  return [np.abs(got - want).max() / np.abs(want).max()
          for got, want in ((got_product, want_product), (got_conv, want_conv))]


def test_the_rewrite_keeps_the_float32_ops_in_float32():
  if not any(flag in precision.cpu_flags() for flag in precision.BF16_CPU_FLAGS):
    # The binding is refused there (the rewrite would emulate bf16).
    with pytest.raises(ValueError, match="needs a CPU with bfloat16 instructions"):
      precision.settings(True, precision.DENSE_LAYER_OPS)
    return
  try:
    # bf16 keeps 8 bits of mantissa: relative errors near 2^-9 where converted.
    product, conv = _relative_errors(True, ())
    assert product > 1e-4 and conv > 1e-4
    product, conv = _relative_errors(True, precision.DENSE_LAYER_OPS)
    assert product == 0. and conv > 1e-4
    assert _relative_errors(True, ("Conv2D",))[1] == 0.
  finally:
    precision.set_float32_ops(())


def test_dlib_train_with_bf16_records_it_or_names_what_the_cpu_lacks(tmp_path):
  whole = dlib_train(tmp_path / "whole", "mixed_precision.bfloat16 = True")
  supported = any(flag in precision.cpu_flags()
                  for flag in precision.BF16_CPU_FLAGS)
  if not supported:
    assert whole.returncode != 0
    assert "needs a CPU with bfloat16 instructions" in whole.stderr
    return
  assert whole.returncode == 0, whole.stderr[-3000:]
  # The rewrite's own log line: dlib's test architectures are dense layers only.
  assert re.search(r"Converted [1-9][0-9]*/[0-9]+ nodes to bfloat16", whole.stderr)
  dense_fp32 = dlib_train(tmp_path / "dense_fp32", "mixed_precision.bfloat16 = True",
                           "mixed_precision.float32_ops = "
                           "%mixed_precision.DENSE_LAYER_OPS")
  assert dense_fp32.returncode == 0, dense_fp32.stderr[-3000:]
  assert "Running auto_mixed_precision_onednn_bfloat16" in dense_fp32.stderr
  assert "nodes to bfloat16" not in dense_fp32.stderr  # nothing left to convert
  with open(tmp_path / "dense_fp32" / "results" / "gin" / "train.gin") as f:
    recorded = f.read()
  assert "mixed_precision.bfloat16 = True" in recorded
  assert "mixed_precision.float32_ops = %mixed_precision.DENSE_LAYER_OPS" in recorded


def test_dlib_train_runs_float32_by_default_also_on_a_cpu_with_bf16(tmp_path,
                                                                   monkeypatch):
  """The shipped default (README "Speed"): no bf16 variant kept float32's MIG and DCI
  by the rule of docs/speed/precision_variants.md, so the rewrite stays off whatever
  the CPU's flags; this checks it on the machine the tests run on."""
  gin.clear_config()
  try:
    assert precision.settings() == (False, ())
    assert precision.run_config_kwargs({}) == {}  # no bf16 session config
  finally:
    gin.clear_config()
  monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")  # the rewrite's log lines shown
  default = dlib_train(tmp_path / "default")
  assert default.returncode == 0, default.stderr[-3000:]
  assert "auto_mixed_precision_onednn_bfloat16" not in default.stderr
  assert "nodes to bfloat16" not in default.stderr
  with open(tmp_path / "default" / "results" / "gin" / "train.gin") as f:
    assert "mixed_precision.bfloat16 = False" in f.read()

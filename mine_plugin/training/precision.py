"""bfloat16 training on CPUs with AMX / AVX512-BF16: gin options for dlib_train.

TensorFlow's oneDNN auto-mixed-precision graph rewrite
(`RewriterConfig.auto_mixed_precision_onednn_bfloat16`) runs the op types on its
lists in bfloat16 and keeps the variables and the optimizer's update in float32.
Under the plugin (`mine_plugin.training.dlib_steps`) dlib_train's RunConfig gets a
session config with the rewrite on, with the gin bindings

    mixed_precision.bfloat16 = True
    mixed_precision.float32_ops = %mixed_precision.DENSE_LAYER_OPS   # optional

`float32_ops` names op types the rewrite must leave in float32. The rewrite reads
its lists from the process environment each time it optimizes a graph
(TF_AUTO_MIXED_PRECISION_GRAPH_REWRITE_{ALLOWLIST,INFERLIST,CLEARLIST,DENYLIST}_
{ADD,REMOVE}, TensorFlow's auto_mixed_precision_lists.h): `set_float32_ops` sets
them for the whole process (replacing any such values already there) until its next
call, and dlib_train's RunConfig calls it. Which conversions cost the metrics, and
which setting is therefore shipped, is measured in README "Speed".

Off by default. On a CPU without bf16 instructions the rewrite would emulate
bfloat16 (slower than float32), and on a GPU it does not apply (dlib's TF1 graphs
have no float16 path, untested here): enabling it there is an error that says so.
"""
import difflib
import os

import gin

BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")
ENV_PREFIX = "TF_AUTO_MIXED_PRECISION_GRAPH_REWRITE_"
_LISTS = ("ALLOWLIST", "INFERLIST", "CLEARLIST")
# Dense layers (tf.layers.dense: the encoder's latent heads, the decoder's input).
DENSE_LAYER_OPS = ("MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3")
# The other op types the full rewrite runs in bf16 in dlib's VAEs' training graphs
# besides the convolutions (read from the partition graphs of beta_tc_vae's
# training op): bias, activation, their gradients, the sampling's and the
# Bernoulli loss's element-wise arithmetic.
ELEMENTWISE_OPS = ("Add", "AddN", "AddV2", "BiasAdd", "BiasAddGrad", "GreaterEqual",
                   "Mul", "Neg", "Relu", "ReluGrad", "Select", "SelectV2", "Square",
                   "Sub")
# Only the convolutions and transposed convolutions (and their gradients) in bf16.
CONVOLUTIONS_ONLY = DENSE_LAYER_OPS + ELEMENTWISE_OPS
gin.constant("mixed_precision.DENSE_LAYER_OPS", DENSE_LAYER_OPS)
gin.constant("mixed_precision.CONVOLUTIONS_ONLY", CONVOLUTIONS_ONLY)


def cpu_flags(cpuinfo="/proc/cpuinfo"):
  """The CPU's feature flags (Linux /proc/cpuinfo), or an empty set if unknown."""
  try:
    with open(cpuinfo) as f:
      for line in f:
        if line.startswith("flags"):
          return set(line.split(":", 1)[1].split())
  except OSError:
    pass
  return set()


@gin.configurable("mixed_precision", allowlist=["bfloat16", "float32_ops"])
def settings(bfloat16=False, float32_ops=()):
  """(whether dlib_train runs the oneDNN bf16 rewrite, the op types kept float32)."""
  if not isinstance(bfloat16, bool):
    raise ValueError("mixed_precision.bfloat16 must be True or False, got "
                     "{!r}.".format(bfloat16))
  float32_ops = check_op_types(float32_ops)
  if float32_ops and not bfloat16:
    raise ValueError(
        "mixed_precision.float32_ops = {} has no effect without the bf16 rewrite: "
        "add mixed_precision.bfloat16 = True, or drop the binding.".format(
            list(float32_ops)))
  if bfloat16:
    check_bfloat16_support()
  return bfloat16, float32_ops


def check_op_types(op_types):
  """`op_types` as a tuple, if each is a TensorFlow op type; else a ValueError."""
  if isinstance(op_types, str) or not isinstance(op_types, (list, tuple)):
    raise ValueError("mixed_precision.float32_ops must be a list of op type names "
                     "(e.g. ['MatMul']), got {!r}.".format(op_types))
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  known = [name for name in dir(tf.raw_ops) if not name.startswith("_")]
  for op_type in op_types:
    if not isinstance(op_type, str) or op_type not in known:
      close = difflib.get_close_matches(str(op_type), known, n=3)
      raise ValueError(
          "mixed_precision.float32_ops: {!r} is not a TensorFlow op type{} "
          "(names as in tf.raw_ops, e.g. 'MatMul', 'Conv2D').".format(
              op_type, "; did you mean {}?".format(" or ".join(close))
              if close else ""))
  return tuple(op_types)


def set_float32_ops(op_types, environ=None):
  """Sets, for the process, the rewrite's list changes that keep `op_types` float32.

  Each type is removed from the allow, infer and clear lists and added to the deny
  list; with no types, the variables this function sets are removed. A session
  rewrites its graph when it first runs it: call this before that run.
  """
  environ = os.environ if environ is None else environ
  names = [ENV_PREFIX + name + "_REMOVE" for name in _LISTS]
  for name in names + [ENV_PREFIX + "DENYLIST_ADD"]:
    environ.pop(name, None)
  if op_types:
    value = ",".join(op_types)
    for name in names + [ENV_PREFIX + "DENYLIST_ADD"]:
      environ[name] = value


def check_bfloat16_support(flags=None, num_gpus=None):
  """Raises ValueError/NotImplementedError where the bf16 rewrite cannot help."""
  if num_gpus is None:
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    num_gpus = len(tf.config.list_physical_devices("GPU"))
  if num_gpus:
    raise NotImplementedError(
        "mixed_precision.bfloat16 is the oneDNN CPU rewrite; with a GPU visible "
        "({} found) it is not supported (a float16 path for dlib's TF1 graphs is "
        "not implemented and could not be tested here). Drop the binding, or "
        "hide the GPU with CUDA_VISIBLE_DEVICES=''.".format(num_gpus))
  flags = cpu_flags() if flags is None else flags
  if not any(flag in flags for flag in BF16_CPU_FLAGS):
    raise ValueError(
        "mixed_precision.bfloat16 needs a CPU with bfloat16 instructions (flags {} "
        "in /proc/cpuinfo); this CPU has neither, so TensorFlow would emulate "
        "bfloat16, slower than float32. Drop the binding.".format(
            " or ".join(BF16_CPU_FLAGS)))


def session_config(bfloat16=True):
  """The estimator's default session config, with the bf16 rewrite if `bfloat16`.

  TPUEstimator runs with tf.estimator's default (soft placement, one pass of the
  graph optimizers) when dlib gives it no session config; the rewrite is added to
  that, so that nothing else about dlib_train's sessions changes.
  """
  # pylint: disable=g-import-not-at-top
  from tensorflow.core.protobuf import rewriter_config_pb2
  from tensorflow_estimator.python.estimator import run_config
  # pylint: enable=g-import-not-at-top
  config = run_config.get_default_session_config()
  if bfloat16:
    config.graph_options.rewrite_options.auto_mixed_precision_onednn_bfloat16 = (
        rewriter_config_pb2.RewriterConfig.ON)
  return config


def run_config_kwargs(kwargs):
  """dlib_train's RunConfig arguments, with the bf16 session config if enabled."""
  bfloat16, float32_ops = settings()
  if "session_config" not in kwargs and bfloat16:
    set_float32_ops(float32_ops)
    kwargs = dict(kwargs, session_config=session_config(True))
  return kwargs

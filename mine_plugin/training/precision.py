"""bfloat16 training on CPUs with AMX / AVX512-BF16: a gin option for dlib_train.

TensorFlow's oneDNN auto-mixed-precision graph rewrite
(`RewriterConfig.auto_mixed_precision_onednn_bfloat16`) runs the convolutions and
matrix products of a graph in bfloat16 and keeps the variables, the loss and the
optimizer's update in float32. dlib builds its `RunConfig` without a session config;
under the plugin (`mine_plugin.training.dlib_steps`), dlib_train's RunConfig gets one that turns
the rewrite on with the gin binding

    mixed_precision.bfloat16 = True

(a gin binding, not an environment variable, so that the model's train.gin records
it).

It is off by default: scripts/benchmark_training.py measures its speed and a short
same-budget comparison of its MIG and reconstruction loss (README, "Speed").

On a CPU without bf16 instructions the rewrite would emulate bfloat16 (slower than
float32), so enabling it there is an error that names the missing CPU flags. On a
GPU the corresponding path would be Keras/TF mixed float16, which dlib's TF1 graphs
do not use and which cannot be tested here: enabling bf16 with a visible GPU is an
error that says so.
"""
import gin

BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


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


@gin.configurable("mixed_precision", allowlist=["bfloat16"])
def bfloat16_enabled(bfloat16=False):
  """Whether dlib_train runs with the oneDNN bfloat16 rewrite."""
  if not isinstance(bfloat16, bool):
    raise ValueError("mixed_precision.bfloat16 must be True or False, got "
                     "{!r}.".format(bfloat16))
  if bfloat16:
    check_bfloat16_support()
  return bfloat16


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
  if "session_config" not in kwargs and bfloat16_enabled():
    kwargs = dict(kwargs, session_config=session_config())
  return kwargs

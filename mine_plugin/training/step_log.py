"""How often dlib_train logs its speed: every 100 steps, not every step.

dlib_train runs a TPUEstimator on the CPU (`use_tpu=False`) with
`TPUConfig(iterations_per_loop=500)` and RunConfig's default
`log_step_count_steps=100`. TPUEstimator divides the latter by the former, because
on a TPU one session run is `iterations_per_loop` steps, and logs
`global_step/sec` and `examples/sec` every ceil(100 / 500) = 1 session run. On
the CPU a session run is one step, so dlib_train logs twice, writes two summary
events and runs one more session call (to read the global step) at every step.

Under the plugin (`mine_plugin.training.dlib_steps`), dlib_train's RunConfig asks for
`every_n_steps * iterations_per_loop`, which TPUEstimator turns back into one
reading every `every_n_steps` steps (100: a plain Estimator's default interval):

    step_log.every_n_steps = 100   # the default; 0 turns the readings off

scripts/benchmark_training.py measures what the per-step logging cost.
"""
import gin

DEFAULT_EVERY_N_STEPS = 100


@gin.configurable("step_log", allowlist=["every_n_steps"])
def every_n_steps(every_n_steps=DEFAULT_EVERY_N_STEPS):
  """Steps between dlib_train's `global_step/sec` readings (0: none)."""
  if (isinstance(every_n_steps, bool) or not isinstance(every_n_steps, int) or
      every_n_steps < 0):
    raise ValueError("step_log.every_n_steps must be an integer >= 0 (0 turns "
                     "the global_step/sec readings off), got {!r}.".format(
                         every_n_steps))
  return every_n_steps


def run_config_kwargs(kwargs):
  """dlib_train's RunConfig keyword arguments, logging every `every_n_steps` steps.

  A `log_step_count_steps` that the caller passed is kept, as is a TPUConfig
  whose `iterations_per_loop` is a duration ("30s"), which TPUEstimator logs by
  time instead. The interval assumes that a session run is one step, as in
  dlib_train (`use_tpu=False`); on a TPU it would be `every_n_steps` loops.
  """
  # pylint: disable=g-import-not-at-top
  from tensorflow_estimator.python.estimator.tpu import tpu_config as tpu_config_lib
  from tensorflow_estimator.python.estimator.tpu import util
  # pylint: enable=g-import-not-at-top
  if "log_step_count_steps" in kwargs:
    return kwargs
  steps = every_n_steps()
  tpu_config = kwargs.get("tpu_config") or tpu_config_lib.TPUConfig()
  loop = util.parse_iterations_per_loop(tpu_config.iterations_per_loop)
  if loop.unit != "count":
    return kwargs
  return dict(kwargs, log_step_count_steps=steps * loop.value if steps else None)

"""How often dlib_train logs its speed: every 100 steps, not every step.

On the CPU, TPUEstimator divides `log_step_count_steps` by `iterations_per_loop` (500)
and logs every step; here RunConfig asks for `step_log.every_n_steps` (default 100;
0: off) * `iterations_per_loop`.
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

"""dlib's train, postprocess and evaluate as they run under the plugin.

Installed by `mine_plugin.registration`: train checks its settings (`settings_check`),
resumes (`resume`), reads batched input (`input_pipeline`), seeds the initial weights
(`seeding`) and passes `precision`, `step_log`, `warm_start`, `resume` to its
estimator (`TrainContribTpu`); all three guard `overwrite` (`overwrite_guard`) and
end a failure with one line (`run_errors`).
"""
import inspect

from mine_plugin.training import input_pipeline
from mine_plugin.training import overwrite_guard
from mine_plugin.training import precision
from mine_plugin.training import resume
from mine_plugin.training import run_errors
from mine_plugin.training import seeding
from mine_plugin.training import settings_check
from mine_plugin.training import step_log
from mine_plugin.training import termination
from mine_plugin.training import warm_start


def install_train(module):
  """Wraps dlib's `train.train` and its `contrib_tpu` (see the module docstring)."""
  if getattr(module.train, "_mine_plugin_compat", False):
    return
  train = module.train
  module.train = run_errors.explained(
      _settings_checked(_resumable(overwrite_guard.guarded(train))),
      train, ["model_dir"], nan_stops=True)
  module.train._mine_plugin_compat = True  # pylint: disable=protected-access
  input_pipeline.install(module)
  if not isinstance(module.contrib_tpu, TrainContribTpu):
    module.contrib_tpu = TrainContribTpu(module.contrib_tpu)


def install_postprocess(module):
  """Wraps dlib's `postprocess.postprocess` in the overwrite guard."""
  if not getattr(module.postprocess, "_mine_plugin_compat", False):
    module.postprocess = _guarded_step(module.postprocess)


def install_evaluate(module):
  """Wraps dlib's `evaluate.evaluate` in the overwrite guard."""
  if not getattr(module.evaluate, "_mine_plugin_compat", False):
    module.evaluate = _guarded_step(module.evaluate)


def _guarded_step(function):
  step = run_errors.explained(overwrite_guard.guarded(function), function,
                              ["model_dir", "output_dir"])
  step._mine_plugin_compat = True  # pylint: disable=protected-access
  return step


def _settings_checked(function):
  """dlib's train, refusing settings that cannot train before it writes anything
  (mine_plugin/training/settings_check.py)."""
  signature = inspect.signature(function)

  def checked(*args, **kwargs):
    call_arguments = run_errors.bound_arguments(signature, args, kwargs)
    if call_arguments is None:
      return function(*args, **kwargs)  # dlib's own error for a bad call
    settings_check.check(call_arguments)
    return function(*args, **kwargs)

  checked.__doc__ = function.__doc__
  checked.__name__ = function.__name__
  return checked


def _resumable(guarded):
  """dlib's train (under the overwrite guard) that continues a killed training when
  `resume.enabled = True` (mine_plugin/training/resume.py).

  With resume on, the guard is bypassed: a stopped run keeps its checkpoints for the
  next resume instead of being removed as a failed first run.
  """
  train = guarded.__wrapped__
  signature = inspect.signature(train)

  def resumable(*args, **kwargs):
    bound = run_errors.bound_arguments(signature, args, kwargs)
    if bound is None:
      return guarded(*args, **kwargs)  # dlib's own error for a bad call
    if not resume.settings()[0]:
      return guarded(*args, **kwargs)
    with termination.signals_raise() as signals:
      try:
        with signals.deferred():
          resume.prepare(bound.get("model_dir"), bound.get("overwrite", False))
        return train(*args, **kwargs)
      finally:
        with signals.deferred():
          resume.finish()

  resumable.__doc__ = train.__doc__
  resumable.__name__ = train.__name__
  resumable.__wrapped__ = train
  return resumable


class TrainContribTpu(object):
  """dlib train's `contrib_tpu`, whose RunConfig carries the bfloat16 option
  (mine_plugin/training/precision.py), the step-log interval
  (mine_plugin/training/step_log.py) and the checkpoint interval, and whose
  TPUEstimator the warm start (mine_plugin/training/warm_start.py) and the resume
  (mine_plugin/training/resume.py); everything else is contrib_tpu's own."""

  def __init__(self, contrib_tpu):
    self._contrib_tpu = contrib_tpu

  def RunConfig(self, *args, **kwargs):  # pylint: disable=invalid-name
    # RunConfig's positional parameters (tf-estimator 2.15), by name.
    kwargs = dict(zip(("tpu_config", "evaluation_master", "master", "cluster"),
                      args), **kwargs)
    kwargs = resume.run_config_kwargs(
        step_log.run_config_kwargs(precision.run_config_kwargs(kwargs)))
    # The model's graph is built after this, in this thread.
    seeding.seed_initializers(kwargs.get("tf_random_seed"))
    return self._contrib_tpu.RunConfig(**kwargs)

  def TPUEstimator(self, *args, **kwargs):  # pylint: disable=invalid-name
    kwargs = warm_start.estimator_kwargs(resume.estimator_kwargs(kwargs))
    return resume.wrap_estimator(self._contrib_tpu.TPUEstimator(*args, **kwargs))

  def __getattr__(self, name):
    return getattr(self._contrib_tpu, name)

"""dlib_train settings that cannot train (0 batch/latents/steps), refused up front."""
import numbers

import gin
from mine_plugin.methods.shared import critic_tracking

# binding -> (what it is, the value dlib's own configs use).
POSITIVE_INTEGERS = {
    "model.batch_size": ("the number of observations per training step", 64),
    "model.training_steps": ("the number of training steps", 300000),
    "encoder.num_latent": ("the size of the latent code", 10),
}


def _bound(name):
  """The value gin binds to `name` (a `%MACRO` followed), or None if unset."""
  try:
    value = gin.query_parameter(name)
    for _ in range(10):  # a macro may name another macro
      if not isinstance(value, gin.config.ConfigurableReference):
        break
      if value.configurable.name != "macro":
        return None  # "@something()": known only once it is called
      value = gin.query_parameter(value.scoped_selector + ".value")
  except ValueError:
    return None
  return value


def check(call_arguments=None, bound=_bound):
  """Raises ValueError if a POSITIVE_INTEGERS setting is not a whole number >= 1,
  or if `critic_tracking.every_n_steps` is bound to anything but one.

  Args:
    call_arguments: train's arguments given in the call by name (`batch_size`);
      they take the place of gin's `model.` bindings, as in dlib's train.
    bound: binding name -> its value, or None where unset (gin's, by default).
  """
  call_arguments = call_arguments or {}
  for name, (meaning, example) in POSITIVE_INTEGERS.items():
    configurable, parameter = name.split(".")
    if configurable == "model" and parameter in call_arguments:
      value = call_arguments[parameter]
    else:
      value = bound(name)
    if (isinstance(value, bool) or not isinstance(value, numbers.Real) or
        (value >= 1 and float(value).is_integer())):
      continue  # unset, a reference, or valid: dlib's own errors cover the rest
    raise ValueError(
        "{name} = {value!r} cannot train: {name} is {meaning} and must be a whole "
        "number >= 1. Set it in the gin config or with --gin_bindings='{name} = "
        "{example}' (the value dlib's own configs use). Nothing was written."
        .format(name=name, value=value, meaning=meaning, example=example))
  interval = bound("critic_tracking.every_n_steps")
  if interval is not None:
    try:
      critic_tracking.checked_interval(interval)
    except ValueError as error:
      raise ValueError("{} Nothing was written.".format(error)) from None

"""A NaN or inf loss term stops training with an error naming the term and the fix.

TensorFlow's own stop (`NanTensorHook`, "NaN loss during training.") names neither.
`checked_in_order` puts `tf.debugging.check_numerics` on each term, each after the
previous one, so that the first non-finite term computed is the one named. The
message starts with "mine_plugin:", which `run_errors.short_training_error` makes the last
line of dlib_train's output.
"""
import tensorflow.compat.v1 as tf


def checked(tensor, term, model_name, fix):
  """`tensor`, checked: a NaN or inf in it stops the step, naming `term` and `fix`."""
  return tf.debugging.check_numerics(
      tensor, "mine_plugin: the loss term '{}' of {} is NaN or inf; training "
      "stopped. {}".format(term, model_name, fix))


def checked_in_order(terms, model_name, fix):
  """Checks of (tensor, name) pairs, each run after the previous one.

  In the order the terms are computed, so that the first non-finite term is the
  one reported (grouped checks run in any order).
  """
  checks = []
  for tensor, name in terms:
    with tf.control_dependencies(checks[-1:]):
      checks.append(checked(tensor, name, model_name, fix))
  return checks

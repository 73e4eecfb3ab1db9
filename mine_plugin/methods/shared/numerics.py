"""A NaN or inf loss term stops training with an error naming the term and the fix.

`checked_in_order` names the first non-finite term; the message starts "mine_plugin:",
which `run_errors.short_training_error` makes dlib_train's last line.
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

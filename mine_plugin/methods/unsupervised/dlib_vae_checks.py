"""dlib's own VAEs stop on a NaN or inf loss term as the plugin's models do.

`numerics.checked_in_order` on dlib's terms, built after dlib's graph so its ops and
graph-derived seeds are unchanged; the error names the learning rate and weights.
"""
import functools

import gin
from mine_plugin.methods.shared import numerics
import tensorflow.compat.v1 as tf

# dlib's model class -> the gin bindings that weigh its regularizer.
WEIGHTS = {
    "BetaVAE": ("vae.beta",),
    "AnnealedVAE": ("annealed_vae.gamma", "annealed_vae.c_max"),
    "DIPVAE": ("dip_vae.lambda_od", "dip_vae.lambda_d_factor"),
    "BetaTCVAE": ("beta_tc_vae.beta",),
    "FactorVAE": ("factor_vae.gamma",),
}


def _query(name):
  try:
    return gin.query_parameter(name)
  except ValueError:
    return None


def _learning_rate_binding():
  """The binding that sets the VAE optimizer's learning rate, with its value."""
  value = _query("vae_optimizer.learning_rate")
  if value is not None:
    return "vae_optimizer.learning_rate = {!r}".format(value)
  optimizer = _query("vae_optimizer.optimizer_fn")
  if not isinstance(optimizer, gin.config.ConfigurableReference):
    return "vae_optimizer.learning_rate"
  name = optimizer.scoped_selector + ".learning_rate"
  value = _query(name)
  return name + (" unbound: the optimizer's default" if value is None else
                 " = {!r}".format(value))


def nan_fix(model):
  """What to change when a term of dlib's `model` is not finite."""
  learning_rate = _learning_rate_binding()
  weights = ["{} = {!r}".format(name, _query(name))
             for name in WEIGHTS.get(type(model).__name__, ())
             if _query(name) is not None]
  return ("Lower the learning rate ({}; dlib's configs use 0.0001) or the "
          "regularizer's weight{}.".format(
              learning_rate, " ({})".format(", ".join(weights)) if weights else ""))


def _with_checks(spec, terms, model):
  """`spec` whose training op also checks `terms`, (tensor, name) in order."""
  checks = numerics.checked_in_order(terms, type(model).__name__, nan_fix(model))
  return spec._replace(train_op=tf.group(spec.train_op, checks[-1].op))


def _addends(tensor, name):
  """The two inputs of dlib's `tf.add(a, b, name=<name>)`, or None if `tensor` is
  not that op (dlib's model_fn changed)."""
  if tensor.op.type not in ("Add", "AddV2") or not tensor.op.name.endswith(name):
    return None
  return list(tensor.op.inputs)


def checked_base_model_fn(model_fn):
  """BaseVAE.model_fn, checking reconstruction loss, KL and regularizer."""

  @functools.wraps(model_fn)
  def checked(self, features, labels, mode, params):
    if mode != tf.estimator.ModeKeys.TRAIN:
      return model_fn(self, features, labels, mode, params)
    # dlib calls self.regularizer(kl_loss, ...) once; the KL is only seen there.
    captured = {}
    regularizer = self.regularizer

    def capturing_regularizer(kl_loss, *args, **kwargs):
      captured["kl_loss"] = kl_loss
      captured["regularizer"] = regularizer(kl_loss, *args, **kwargs)
      return captured["regularizer"]

    self.regularizer = capturing_regularizer
    try:
      spec = model_fn(self, features, labels, mode, params)
    finally:
      del self.regularizer  # the class's method again
    # dlib: loss = tf.add(reconstruction_loss, regularizer, name="loss").
    addends = _addends(spec.loss, "loss")
    if addends is None or "regularizer" not in captured:
      return _with_checks(spec, [(spec.loss, "loss")], self)
    return _with_checks(spec, [(addends[0], "reconstruction_loss"),
                               (captured["kl_loss"], "kl_loss"),
                               (captured["regularizer"], "regularizer")], self)

  checked.mine_plugin_checks = True
  return checked


def checked_factor_model_fn(model_fn):
  """FactorVAE.model_fn, checking reconstruction loss, KL and gamma * TC."""

  @functools.wraps(model_fn)
  def checked(self, features, labels, mode, params):
    spec = model_fn(self, features, labels, mode, params)
    if mode != tf.estimator.ModeKeys.TRAIN:
      return spec
    # dlib: factor_VAE_loss = tf.add(VAE_loss, gamma * tc_loss) and
    # VAE_loss = tf.add(reconstruction_loss, kl_loss).
    outer = _addends(spec.loss, "factor_VAE_loss")
    inner = outer and _addends(outer[0], "VAE_loss")
    if not inner:
      return _with_checks(spec, [(spec.loss, "loss")], self)
    return _with_checks(spec, [(inner[0], "reconstruction_loss"),
                               (inner[1], "kl_loss"),
                               (outer[1], "gamma * tc_loss")], self)

  checked.mine_plugin_checks = True
  return checked


def install(vae):
  """Puts the checks into dlib's vae module's BaseVAE and FactorVAE (once)."""
  if not getattr(vae.BaseVAE.model_fn, "mine_plugin_checks", False):
    vae.BaseVAE.model_fn = checked_base_model_fn(vae.BaseVAE.model_fn)
  if not getattr(vae.FactorVAE.model_fn, "mine_plugin_checks", False):
    vae.FactorVAE.model_fn = checked_factor_model_fn(vae.FactorVAE.model_fn)

"""dlib's own VAEs stop on a NaN or inf term with the term and the fix in the last
line, as the plugin's models do (mine_plugin/methods/unsupervised/dlib_vae_checks.py).

Real dlib_train processes on dlib's own test config, with each model's bindings from
dlib's train_test.py; without the checks each of them ends with dlib's bare "NaN loss
during training.".
"""
import pytest
from test_moved_aside import train  # tests/ is on sys.path under pytest

# dlib's train_test.py's bindings of each model.
MODELS = {
    "BetaVAE": ["model.model = @vae()", "vae.beta = 10."],
    "AnnealedVAE": ["model.model = @annealed_vae()", "annealed_vae.c_max = 25",
                    "annealed_vae.iteration_threshold = 100000",
                    "annealed_vae.gamma = 1000"],
    "FactorVAE": ["model.model = @factor_vae()",
                  "discriminator.discriminator_fn = @fc_discriminator",
                  "discriminator_optimizer.optimizer_fn = @AdamOptimizer",
                  "factor_vae.gamma = 10."],
    "DIPVAE": ["model.model = @dip_vae()", "dip_vae.lambda_d_factor = 10",
               "dip_vae.dip_type = 'i'", "dip_vae.lambda_od = 10."],
    "BetaTCVAE": ["model.model = @beta_tc_vae()", "beta_tc_vae.beta = 10."],
}
WEIGHTS = {
    "BetaVAE": "vae.beta = 10.0",
    "AnnealedVAE": "annealed_vae.gamma = 1000, annealed_vae.c_max = 25",
    "FactorVAE": "factor_vae.gamma = 10.0",
    "DIPVAE": "dip_vae.lambda_od = 10.0, dip_vae.lambda_d_factor = 10",
    "BetaTCVAE": "beta_tc_vae.beta = 10.0",
}


def failed_training(tmp_path, bindings):
  """dlib_train's whole output and last line; it must fail."""
  flags = ["--gin_bindings", "model.training_steps = 10"]
  for binding in bindings:
    flags += ["--gin_bindings", binding]
  status, output, last = train(tmp_path / "model", *flags)
  assert status == 1, output[-3000:]
  return output, last


@pytest.mark.parametrize("model", sorted(MODELS))
def test_a_huge_learning_rate_names_the_first_bad_term_and_the_fix(tmp_path, model):
  # Adam's first step with a rate of 1e30 leaves the weights non-finite: at the
  # next step every term is, and the first computed is named.
  output, last = failed_training(
      tmp_path, MODELS[model] + ["AdamOptimizer.learning_rate = 1e30"])
  assert last == (
      "RuntimeError: mine_plugin: the loss term 'reconstruction_loss' of {} is NaN "
      "or inf; training stopped. Lower the learning rate "
      "(AdamOptimizer.learning_rate = 1e+30; dlib's configs use 0.0001) or the "
      "regularizer's weight ({}). : Tensor had NaN values".format(
          model, WEIGHTS[model])), last
  assert "NaN loss during training" not in output
  assert not (tmp_path / "model").exists()


@pytest.mark.parametrize("bindings,term,fix", [
    # inf * KL: the KL and the reconstruction are finite.
    (["vae.beta = 1e999"], "regularizer of BetaVAE",
     "Lower the learning rate (AdamOptimizer.learning_rate unbound: the "
     "optimizer's default; dlib's configs use 0.0001) or the regularizer's weight "
     "(vae.beta = inf)."),
    (MODELS["FactorVAE"] + ["factor_vae.gamma = 1e999"],
     "gamma * tc_loss of FactorVAE",
     "or the regularizer's weight (factor_vae.gamma = inf)."),
])
def test_the_term_named_is_the_one_that_is_not_finite(tmp_path, bindings, term, fix):
  _, last = failed_training(tmp_path, bindings)
  name, model = term.split(" of ")
  assert last.startswith("RuntimeError: mine_plugin: the loss term '{}' of {} is "
                         "NaN or inf; training stopped.".format(name, model)), last
  assert fix in last, last

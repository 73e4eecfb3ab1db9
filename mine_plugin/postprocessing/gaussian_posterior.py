"""The encoder's Gaussian posterior as a representation: [z_mean, z_logvar].

`@gaussian_posterior`: means then log variances (2 x num_latent columns), for
`latent_dependence`; only metrics expecting this layout may run on it.
"""
import gin.tf
import tensorflow.compat.v1 as tf

POSTPROCESS_FN = "@gaussian_posterior"


@gin.configurable(
    "gaussian_posterior",
    denylist=["ground_truth_data", "gaussian_encoder", "random_state"])
def gaussian_posterior(ground_truth_data, gaussian_encoder, random_state,
                       save_path=None):
  """dlib's postprocessing interface: a transform_fn and no checkpoint.

  Args:
    ground_truth_data, gaussian_encoder, random_state, save_path: as in
      disentanglement_lib.postprocessing.methods.mean_representation (unused).

  Returns:
    (transform_fn, None); transform_fn(mean, logvar) = concat([mean, logvar], 1).
  """
  del ground_truth_data, gaussian_encoder, random_state, save_path

  def transform_fn(mean, logvar):
    return tf.concat([mean, logvar], axis=1, name="gaussian_posterior")

  return transform_fn, None

"""Encoder and decoder for 32x32 images, as gin configurables next to dlib's own.

dlib's `conv_encoder`/`deconv_decoder` (beta-VAE paper, Table 1 row 3) with one
stride-2 stage fewer: `encoder.encoder_fn = @conv_encoder_32`,
`decoder.decoder_fn = @deconv_decoder_32`.
"""
import gin
import tensorflow.compat.v1 as tf

_INPUT_SIDE = 32


def _check_side(shape, what):
  if list(shape[:2]) != [_INPUT_SIDE, _INPUT_SIDE]:
    raise ValueError(
        "{} expects {}x{} images, got shape {}. Use dlib's conv_encoder/"
        "deconv_decoder for 64x64 data.".format(what, _INPUT_SIDE, _INPUT_SIDE,
                                               list(shape)))


@gin.configurable("conv_encoder_32", allowlist=[])
def conv_encoder_32(input_tensor, num_latent, is_training=True):
  """Convolutional Gaussian encoder for (batch, 32, 32, channels) inputs.

  dlib's `conv_encoder` (Higgins et al. 2017, "beta-VAE", Table 1 row 3) without its
  first 4x4 stride-2 convolution: 32x32 -> 16 -> 8 -> 4, then dense 256.

  Returns:
    means, log_var: tensors of shape (batch_size, num_latent).
  """
  del is_training
  _check_side(input_tensor.shape[1:], "conv_encoder_32")
  e1 = tf.layers.conv2d(input_tensor, filters=32, kernel_size=4, strides=2,
                        activation=tf.nn.relu, padding="same", name="e1")
  e2 = tf.layers.conv2d(e1, filters=64, kernel_size=2, strides=2,
                        activation=tf.nn.relu, padding="same", name="e2")
  e3 = tf.layers.conv2d(e2, filters=64, kernel_size=2, strides=2,
                        activation=tf.nn.relu, padding="same", name="e3")
  e4 = tf.layers.dense(tf.layers.flatten(e3), 256, activation=tf.nn.relu,
                       name="e4")
  means = tf.layers.dense(e4, num_latent, activation=None, name="means")
  log_var = tf.layers.dense(e4, num_latent, activation=None, name="log_var")
  return means, log_var


@gin.configurable("deconv_decoder_32", allowlist=[])
def deconv_decoder_32(latent_tensor, output_shape, is_training=True):
  """Deconvolutional decoder to (batch, 32, 32, channels) logits.

  dlib's `deconv_decoder` (Higgins et al. 2017, Table 1 row 3) with one stride-2
  transposed convolution fewer: dense 256 -> 4x4x64 -> 8 -> 16 -> 32.
  """
  del is_training
  _check_side(output_shape, "deconv_decoder_32")
  d1 = tf.layers.dense(latent_tensor, 256, activation=tf.nn.relu)
  d2 = tf.layers.dense(d1, 1024, activation=tf.nn.relu)
  d2_reshaped = tf.reshape(d2, shape=[-1, 4, 4, 64])
  d3 = tf.layers.conv2d_transpose(d2_reshaped, filters=64, kernel_size=4,
                                  strides=2, activation=tf.nn.relu,
                                  padding="same")
  d4 = tf.layers.conv2d_transpose(d3, filters=32, kernel_size=4, strides=2,
                                  activation=tf.nn.relu, padding="same")
  d5 = tf.layers.conv2d_transpose(d4, filters=output_shape[2], kernel_size=4,
                                  strides=2, padding="same")
  return tf.reshape(d5, [-1] + list(output_shape))

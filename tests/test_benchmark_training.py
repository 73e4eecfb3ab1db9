"""scripts/benchmark_training.py: its channels-first lever is dlib's network."""
import os
import sys

import numpy as np

SCRIPTS = os.path.join(os.path.dirname(__file__), os.pardir, "scripts")
sys.path.insert(0, SCRIPTS)
import benchmark_training  # pylint: disable=g-import-not-at-top,wrong-import-position


def test_the_nchw_architectures_compute_dlibs_encoder_and_decoder():
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  from disentanglement_lib.methods.shared import architectures  # pylint: disable=g-import-not-at-top
  nchw_encoder, nchw_decoder = benchmark_training._nchw_architectures()  # pylint: disable=protected-access
  images = np.random.RandomState(0).rand(4, 64, 64, 1).astype(np.float32)
  codes = np.random.RandomState(1).randn(4, 10).astype(np.float32)
  graph = tf.Graph()
  with graph.as_default():
    outputs = {}
    for scope, encoder, decoder in (
        ("dlib", architectures.conv_encoder, architectures.deconv_decoder),
        ("nchw", nchw_encoder, nchw_decoder)):
      with tf.variable_scope(scope):
        outputs[scope] = encoder(tf.constant(images), 10) + (
            decoder(tf.constant(codes), [64, 64, 1]),)
    dlib_variables = tf.global_variables("dlib")
    nchw_variables = tf.global_variables("nchw")
    # The same variables, in the same order and shapes: dlib's weights fit.
    assert [v.shape.as_list() for v in dlib_variables] == [
        v.shape.as_list() for v in nchw_variables]
    with tf.Session() as session:
      session.run(tf.global_variables_initializer())
      session.run([tf.assign(n, d) for d, n in zip(dlib_variables, nchw_variables)])
      dlib, nchw = session.run([outputs["dlib"], outputs["nchw"]])
  for ours, theirs in zip(nchw, dlib):
    assert np.abs(theirs).max() > 1e-3
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)

"""Tests of mine_plugin.methods.shared.critics: the critic networks and the
objects that train them in a graph (the bounds themselves: test_estimators.py)."""
from mine_plugin.methods.shared import critics
from mine_plugin.methods.shared import estimators
import numpy as np
import pytest
import tensorflow.compat.v1 as tf


def evaluate(fetches):
  with tf.Session(graph=tf.get_default_graph()) as session:
    session.run(tf.global_variables_initializer())
    return session.run(fetches)


@pytest.fixture(autouse=True)
def fresh_graph():
  with tf.Graph().as_default():
    yield


def test_critic_without_averaging_has_a_finite_loss():
  critic = critics.Critic("zero_decay_critic", ema_decay=0.)
  joint = tf.constant(np.random.RandomState(0).randn(8, 2), tf.float32)
  _, _, critic_loss = critic.terms(joint, estimators.shuffle_rows(joint),
                                   train_critic=True)
  assert np.isfinite(evaluate(critic_loss))


def test_shared_critic_applies_one_network_to_every_column():
  critic = critics.Critic("critic")
  inputs = tf.constant(np.random.RandomState(0).randn(5, 3, 4), tf.float32)
  batched = critic.apply(inputs)
  per_column = [critic.apply(inputs[:, k]) for k in range(3)]
  got, expected = evaluate([batched, per_column])
  np.testing.assert_allclose(got, np.stack(expected, axis=1), rtol=1e-5)
  assert len(tf.trainable_variables()) == 6  # one network, not three


def test_club_critic_reduces_over_the_batch_per_column_with_one_network():
  critic = critics.ClubCritic("club", target_columns=[1])
  joint = tf.constant(np.random.RandomState(0).randn(6, 3, 4), tf.float32)
  marginal = tf.constant(np.random.RandomState(1).randn(6, 3, 4), tf.float32)
  estimate, loss, critic_loss = critic.terms(joint, marginal, train_critic=True)
  per_column = [critic.terms(joint[:, k], marginal[:, k], train_critic=True)
                for k in range(3)]
  got, expected = evaluate([(estimate, loss, critic_loss), per_column])
  np.testing.assert_allclose(got[0], [e[0] for e in expected], rtol=1e-5)
  assert got[1] == pytest.approx(sum(e[0] for e in expected), rel=1e-5)
  assert got[2] == pytest.approx(sum(e[2] for e in expected), rel=1e-5)
  assert len(tf.trainable_variables()) == 8  # 2 hidden, mean, log-variance


def test_club_critic_rejects_target_columns_it_cannot_use():
  with pytest.raises(ValueError, match="at least one column index >= 0"):
    critics.ClubCritic("club", target_columns=[])
  critic = critics.ClubCritic("club", target_columns=[2])
  with pytest.raises(ValueError, match=r"target columns \[2\] outside inputs of "
                     "width 2"):
    critic.log_likelihood(tf.zeros([4, 2]))
  with pytest.raises(ValueError, match="no conditioning columns"):
    critics.ClubCritic("club", target_columns=[0, 1]).log_likelihood(
        tf.zeros([4, 2]))

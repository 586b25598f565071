"""nnext.fit: epochs, validation, early stopping, optimizers' state, bad arguments."""
import logging
import re
import signal

import numpy as np
import pytest

import nnext
from nnext import Adam, EarlyStopping, Momentum, NeuralNetwork, RMSprop, SGD, fit
from nnext.engine import Engine

from conftest import MNIST, needs_mnist


def blobs(n=300, seed=0):
    """Three classes of 2-D points around three centres, one-hot targets."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    centres = np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])
    X = centres[labels] + rng.normal(scale=0.7, size=(n, 2))
    return X, np.eye(3)[labels]


def classifier(seed=0, dtype=np.float64):
    return NeuralNetwork([2, 16, 3], activations=["relu", "softmax"], init="he", seed=seed,
                         dtype=dtype)


def test_a_small_classifier_learns():
    X, Y = blobs()
    network = classifier()
    history = fit(network, X, Y, optimizer="adam", learning_rate=0.01, batch_size=16, epochs=40,
                  validation_fraction=0.2, patience=5, restore_best=True, seed=0)
    assert history.val_accuracy[history.best_epoch - 1] > 0.9
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    assert len(history.train_loss) == len(history.val_loss) == len(history.elapsed) == history.epochs
    assert history.stopped_because in ("patience", "epochs")


def test_default_loss_follows_the_output_layer():
    X, Y = blobs(60)
    history = fit(classifier(), X, Y, epochs=1, seed=0)
    # The cross-entropy of 3 classes starts near log 3, far above 1/2 ||a - y||^2.
    assert history.train_loss[0] > 0.6
    regression = NeuralNetwork([2, 4, 1], activations=["tanh", "identity"], seed=0)
    history = fit(regression, X, X[:, :1] * 0.5, epochs=3, seed=0, learning_rate=0.01)
    assert history.train_loss[-1] < history.train_loss[0]


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam", "rmsprop", SGD(0.05),
                                       Momentum(0.02, momentum=0.5, nesterov=True),
                                       Adam(0.005, beta1=0.8, beta2=0.99, epsilon=1e-6),
                                       RMSprop(0.005, rho=0.9, epsilon=1e-6)])
def test_every_optimizer_lowers_the_loss(optimizer):
    X, Y = blobs(200)
    history = fit(classifier(), X, Y, optimizer=optimizer, epochs=15, batch_size=20, seed=1,
                  patience=None)
    assert history.train_loss[-1] < 0.7 * history.train_loss[0]
    assert history.stopped_because == "epochs" and history.epochs == 15


def test_fit_twice_continues_like_one_longer_fit():
    X, Y = blobs(100)
    once, twice = classifier(), classifier()
    rng_once, rng_twice = np.random.default_rng(7), np.random.default_rng(7)
    fit(once, X, Y, epochs=6, batch_size=16, patience=None, seed=rng_once)
    fit(twice, X, Y, epochs=2, batch_size=16, patience=None, seed=rng_twice)
    fit(twice, X, Y, epochs=4, batch_size=16, patience=None, seed=rng_twice)
    np.testing.assert_array_equal(once.parameters, twice.parameters)
    # Adam's state came along: a fresh optimizer on the second call differs.
    fresh = classifier()
    rng = np.random.default_rng(7)
    fit(fresh, X, Y, epochs=2, batch_size=16, patience=None, seed=rng)
    fresh.reset_optimizer()
    fit(fresh, X, Y, epochs=4, batch_size=16, patience=None, seed=rng)
    assert not np.array_equal(fresh.parameters, once.parameters)


def test_another_optimizer_starts_afresh():
    X, Y = blobs(100)
    a, b = classifier(), classifier()
    fit(a, X, Y, epochs=2, optimizer="momentum", patience=None, seed=0)
    fit(a, X, Y, epochs=2, optimizer="adam", patience=None, seed=1)
    fit(b, X, Y, epochs=2, optimizer="momentum", patience=None, seed=0)
    b.reset_optimizer()
    fit(b, X, Y, epochs=2, optimizer="adam", patience=None, seed=1)
    np.testing.assert_array_equal(a.parameters, b.parameters)


def test_the_same_seed_gives_the_same_weights_whatever_the_threads():
    X, Y = blobs(500)
    results = []
    for threads in (1, 2):
        network = NeuralNetwork([2, 300, 3], activations=["tanh", "softmax"], seed=0)
        fit(network, X, Y, epochs=2, batch_size=250, seed=3, num_threads=threads)
        results.append(network.parameters)
    np.testing.assert_array_equal(results[0], results[1])


def test_early_stopping_rule_on_scripted_losses():
    rule = EarlyStopping(patience=3, tol=0.01)
    verdicts = [rule.update(loss) for loss in (1.0, 0.8, 0.795, 0.79, 0.81)]
    # 0.795 and 0.79 improve on 0.8 by less than tol; 0.81 is worse: three in a row.
    assert verdicts == [True, True, False, False, False]
    assert rule.done and (rule.best_epoch, rule.best_loss) == (4, 0.79)
    never = EarlyStopping(patience=None, tol=0.0)
    for loss in (1.0, 2.0, 3.0, 4.0):
        never.update(loss)
    assert not never.done and never.best_epoch == 1


def test_restore_best_puts_back_the_best_epoch(monkeypatch):
    X, Y = blobs(120)
    network = classifier()
    snapshots = []
    original = Engine.train_epoch

    def record(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        snapshots.append(self.params.copy())
        return result

    monkeypatch.setattr(Engine, "train_epoch", record)
    # A learning rate this large makes the validation loss wander.
    history = fit(network, X, Y, optimizer="sgd", learning_rate=2.0, epochs=12, patience=3,
                  validation_fraction=0.3, restore_best=True, seed=2)
    assert history.restored_best
    assert history.best_loss == min(history.val_loss)
    assert history.best_epoch == history.val_loss.index(history.best_loss) + 1
    np.testing.assert_array_equal(network.parameters, snapshots[history.best_epoch - 1])
    if history.best_epoch < history.epochs:
        assert not np.array_equal(network.parameters, snapshots[-1])


def test_patience_stops_after_epochs_without_improvement():
    X, Y = blobs(100)
    history = fit(classifier(), X, Y, optimizer="sgd", learning_rate=1e-9, epochs=50,
                  patience=4, tol=1.0, seed=0)
    # The first epoch improves on nothing; tol 1.0 is more than any later epoch
    # can improve: then 4 epochs without improvement.
    assert (history.epochs, history.stopped_because) == (5, "patience")
    assert history.best_epoch == int(np.argmin(history.train_loss)) + 1


def test_validation_split_is_drawn_with_the_seed_and_held_out():
    X, Y = blobs(50)
    seen = []
    original = Engine.train_epoch

    def record(self, X_train, *args, **kwargs):
        seen.append(X_train.copy())
        return original(self, X_train, *args, **kwargs)

    import unittest.mock
    with unittest.mock.patch.object(Engine, "train_epoch", record):
        fit(classifier(), X, Y, epochs=1, validation_fraction=0.2, seed=4)
    order = np.random.default_rng(4).permutation(50)
    np.testing.assert_array_equal(seen[0], X[np.sort(order[10:])])


def test_validation_data_is_scored_each_epoch():
    X, Y = blobs(200)
    Xv, Yv = blobs(80, seed=9)
    network = classifier()
    history = fit(network, X, Y, validation_data=(Xv, Yv), epochs=3, patience=None, seed=0,
                  learning_rate=0.01)
    accuracy = np.mean(network.feedforward(Xv).argmax(1) == Yv.argmax(1))
    assert history.val_accuracy[-1] == accuracy
    A = network.feedforward(Xv)
    loss = -np.mean(np.sum(Yv * np.log(np.maximum(A, np.finfo(float).eps)), axis=1))
    assert history.val_loss[-1] == pytest.approx(loss, rel=1e-12)


def test_logs_epochs_at_debug_and_a_summary_at_info(caplog):
    X, Y = blobs(60)
    seen = []
    with caplog.at_level(logging.DEBUG, logger="nnext.epochs"):
        history = fit(classifier(), X, Y, epochs=3, patience=None, seed=0, progress=seen.append)
    records = [r for r in caplog.records if r.name == "nnext.epochs"]
    assert [r.levelno for r in records] == [logging.DEBUG] * 3 + [logging.INFO]
    assert records[0].getMessage().startswith("epoch 1: loss ")
    assert [info.epoch for info in seen] == [1, 2, 3]
    assert [info.train_loss for info in seen] == history.train_loss


def test_divergence_keeps_the_last_finite_step():
    X, Y = blobs(64)
    X[40] = 1e200   # the batch holding sample 40 sends the weights towards overflow
    network = NeuralNetwork([2, 8, 3], activations=["identity", "softmax"], seed=0)
    start = network.copy()
    with pytest.raises(FloatingPointError, match="learning_rate=0.1 is too large.*try a "
                                                 "smaller one") as raised:
        fit(network, X, Y, optimizer="sgd", learning_rate=0.1, batch_size=8, seed=0)
    assert np.isfinite(network.parameters).all()
    epoch, batch = map(int, re.search(r"in batch (\d+) of epoch (\d+)",
                                      str(raised.value)).groups()[::-1])
    assert (epoch, batch) > (1, 1)
    # Replaying every step before the failing one, in order, reaches these weights.
    rng = np.random.default_rng(0)
    orders = [rng.permutation(64) for _ in range(epoch)]
    steps = np.concatenate(orders[:-1] + [orders[-1][:(batch - 1) * 8]])
    if len(steps):
        fit(start, X[steps], Y[steps], optimizer="sgd", learning_rate=0.1, batch_size=8,
            epochs=1, shuffle=False)
    np.testing.assert_array_equal(network.parameters, start.parameters)


def test_ctrl_c_keeps_the_last_complete_step(probe):
    X, Y = blobs(100)
    network = classifier()
    calls = []

    def ctrl_c(step, phase):
        calls.append(step)
        if len(calls) == 13:    # after the 13th step: epoch 2 (7 steps each), step 6
            signal.raise_signal(signal.SIGINT)

    probe(ctrl_c)
    with pytest.warns(UserWarning, match="interrupted after 1 complete epochs"):
        history = fit(network, X, Y, batch_size=15, epochs=5, patience=None, seed=0)
    probe(None)
    assert history.stopped_because == "interrupted" and history.epochs == 1
    replay = classifier()
    rng = np.random.default_rng(0)
    fit(replay, X, Y, batch_size=15, epochs=1, patience=None, seed=rng)
    rows = rng.permutation(100)[:90]
    fit(replay, X[rows], Y[rows], batch_size=15, epochs=1, shuffle=False)
    np.testing.assert_array_equal(network.parameters, replay.parameters)


@needs_mnist
def test_small_mnist_subset_reaches_ninety_percent():
    images, labels = nnext.load_mnist(MNIST, "test")
    X = images.reshape(len(images), -1).astype(np.float32) / 255
    Y = np.eye(10, dtype=np.float32)[labels]
    network = NeuralNetwork([784, 64, 10], activations=["relu", "softmax"], init="he",
                            dtype="float32", seed=0)
    fit(network, X[:4000], Y[:4000], batch_size=64, epochs=8, seed=0, patience=None)
    accuracy = np.mean(network.feedforward(X[5000:]).argmax(1) == labels[5000:])
    assert accuracy > 0.9


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(loss="hinge"), ValueError, "loss must be one of squared_error, cross_entropy, poisson; got 'hinge'"),
    (dict(loss="squared_error"), ValueError, "cannot train a 'softmax' output layer"),
    (dict(optimizer="adagrad"), ValueError, "optimizer must be one of sgd, momentum, adam, rmsprop"),
    (dict(optimizer=Adam(), learning_rate=0.1), ValueError, "learning_rate goes into the optimizer"),
    (dict(learning_rate=0), ValueError, "learning_rate must be a finite number > 0; got 0"),
    (dict(learning_rate=float("nan")), ValueError, "learning_rate must be a finite number > 0"),
    (dict(batch_size=0), ValueError, "batch_size must be a positive integer; got 0"),
    (dict(batch_size=2.5), TypeError, "batch_size must be a positive integer; got 2.5"),
    (dict(epochs=0), ValueError, "epochs must be a positive integer; got 0"),
    (dict(l2=-1), ValueError, "l2 must be a finite number >= 0; got -1"),
    (dict(patience=0), ValueError, "patience must be a positive integer; got 0"),
    (dict(tol=-0.1), ValueError, "tol must be a finite number >= 0; got -0.1"),
    (dict(validation_fraction=0), ValueError, r"validation_fraction must be a number in \(0, 1\); got 0"),
    (dict(validation_fraction=1.0), ValueError, r"validation_fraction must be a number in \(0, 1\)"),
    (dict(validation_fraction=0.2, validation_data=(np.zeros((2, 2)), np.zeros((2, 3)))),
     ValueError, "not both"),
    (dict(validation_data=np.zeros((2, 2))), TypeError, "validation_data must be a tuple"),
    (dict(validation_data=(np.zeros((2, 3)), np.zeros((2, 3)))), ValueError,
     "validation inputs must have 2 values per sample; got 3"),
    (dict(validation_data=(np.zeros((2, 2)), np.full((2, 3), np.nan))), ValueError,
     "validation targets must be finite"),
    (dict(restore_best=1), TypeError, "restore_best must be True or False; got 1"),
    (dict(shuffle="yes"), TypeError, "shuffle must be True or False"),
    (dict(seed=-3), ValueError, "seed must be"),
    (dict(num_threads=0), ValueError, "num_threads must be a positive integer"),
    (dict(progress="loud"), TypeError, "progress must be True, False or a callable"),
    (dict(batch_size=10**13), ValueError, "needs working memory"),
])
def test_bad_arguments_are_refused(kwargs, error, message):
    X, Y = blobs(20)
    network = classifier()
    before = network.parameters.copy()
    with pytest.raises(error, match=message):
        fit(network, X, Y, **kwargs)
    np.testing.assert_array_equal(network.parameters, before)


@pytest.mark.parametrize("X, Y, error, message", [
    (np.zeros((0, 2)), np.zeros((0, 3)), ValueError, "at least one sample"),
    (np.zeros((5, 3)), np.zeros((5, 3)), ValueError, "training inputs must have 2 values"),
    (np.zeros((5, 2)), np.zeros((4, 3)), ValueError, "as many rows; got 5 and 4"),
    (np.full((5, 2), np.inf), np.zeros((5, 3)), ValueError, "training inputs must be finite"),
    (np.zeros((5, 2), complex), np.zeros((5, 3)), TypeError, "real numbers"),
])
def test_bad_data_is_refused(X, Y, error, message):
    with pytest.raises(error, match=message):
        fit(classifier(), X, Y)


@pytest.mark.parametrize("kwargs, message", [
    (dict(activations="bogus"), "activations\\[0\\] must be one of sigmoid, tanh, relu, identity, softmax, exp, leaky_relu, elu; got 'bogus'"),
    (dict(activations=["softmax", "softmax"]), "activations\\[0\\] is 'softmax', which only the output layer may have"),
    (dict(activations=["relu"]), "activations must name 2 layers"),
    (dict(init="xavier"), "init must be one of uniform, glorot, he; got 'xavier'"),
])
def test_bad_network_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        NeuralNetwork([2, 4, 3], **kwargs)


def test_cross_entropy_needs_a_probability_output():
    with pytest.raises(ValueError, match="loss='cross_entropy' cannot train a 'identity' "
                                         r"output layer \(it trains softmax, sigmoid\)"):
        fit(NeuralNetwork([2, 1], activations="identity"), np.zeros((3, 2)), np.zeros((3, 1)),
            loss="cross_entropy")


@pytest.mark.parametrize("init", ["glorot", "he"])
def test_initialisations_have_their_spread(init):
    network = NeuralNetwork([400, 300, 10], init=init, seed=0)
    w = network.weights[0]
    assert not network.biases[0].any()
    if init == "glorot":
        limit = np.sqrt(6 / 700)
        assert -limit <= w.min() and w.max() < limit
        assert w.std() == pytest.approx(limit / np.sqrt(3), rel=0.02)
    else:
        assert w.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
        assert abs(w.mean()) < 0.002
    again = NeuralNetwork([400, 300, 10], init=init, seed=0)
    np.testing.assert_array_equal(again.parameters, network.parameters)


def test_optimizer_state_travels_with_pickles_and_copies():
    import pickle
    X, Y = blobs(100)
    network = classifier()
    fit(network, X, Y, epochs=2, patience=None, seed=0)
    twins = [pickle.loads(pickle.dumps(network)), network.copy()]
    for net in [network] + twins:
        fit(net, X, Y, epochs=2, patience=None, seed=5)
    for twin in twins:
        np.testing.assert_array_equal(twin.parameters, network.parameters)
        assert twin.activations == network.activations

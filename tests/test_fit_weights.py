"""fit's sample and class weights and label smoothing."""
import numpy as np
import pytest

import nnext
from nnext.optimizers import SGD


def problem(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 6))
    labels = rng.integers(0, 3, n)
    labels[:3] = [0, 1, 2]
    return X, np.eye(3)[labels], labels


def network():
    return nnext.NeuralNetwork([6, 5, 3], activations=["tanh", "softmax"], seed=2)


def test_label_smoothing_trains_on_the_smoothed_targets():
    X, Y, _ = problem()
    smoothed, plain = network(), network()
    history = nnext.fit(smoothed, X, Y, epochs=3, batch_size=8, seed=1, label_smoothing=0.2,
                        validation_data=(X[:10], Y[:10]))
    expected = nnext.fit(plain, X, 0.8 * Y + 0.2 / 3, epochs=3, batch_size=8, seed=1,
                         validation_data=(X[:10], Y[:10]))
    np.testing.assert_array_equal(smoothed.parameters, plain.parameters)
    assert history.train_loss == expected.train_loss
    assert history.val_loss == expected.val_loss        # against the true targets


def test_sample_weights_weigh_each_rows_gradient():
    # One batch, plain SGD: integer weights are the rows repeated.
    X, Y, _ = problem(12)
    weights = np.array([2, 1, 0, 3, 1, 1, 0, 2, 1, 1, 1, 4], float)
    weighted, repeated = network(), network()
    history = nnext.fit(weighted, X, Y, optimizer=SGD(0.5), batch_size=12, epochs=2,
                        shuffle=False, sample_weight=weights)
    rows = np.repeat(np.arange(12), weights.astype(int))
    reference = nnext.fit(repeated, X[rows], Y[rows], optimizer=SGD(0.5), batch_size=len(rows),
                          epochs=2, shuffle=False)
    np.testing.assert_allclose(weighted.parameters, repeated.parameters, rtol=1e-12)
    np.testing.assert_allclose(history.train_loss, reference.train_loss, rtol=1e-12)


def test_balanced_class_weights_are_scikit_learns():
    sklearn_utils = pytest.importorskip("sklearn.utils.class_weight")
    X, Y, labels = problem()
    by_class, by_sample = network(), network()
    nnext.fit(by_class, X, Y, epochs=2, batch_size=8, seed=3, class_weight="balanced")
    weights = sklearn_utils.compute_sample_weight("balanced", labels)
    nnext.fit(by_sample, X, Y, epochs=2, batch_size=8, seed=3, sample_weight=weights)
    np.testing.assert_array_equal(by_class.parameters, by_sample.parameters)


def test_class_weights_multiply_sample_weights_and_follow_the_validation_split():
    X, Y, labels = problem()
    sample_weight = np.linspace(0.5, 2.0, len(X))
    class_weight = {0: 2.0, 2: 0.5}
    combined = network()
    nnext.fit(combined, X, Y, epochs=2, batch_size=8, seed=4, validation_fraction=0.25,
              sample_weight=sample_weight, class_weight=class_weight)
    rng = np.random.default_rng(4)
    order = rng.permutation(len(X))
    val, train = np.sort(order[:10]), np.sort(order[10:])
    weights = sample_weight * np.array([2.0, 1.0, 0.5])[labels]
    by_hand = network()
    nnext.fit(by_hand, X[train], Y[train], epochs=2, batch_size=8, seed=rng,
              validation_data=(X[val], Y[val]), sample_weight=weights[train])
    np.testing.assert_array_equal(combined.parameters, by_hand.parameters)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(label_smoothing=1.0), ValueError, r"label_smoothing must be a number in \[0, 1\)"),
    (dict(sample_weight=np.ones(3)), ValueError,
     r"sample_weight must hold one value per training row \(40\); got shape \(3,\)"),
    (dict(sample_weight=np.r_[-1.0, np.ones(39)]), ValueError,
     r"sample_weight must be >= 0; sample_weight\[0\] is -1.0"),
    (dict(sample_weight=np.r_[np.nan, np.ones(39)]), ValueError,
     r"sample_weight must be finite; sample_weight\[0\] is nan"),
    (dict(sample_weight=np.zeros(40)), ValueError, "leave every training row a weight of 0"),
    (dict(sample_weight="heavy"), TypeError, "sample_weight must be an array of numbers"),
    (dict(class_weight={5: 1.0}), ValueError, "class_weight's classes must be output indices"),
    (dict(class_weight={1: -2.0}), ValueError, r"class_weight\[1\] must be"),
    (dict(class_weight="even"), TypeError, "class_weight must be a dict or 'balanced'"),
])
def test_bad_weights_and_smoothing_are_refused_before_training(kwargs, error, message):
    X, Y, _ = problem()
    net = network()
    before = net.parameters.copy()
    with pytest.raises(error, match=message):
        nnext.fit(net, X, Y, epochs=1, **kwargs)
    np.testing.assert_array_equal(net.parameters, before)


def test_label_smoothing_needs_a_softmax_output_layer():
    X, Y, _ = problem()
    net = nnext.NeuralNetwork([6, 5, 3], activations=["tanh", "sigmoid"], seed=2)
    with pytest.raises(ValueError, match="label_smoothing is for the cross-entropy of a "
                                         "softmax output layer; got loss='cross_entropy' "
                                         "with a 'sigmoid' output layer"):
        nnext.fit(net, X, Y, loss="cross_entropy", epochs=1, label_smoothing=0.1)

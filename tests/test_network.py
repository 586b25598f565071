import warnings

import numpy as np
import pytest

import reference
from nnext import NeuralNetwork
from nnext.network import NeuralNetwork as FromModule


def test_seed_api_names():
    assert FromModule is NeuralNetwork
    network = NeuralNetwork([784, 20, 10])
    assert network.shape == (784, 20, 10)
    assert network.feedforward(np.zeros(784)).shape == (10,)


def test_layers_have_the_seed_shapes_and_initial_range():
    network = NeuralNetwork([3, 7, 1, 5], seed=0)
    assert [w.shape for w in network.weights] == [(7, 3), (1, 7), (5, 1)]
    assert [b.shape for b in network.biases] == [(7,), (1,), (5,)]
    values = np.concatenate([p.ravel() for p in network.weights + network.biases])
    assert len(values) == 7 * 4 + 1 * 8 + 5 * 2
    assert values.min() >= -0.5 and values.max() < 0.5
    assert network.dtype == np.float64


def test_initialisation_is_uniform_over_the_whole_range():
    values = NeuralNetwork([100, 100], seed=1).weights[0].ravel()
    counts, _ = np.histogram(values, bins=10, range=(-0.5, 0.5))
    assert counts.min() > 800 and counts.max() < 1200


def test_seed_reproduces_and_generators_are_accepted():
    a = NeuralNetwork([4, 3, 2], seed=42)
    b = NeuralNetwork([4, 3, 2], seed=np.random.default_rng(42))
    c = NeuralNetwork([4, 3, 2], seed=43)
    np.testing.assert_array_equal(a.weights[1], b.weights[1])
    assert not np.array_equal(a.weights[1], c.weights[1])


def test_float32_network_rounds_the_float64_initialisation():
    a = NeuralNetwork([4, 3], seed=7)
    b = NeuralNetwork([4, 3], seed=7, dtype=np.float32)
    assert b.dtype == np.float32 and b.weights[0].dtype == np.float32
    np.testing.assert_array_equal(b.weights[0], a.weights[0].astype(np.float32))


def test_layers_are_settable_in_place_and_feedforward_sees_it():
    network = NeuralNetwork([2, 2])
    network.weights[0][...] = [[1.0, 0.0], [0.0, -1.0]]
    network.biases[0][...] = 0.0
    np.testing.assert_allclose(network.feedforward([3.0, 2.0]),
                               reference.sigmoid(np.array([3.0, -2.0])))
    with pytest.raises(TypeError):
        network.weights[0] = np.zeros((2, 2))


def test_copy_is_independent():
    network = NeuralNetwork([3, 2], seed=0)
    twin = network.copy()
    twin.weights[0][...] = 0
    assert network.weights[0].any()


def test_feedforward_one_and_many():
    network = NeuralNetwork([3, 4, 2], seed=0)
    X = np.random.default_rng(0).random((5, 3))
    many = network.feedforward(X)
    assert many.shape == (5, 2)
    np.testing.assert_array_equal(network.feedforward(X[2]), many[2])
    assert network.feedforward(np.zeros((0, 3))).shape == (0, 2)


def test_feedforward_converts_ints_lists_and_odd_layouts():
    network = NeuralNetwork([3, 2], seed=0)
    X = np.arange(12.0).reshape(4, 3) / 10
    expected = network.feedforward(X)
    np.testing.assert_array_equal(network.feedforward(X.tolist()), expected)
    np.testing.assert_array_equal(network.feedforward(np.asfortranarray(X)), expected)
    wide = np.zeros((4, 6))
    wide[:, ::2] = X
    np.testing.assert_array_equal(network.feedforward(wide[:, ::2]), expected)
    readonly = X.copy()
    readonly.flags.writeable = False
    np.testing.assert_array_equal(network.feedforward(readonly), expected)
    np.testing.assert_allclose(network.feedforward(np.array([[1, 2, 3]])),
                               network.feedforward([[1.0, 2.0, 3.0]]))


def test_sigmoid_is_stable_for_huge_inputs():
    network = NeuralNetwork([1, 1])
    network.weights[0][...] = 1.0
    network.biases[0][...] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = network.feedforward(np.array([[-1e308], [-800.0], [0.0], [800.0], [1e308]]))
    np.testing.assert_array_equal(out[:, 0], [0.0, 0.0, 0.5, 1.0, 1.0])


def test_float32_feedforward_returns_float32():
    network = NeuralNetwork([3, 2], dtype="float32")
    assert network.feedforward([0.1, 0.2, 0.3]).dtype == np.float32


@pytest.mark.parametrize("shape, error, message", [
    (784, TypeError, "shape must be a list"),
    ("784", TypeError, "shape must be a list"),
    ([784], ValueError, "at least 2"),
    ([], ValueError, "at least 2"),
    ([3, 0, 2], ValueError, r"shape\[1\] must be a positive integer; got 0"),
    ([3, -2], ValueError, r"shape\[1\] must be a positive integer; got -2"),
    ([3, 2.0], TypeError, r"shape\[1\] must be a positive integer; got 2.0"),
    ([3, True], TypeError, r"shape\[1\] must be a positive integer; got True"),
    ([3, "2"], TypeError, r"shape\[1\] must be a positive integer"),
    ([10**7, 10**7], ValueError, "more than this machine's memory"),
])
def test_bad_shapes_are_refused(shape, error, message):
    with pytest.raises(error, match=message):
        NeuralNetwork(shape)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(dtype=np.int32), TypeError, "dtype must be float64 or float32"),
    (dict(dtype="complex128"), TypeError, "dtype must be float64 or float32"),
    (dict(dtype="nonsense"), TypeError, "dtype must be float64 or float32"),
    (dict(seed=1.5), TypeError, "seed must be"),
    (dict(seed="x"), TypeError, "seed must be"),
    (dict(seed=-1), ValueError, "seed must be"),
])
def test_bad_keywords_are_refused(kwargs, error, message):
    with pytest.raises(error, match=message):
        NeuralNetwork([2, 1], **kwargs)


@pytest.mark.parametrize("values, error, message", [
    (np.zeros(4), ValueError, "3 values per sample; got 4"),
    (np.zeros((2, 4)), ValueError, "3 values per sample; got 4"),
    (np.zeros((2, 3, 1)), ValueError, "1-D or 2-D"),
    (np.float64(1.0), ValueError, "1-D or 2-D"),
    ([[1, 2], [3]], ValueError, "array of numbers"),
    (np.array([1 + 2j, 0, 0]), TypeError, "real numbers"),
    (np.array(["a", "b", "c"]), TypeError, "real numbers"),
    (np.array([None, 1, 2], dtype=object), TypeError, "real numbers"),
    (np.array([[0.1, np.nan, 0.3]]), ValueError, "sample 0 holds NaN"),
    (np.array([[0.1, 0.2, 0.3], [np.inf, 0, 0]]), ValueError, "sample 1 holds NaN or inf"),
])
def test_bad_feedforward_inputs_are_refused(values, error, message):
    network = NeuralNetwork([3, 2])
    with pytest.raises(error, match=message):
        network.feedforward(values)


@pytest.mark.parametrize("bad_rows", [[200, 700], [4095], [0, 4095], [64, 63]])
def test_feedforward_names_the_first_non_finite_sample_in_any_block(bad_rows):
    X = np.random.default_rng(0).random((4096, 3))
    for row, value in zip(bad_rows, [np.nan, np.inf, -np.inf]):
        X[row, 1] = value
    with pytest.raises(ValueError, match=f"sample {min(bad_rows)} holds NaN or infinity"):
        NeuralNetwork([3, 2]).feedforward(X, num_threads=2)

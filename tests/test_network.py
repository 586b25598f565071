import collections
import copy
import multiprocessing
import pickle
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

import reference
from nnext import NeuralNetwork, Trainer, TrainingResult
from nnext.layers import NeuralInputLayer, NeuralLayer
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
    (np.zeros(4), ValueError, r"input_values must have 3 values \(the network's input layer\); got 4"),
    (np.array([0.1, np.nan, 0.3]), ValueError, "input_values must be finite; got NaN"),
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


@pytest.mark.parametrize("n_samples", [5, 300])
@pytest.mark.parametrize("n_inputs", [3, 200])
def test_non_finite_inputs_are_found_whatever_the_weights(n_samples, n_inputs):
    network = NeuralNetwork([n_inputs, 4, 2], seed=0)
    network.weights[0][:, 1] = 0            # infinity times 0 is NaN: still found
    X = np.random.default_rng(0).random((n_samples, n_inputs))
    X[n_samples - 2, 1] = np.inf
    with pytest.raises(ValueError, match=f"sample {n_samples - 2} holds NaN or infinity"):
        network.feedforward(X)
    # Finite inputs whose products overflow are no error.
    X[n_samples - 2, 1] = 1e300
    network.weights[0][:] = 1e300
    assert np.isfinite(network.feedforward(X)).all()


# --- pickling and copying ------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("duplicate", [lambda n: pickle.loads(pickle.dumps(n)), copy.deepcopy,
                                       copy.copy], ids=["pickle", "deepcopy", "copy"])
def test_networks_pickle_and_copy_with_live_views(dtype, duplicate):
    network = NeuralNetwork([3, 4, 2], seed=0, dtype=dtype)
    twin = duplicate(network)
    assert (twin.shape, twin.dtype) == (network.shape, network.dtype)
    np.testing.assert_array_equal(twin.parameters, network.parameters)
    X = np.random.default_rng(0).random((5, 3))
    np.testing.assert_array_equal(twin.feedforward(X), network.feedforward(X))
    # The twin's views are views of its own parameters, not of the original's.
    twin.weights[1][...] = 0
    twin.layers[2].biases[...] = 0
    twin.layers[1].biases[...] = 1
    assert not twin.parameters[16:].any() and (twin.parameters[12:16] == 1).all()
    assert twin.layers[2].weights is not network.layers[2].weights
    assert network.weights[1].any()
    np.testing.assert_allclose(twin.feedforward(X), reference.sigmoid(np.zeros((5, 2))))


def test_pickled_networks_train_like_the_original():
    X = np.random.default_rng(1).random((50, 3))
    Y = X[:, :2] ** 2
    network = NeuralNetwork([3, 4, 2], seed=2)
    twin = pickle.loads(pickle.dumps(network))
    for n in (network, twin):
        Trainer().train(n, (X, Y), 0.5, 5, 10, seed=0, max_rounds=3)
    np.testing.assert_array_equal(twin.parameters, network.parameters)


@pytest.mark.parametrize("state, message", [
    ({"shape": [2, 1]}, "must hold 'shape' and 'params'"),
    ({"shape": [2, 1], "params": np.zeros(4)}, r"shape \[2, 1\] must hold 3 parameters; got 4"),
    ({"shape": [2, 0], "params": np.zeros(0)}, r"shape\[1\] must be a positive integer"),
    ({"shape": [2, 1], "params": np.zeros((3, 1))}, "must be a 1-D array"),
    ({"shape": [2, 1], "params": [0.0, 0.0, 0.0]}, "must be a 1-D array"),
])
def test_tampered_pickles_are_refused(state, message):
    network = NeuralNetwork.__new__(NeuralNetwork)
    with pytest.raises(ValueError, match=message):
        network.__setstate__(state)
    with pytest.raises(TypeError, match="dtype must be float64 or float32"):
        network.__setstate__({"shape": [2, 1], "params": np.zeros(3, np.int64)})


def test_training_results_pickle_and_copy():
    X = np.random.default_rng(1).random((30, 2))
    result = Trainer().train(NeuralNetwork([2, 1], seed=0), (X, X[:, :1]), 0.5, 5, 10,
                             seed=0, max_rounds=3)
    for twin in (pickle.loads(pickle.dumps(result)), copy.deepcopy(result)):
        assert isinstance(twin, TrainingResult) and twin == result
        assert twin.costs == result.costs and twin.costs is not result.costs


def predict_and_train(network, X, Y):
    """Run in a child process: what the network predicts, then trains to."""
    before = network.feedforward(X)
    Trainer().train(network, (X, Y), 0.5, 5, 10, seed=0, max_rounds=3)
    return before, network


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_networks_cross_to_a_spawned_process(dtype):
    X = np.random.default_rng(3).random((40, 3))
    Y = X[:, :2]
    network = NeuralNetwork([3, 5, 2], seed=4, dtype=dtype)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        before, trained = pool.submit(predict_and_train, network, X, Y).result(timeout=120)
    np.testing.assert_array_equal(before, network.feedforward(X))
    predict_and_train(network, X, Y)
    assert trained.dtype == dtype
    np.testing.assert_array_equal(trained.parameters, network.parameters)


# --- the original's object model -------------------------------------------------

def test_layers_are_the_originals_objects_over_live_views():
    network = NeuralNetwork([3, 4, 2], seed=0)
    assert network.layers_count() == len(network.layers) == 3
    assert isinstance(network.layers[0], NeuralInputLayer)
    assert all(isinstance(layer, NeuralLayer) for layer in network.layers[1:])
    assert [layer.neuron_count for layer in network.layers] == [3, 4, 2]
    assert network.layers[1].weights is network.weights[0]
    assert network.layers[-1].biases is network.biases[1]
    network.layers[2].weights[0, 0] = 42.0
    assert network.weights[1][0, 0] == 42.0
    # Assigning a layer's weights, as the original's load_from_file did, copies.
    new = np.arange(12.0).reshape(4, 3)
    network.layers[1].weights = new
    np.testing.assert_array_equal(network.weights[0], new)
    new[0, 0] = -1
    assert network.weights[0][0, 0] == 0
    network.layers[1].biases = [1, 2, 3, 4]
    np.testing.assert_array_equal(network.biases[0], [1, 2, 3, 4])


@pytest.mark.parametrize("values, error, message", [
    (np.zeros((3, 4)), ValueError, r"layers\[1\].weights must have shape \(4, 3\); got \(3, 4\)"),
    (np.full((4, 3), np.nan), ValueError, r"layers\[1\].weights must be finite"),
    (np.full((4, 3), "a"), TypeError, "must hold real numbers"),
])
def test_layer_assignment_checks_its_values(values, error, message):
    network = NeuralNetwork([3, 4, 2], seed=0)
    before = network.parameters.copy()
    with pytest.raises(error, match=message):
        network.layers[1].weights = values
    np.testing.assert_array_equal(network.parameters, before)


def test_layer_outputs_follow_the_last_single_sample():
    network = NeuralNetwork([3, 4, 2], seed=0)
    assert not network.layers[0].output.any() and network.layers[2].output.shape == (2,)
    x = np.array([0.1, 0.7, -0.3])
    out = network.feedforward(x)
    hidden = reference.sigmoid(network.weights[0] @ x + network.biases[0])
    np.testing.assert_array_equal(network.layers[0].output, x)
    np.testing.assert_allclose(network.layers[1].output, hidden, rtol=1e-14)
    np.testing.assert_array_equal(network.layers[2].output, out)
    network.backprop([0.0, 0.0, 1.0], [1.0, 0.0])
    np.testing.assert_array_equal(network.layers[0].output, [0.0, 0.0, 1.0])


def numeric_gradient(network, x, y, eps=1e-6):
    """Central differences of 1/2 ||a - y||^2 for every parameter."""
    grad = np.empty_like(network.parameters)
    for i in range(len(grad)):
        costs = []
        for sign in (+1, -1):
            shifted = network.copy()
            shifted.parameters[i] += sign * eps
            costs.append(0.5 * np.sum((shifted.feedforward(x) - y) ** 2))
        grad[i] = (costs[0] - costs[1]) / (2 * eps)
    return grad


@pytest.mark.parametrize("shape", [[3, 4, 2], [2, 5, 3, 2], [4, 1]])
def test_backprop_gives_per_layer_gradients_last_layer_first(shape):
    network = NeuralNetwork(shape, seed=1)
    rng = np.random.default_rng(2)
    x, y = rng.random(shape[0]), rng.random(shape[-1])
    gradients = network.backprop(x, y)
    assert len(gradients) == len(shape) - 1
    for (nabla_w, nabla_b), w, b in zip(gradients, reversed(network.weights),
                                        reversed(network.biases)):
        assert nabla_w.shape == w.shape and nabla_b.shape == b.shape
    flat = np.concatenate([np.concatenate([w.ravel(), b]) for w, b in reversed(gradients)])
    np.testing.assert_allclose(flat, numeric_gradient(network, x, y), rtol=1e-6, atol=1e-10)
    expected_w, expected_b = reference.backprop(list(network.weights), list(network.biases), x, y)
    for (nabla_w, nabla_b), w, b in zip(gradients, reversed(expected_w), reversed(expected_b)):
        np.testing.assert_allclose(nabla_w, w, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(nabla_b, b, rtol=1e-12, atol=1e-15)


def original_round(network, batch, learning_step, batch_iterations):
    """A round of the original program's Trainer.train, written against its object model."""
    for _ in range(batch_iterations):
        gradients = []
        for sample_x, sample_y in batch:
            g = network.backprop(sample_x, sample_y)
            if gradients == []:
                gradients = g
            else:
                for g_i in range(len(g)):
                    gradients[g_i][0] += g[g_i][0]
                    gradients[g_i][1] += g[g_i][1]
        layer_n = network.layers_count() - 1
        for g in gradients:
            network.dec_weights(layer_n, learning_step * (g[0] / float(len(batch))))
            network.dec_biases(layer_n, learning_step * (g[1] / float(len(batch))))
            layer_n -= 1


def test_the_originals_training_loop_runs_on_the_object_model():
    rng = np.random.default_rng(0)
    X, Y = rng.random((12, 3)), rng.random((12, 2))
    network = NeuralNetwork([3, 4, 2], seed=0)
    twin = network.copy()
    original_round(network, list(zip(X, Y)), 0.5, 5)
    twin.engine.sgd_round(X, Y, np.arange(12), 0.5, 5, 1)
    np.testing.assert_allclose(network.parameters, twin.parameters, rtol=1e-12, atol=1e-15)


def test_dec_weights_and_biases_count_layers_as_the_original():
    network = NeuralNetwork([3, 4, 2], seed=0)
    before = [w.copy() for w in network.weights], [b.copy() for b in network.biases]
    network.dec_weights(1, 0.25)
    network.dec_weights(-1, np.ones((2, 4)))
    network.dec_biases(2, [1.0, 2.0])
    np.testing.assert_array_equal(network.weights[0], before[0][0] - 0.25)
    np.testing.assert_array_equal(network.weights[1], before[0][1] - 1)
    np.testing.assert_array_equal(network.biases[1], before[1][1] - [1.0, 2.0])
    np.testing.assert_array_equal(network.biases[0], before[1][0])


@pytest.mark.parametrize("call, error, message", [
    (lambda n: n.dec_weights(0, 1.0), ValueError, "layer_n must be .*; got 0, the input layer, which has no"),
    (lambda n: n.dec_weights(3, 1.0), ValueError, "layer_n must be an integer from 1 to 2"),
    (lambda n: n.dec_biases(-4, 1.0), ValueError, "layer_n must be an integer from 1 to 2"),
    (lambda n: n.dec_weights(1.0, 1.0), ValueError, "layer_n must be an integer"),
    (lambda n: n.dec_weights(1, np.ones((3, 4))), ValueError,
     r"weights_decrement must be a number or an array of shape \(4, 3\); got shape \(3, 4\)"),
    (lambda n: n.dec_biases(1, [np.nan] * 4), ValueError, "biases_decrement must be finite"),
    (lambda n: n.dec_biases(1, np.ones((1, 1, 4))), ValueError, "biases_decrement must be"),
    (lambda n: n.dec_biases(1, "a"), TypeError, "biases_decrement must hold real numbers"),
    (lambda n: n.backprop([1, 2], [0, 0]), ValueError,
     r"input_values must have 3 values \(the network's input layer\); got 2"),
    (lambda n: n.backprop([1, 2, 3], [0]), ValueError,
     r"expected_result must have 2 values \(the network's output layer\); got 1"),
    (lambda n: n.backprop([1, 2, np.inf], [0, 0]), ValueError, "input_values must be finite"),
])
def test_object_model_refuses_bad_input(call, error, message):
    network = NeuralNetwork([3, 4, 2], seed=0)
    before = network.parameters.copy()
    with pytest.raises(error, match=message):
        call(network)
    np.testing.assert_array_equal(network.parameters, before)


def test_str_is_the_originals_text_form():
    network = NeuralNetwork([2, 1])
    network.weights[0][...] = [[0.5, -0.25]]
    network.biases[0][...] = [0.125]
    network.feedforward([0.0, 0.0])
    assert str(network) == """<NeuralNetwork>
  <NeuralInputLayer>
    <Output>
      [0. 0.]
    </Output>
  </NeuralInputLayer>
  <NeuralLayer>
    <Weights>
      [[ 0.5  -0.25]]
    </Weights>
    <Biases>
      [0.125]
    </Biases>
    <Output>
      [%s]
    </Output>
  </NeuralLayer>
</NeuralNetwork>""" % np.array2string(reference.sigmoid(np.array([0.125])))[1:-1]


@pytest.mark.parametrize("setting, expected", [(None, 2), ("1", 1), ("2", 2), ("64", 2),
                                               ("0", 2), ("", 2), ("four", 2)])
def test_default_thread_count_honours_omp_num_threads(monkeypatch, setting, expected):
    from nnext import _checks
    monkeypatch.setattr(_checks, "available_cores", lambda: 2)
    monkeypatch.setattr(_checks, "_forked_child", False)
    if setting is None:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OMP_NUM_THREADS", setting)
    assert _checks.num_threads(None).most == expected
    assert _checks.num_threads(3) == 3          # an explicit count is taken as it is


def test_default_threads_give_way_to_cores_busy_with_other_work(monkeypatch):
    from nnext import _checks
    monkeypatch.setattr(_checks, "available_cores", lambda: 2)
    monkeypatch.setattr(_checks, "_forked_child", False)
    busy = iter([0, 1, 2])
    monkeypatch.setattr(_checks, "busy_cores", lambda now: next(busy))
    threads = _checks.DefaultThreads(2)
    monkeypatch.setattr(_checks, "_BUSY_INTERVAL", 0.0)
    assert [int(threads), int(threads), int(threads)] == [2, 1, 1]
    assert int(_checks.DefaultThreads(1)) == 1
    monkeypatch.setattr(_checks, "_BUSY_INTERVAL", 3600.0)
    threads = _checks.DefaultThreads(2)
    busy = iter([1, 0])
    assert [int(threads), int(threads)] == [1, 1]       # read once an interval
    network = NeuralNetwork([30, 20, 5], seed=0)
    X = np.random.default_rng(0).random((200, 30))
    np.testing.assert_array_equal(network.feedforward(X, num_threads=threads),
                                  network.feedforward(X, num_threads=2))


def test_busy_cores_is_what_two_of_the_last_five_readings_reach(monkeypatch):
    from nnext import _checks
    readings = iter([0, 3, 0, 1, 0, 1, 1, 0])
    monkeypatch.setattr(_checks, "other_running_tasks", lambda: next(readings))
    monkeypatch.setattr(_checks, "_busy_readings", collections.deque(maxlen=5))
    seen = [_checks.busy_cores(now=10.0 + i) for i in range(8)]
    # readings so far: [0], [0,3], [0,3,0], [0,3,0,1], [0,3,0,1,0], [3,0,1,0,1], ...
    assert seen == [0, 0, 0, 1, 1, 1, 1, 1]
    assert _checks.busy_cores(now=17.001) == 1            # within the interval: no reading


def test_a_spinning_neighbour_counts_as_a_busy_core():
    from nnext import _checks
    if _checks.other_running_tasks() is None:
        pytest.skip("this system's /proc does not say how many tasks run")
    stop = multiprocessing.get_context("spawn").Event()
    neighbour = multiprocessing.get_context("spawn").Process(target=_spin, args=(stop,))
    neighbour.start()
    try:
        time.sleep(0.5)
        readings = []
        for _ in range(5):
            readings.append(_checks.other_running_tasks())
            time.sleep(0.02)
    finally:
        stop.set()
        neighbour.join(10)
    assert sorted(readings)[-2] >= 1, readings


def _spin(stop):
    while not stop.is_set():
        pass

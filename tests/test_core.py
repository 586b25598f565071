"""The compiled kernels against the plain NumPy reference in reference.py."""
import itertools
import signal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reference
from nnext import NeuralNetwork, _core, _layout

SQUARED_ERROR = _core.LOSSES["squared_error"]
TOLERANCE = {np.float64: 1e-12, np.float32: 2e-5}
# Odd sizes hit every edge of the kernels' tiles; [300, 41, 9] with a batch of
# 67 is large enough for its first layer to be split between two threads.
SHAPES = [[2, 1], [3, 7, 1, 5], [5, 4, 3], [4, 6, 5, 3], [9, 17, 8, 13, 2], [300, 41, 9]]


pytestmark = pytest.mark.usefixtures("each_kernel_variant")


@pytest.fixture(params=[1, 2])
def threads(request):
    return request.param


def random_problem(shape, dtype, n_samples=30, seed=0):
    network = NeuralNetwork(shape, seed=seed, dtype=dtype)
    rng = np.random.default_rng(seed + 1)
    X = rng.random((n_samples, shape[0])).astype(dtype)
    Y = rng.random((n_samples, shape[-1])).astype(dtype)
    return network, X, Y


def as_float64(network):
    return ([w.astype(np.float64) for w in network.weights],
            [b.astype(np.float64) for b in network.biases])


def core_cost(network, X, Y, threads=1):
    return network.engine.loss_sum(X, Y, "squared_error", threads)


def core_gradient(network, X, Y, rows, threads=1):
    return network.engine.gradient(X, Y, np.asarray(rows, np.intp), "squared_error", threads)[0]


def core_steps(network, X, Y, rows, learning_step, iterations, threads=1):
    work = np.empty(_core.train_workspace_size(network.engine.sizes, len(rows)), network.dtype)
    _core.sgd_steps(network.engine.sizes, network.engine.kinds, network.parameters, X, Y,
                    np.asarray(rows, np.intp),
                    learning_step, iterations, work, threads)


def assert_parameters_close(network, weights, biases, tolerance):
    for mine, theirs in zip(network.weights + network.biases, weights + biases):
        np.testing.assert_allclose(mine, theirs, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
def test_sgd_steps_match_reference(shape, dtype, threads):
    network, X, Y = random_problem(shape, dtype, n_samples=80)
    rows = np.random.default_rng(5).integers(0, len(X), 67)
    weights, biases = as_float64(network)
    for _ in range(4):
        weights, biases = reference.sgd_step(weights, biases, X[rows].astype(np.float64),
                                             Y[rows].astype(np.float64), 0.8)
    core_steps(network, X, Y, rows, 0.8, 4, threads)
    assert_parameters_close(network, weights, biases, TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
# Threads share the steps of layers 2..L of the first shape; each thread
# computes them all on its own copy of those layers in the second (small beside
# layer 1: see replicates_later_layers).
@pytest.mark.parametrize("shape", [[300, 41, 30, 9], [400, 64, 8, 5]])
def test_results_do_not_depend_on_the_thread_count(dtype, shape):
    network, X, Y = random_problem(shape, dtype, n_samples=200)
    rows = np.arange(151)   # splits leave 0, 1 and 2 rows past the last whole tile
    results = []
    for threads in (1, 2, 3):
        twin = network.copy()
        core_steps(twin, X, Y, rows, 0.5, 3, threads)
        out = twin.feedforward(X, num_threads=threads)
        cost = core_cost(twin, X, Y, threads)
        grad = core_gradient(twin, X, Y, rows, threads)
        results.append((twin.parameters, out, cost, grad))
    for params, out, cost, grad in results[1:]:
        np.testing.assert_array_equal(params, results[0][0])
        np.testing.assert_array_equal(out, results[0][1])
        assert cost == results[0][2]
        np.testing.assert_array_equal(grad, results[0][3])


# A few rows fill one block: with two threads each wide layer's neurons are
# shared (forward_by_neurons); [200, 77, 10] has a layer too narrow to share,
# and [784, 20, 10] a first layer too narrow, whose rows go in a block a
# thread instead.  100 and 256 rows make 2 and 4 blocks of equal size (see
# prediction_block_rows).
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape, activations", [
    ([300, 100, 70, 10], ["tanh", "relu", "softmax"]),
    ([200, 77, 10], ["sigmoid", "sigmoid"]),
    ([700, 256, 10], ["elu", "exp"]),
    ([784, 20, 10], ["sigmoid", "sigmoid"]),
])
@pytest.mark.parametrize("rows", [1, 5, 40, 72, 100, 256])
def test_few_rows_give_the_same_bits_on_any_thread_count(shape, activations, dtype, rows):
    network = NeuralNetwork(shape, activations=activations, seed=2, dtype=dtype)
    X = np.random.default_rng(3).standard_normal((rows, shape[0])).astype(dtype)
    one = network.feedforward(X, num_threads=1)
    np.testing.assert_array_equal(network.feedforward(X, num_threads=2), one)
    np.testing.assert_array_equal(network.feedforward(X, num_threads=3), one)
    if rows < 128:
        for row in range(0, rows, 17):      # each row as it is alone
            np.testing.assert_array_equal(network.feedforward(X[row:row + 1], num_threads=2)[0],
                                          one[row])
    else:       # packed weights: the same bits in blocks of any size
        np.testing.assert_array_equal(network.feedforward(X[:200], num_threads=2), one[:200])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
def test_feedforward_and_cost_match_reference(shape, dtype, threads):
    # 600 samples: several blocks of the batched forward pass.
    network, X, Y = random_problem(shape, dtype, n_samples=600)
    weights, biases = as_float64(network)
    expected = reference.feedforward(weights, biases, X.astype(np.float64))
    np.testing.assert_allclose(network.feedforward(X, num_threads=threads), expected,
                               rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])
    cost = core_cost(network, X, Y, threads)
    assert cost == pytest.approx(reference.cost(weights, biases, X, Y),
                                 rel=10 * TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
def test_gradient_is_the_mean_of_the_reference_backprop(shape, dtype, threads):
    network, X, Y = random_problem(shape, dtype, n_samples=80)
    rows = np.random.default_rng(6).integers(0, len(X), 67)
    weights, biases = as_float64(network)
    grad = core_gradient(network, X, Y, rows, threads)
    grad_w, grad_b = _layout.split(grad, shape)
    per_sample = [reference.backprop(weights, biases, X[r].astype(np.float64),
                                     Y[r].astype(np.float64)) for r in rows]
    for layer in range(len(shape) - 1):
        np.testing.assert_allclose(grad_w[layer], np.mean([g[0][layer] for g in per_sample], 0),
                                   rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])
        np.testing.assert_allclose(grad_b[layer], np.mean([g[1][layer] for g in per_sample], 0),
                                   rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
def test_forward_layers_gives_every_layer_of_the_reference(shape, dtype):
    network, X, _ = random_problem(shape, dtype, n_samples=1)
    acts = network.engine.forward_layers(X[0])
    weights, biases = as_float64(network)
    a, start = X[0].astype(np.float64), 0
    for w, b in zip(weights, biases):
        a = reference.sigmoid(w @ a + b)
        np.testing.assert_allclose(acts[start:start + len(a)], a, rtol=TOLERANCE[dtype],
                                   atol=TOLERANCE[dtype])
        start += len(a)


def test_kernel_variants_agree_to_rounding():
    """The wider kernels fuse multiply-adds and sum in other orders, so their
    last bits differ from the baseline's; after many steps every variant stays
    within rounding of it."""
    initial = _core.kernels
    for dtype, tolerance in ((np.float64, 1e-12), (np.float32, 1e-4)):
        results = {}
        for variant in _core.AVAILABLE_KERNELS:
            _core.use_kernels(variant)
            network, X, Y = random_problem([300, 41, 30, 9], dtype, n_samples=200)
            core_steps(network, X, Y, np.arange(151), 0.5, 20, threads=2)
            results[variant] = network.parameters
        _core.use_kernels(initial)
        for variant, params in results.items():
            np.testing.assert_allclose(params, results["baseline"], rtol=tolerance,
                                       atol=tolerance / 100)
            if variant != "baseline" and dtype == np.float64:
                assert not np.array_equal(params, results["baseline"])


def test_hand_worked_step():
    # z = 0.5 * 2 - 0.25 = 0.75, a = sigmoid(z) = 0.679178699175393,
    # delta = (a - 1) a (1 - a) = -0.06990535534183481,
    # w' = 0.5 - 1 * delta * 2, b' = -0.25 - 1 * delta.
    network = NeuralNetwork([1, 1])
    network.weights[0][...] = 0.5
    network.biases[0][...] = -0.25
    core_steps(network, np.array([[2.0]]), np.array([[1.0]]), [0], 1.0, 1)
    assert network.weights[0][0, 0] == pytest.approx(0.6398107106836697, abs=1e-15)
    assert network.biases[0][0] == pytest.approx(-0.1800946446581652, abs=1e-15)


def half_squared_error(network, X, Y):
    return 0.5 * core_cost(network, X, Y) / len(X)


@pytest.mark.parametrize("shape", [[3, 4, 2], [2, 5, 3, 2]])
def test_step_follows_finite_difference_gradient(shape):
    # A step with learning_step h moves the parameters by -h times the mean
    # gradient of 1/2 ||a - y||^2, which central differences estimate.
    network, X, Y = random_problem(shape, np.float64, n_samples=6)
    before = network.parameters.copy()
    h = 1e-3
    core_steps(network, X, Y, np.arange(len(X)), h, 1)
    step_gradient = (before - network.parameters) / h

    numeric = np.empty_like(before)
    eps = 1e-6
    for i in range(len(before)):
        costs = []
        for sign in (+1, -1):
            network.parameters[...] = before
            network.parameters[i] += sign * eps
            costs.append(half_squared_error(network, X, Y))
        numeric[i] = (costs[0] - costs[1]) / (2 * eps)
    np.testing.assert_allclose(step_gradient, numeric, rtol=1e-5, atol=1e-9)


def test_reference_backprop_matches_finite_differences():
    network, X, Y = random_problem([3, 5, 2], np.float64, n_samples=1)
    weights, biases = as_float64(network)
    nabla_w, _ = reference.backprop(weights, biases, X[0], Y[0])
    eps = 1e-6
    for layer, w in enumerate(weights):
        for index in np.ndindex(w.shape):
            costs = []
            for sign in (+1, -1):
                shifted = [m.copy() for m in weights]
                shifted[layer][index] += sign * eps
                costs.append(0.5 * reference.cost(shifted, biases, X, Y))
            assert nabla_w[layer][index] == pytest.approx((costs[0] - costs[1]) / (2 * eps),
                                                          abs=1e-8)


def test_steps_are_reproducible_and_accept_read_only_data():
    network, X, Y = random_problem([6, 5, 3], np.float64)
    twin = network.copy()
    X.flags.writeable = False
    Y.flags.writeable = False
    rows = [3, 1, 4, 1, 5]
    core_steps(network, X, Y, rows, 0.5, 7)
    core_steps(twin, X, Y, rows, 0.5, 7)
    np.testing.assert_array_equal(network.parameters, twin.parameters)


def test_zero_iterations_changes_nothing():
    network, X, Y = random_problem([4, 3], np.float64)
    before = network.parameters.copy()
    core_steps(network, X, Y, [0, 1], 0.5, 0)
    np.testing.assert_array_equal(network.parameters, before)


# One thread; two sharing the steps of layers 2..L; two with a copy of layers
# 2..L each (see test_results_do_not_depend_on_the_thread_count).
STEP_SPLITS = [([300, 41, 9], 1), ([300, 41, 30, 9], 2), ([400, 64, 8, 5], 2)]


def edges_of_every_layer(shape):
    """The first and last weight and bias of every layer, and around the
    middle of layer 1's rows, where two threads' shares meet."""
    positions, start = [], 0
    for n_in, n_out in zip(shape, shape[1:]):
        biases = start + n_out * n_in
        positions += [start, biases - 1, biases, biases + n_out - 1]
        if start == 0:
            positions += [n_out // 2 * n_in - 1, n_out // 2 * n_in, biases + n_out // 2]
        start = biases + n_out
    return positions


@pytest.mark.parametrize("shape, threads", STEP_SPLITS)
@pytest.mark.parametrize("iterations", [0, 3])
def test_steps_save_the_parameters_and_report_them_finite(shape, threads, iterations):
    network, X, Y = random_problem(shape, np.float64, n_samples=200)
    before = network.parameters.copy()
    saved = np.full_like(before, np.nan)
    work = np.empty(_core.train_workspace_size(network.engine.sizes, 151))
    finite = _core.sgd_steps(network.engine.sizes, network.engine.kinds, network.parameters, X, Y,
                             np.arange(151), 0.5, iterations, work, threads, saved)
    np.testing.assert_array_equal(saved, before)
    assert finite is True
    assert np.isfinite(network.parameters).all()
    assert iterations == 0 or not np.array_equal(network.parameters, before)


@pytest.mark.parametrize("shape, threads", STEP_SPLITS)
def test_steps_report_any_parameter_that_is_not_finite(shape, threads):
    network, X, Y = random_problem(shape, np.float32, n_samples=200)
    work = np.empty(_core.train_workspace_size(network.engine.sizes, 151), np.float32)
    for position in edges_of_every_layer(shape):
        twin = network.copy()
        twin.parameters[position] = np.inf if position % 2 else np.nan
        assert not _core.sgd_steps(twin.engine.sizes, twin.engine.kinds, twin.parameters, X, Y,
                                   np.arange(151), 0.5, 0, work, threads), position


def ctrl_c_at(wanted_step, wanted_phase, calls):
    def deliver(step, phase):
        calls.append((step, phase))
        if (step, phase) == (wanted_step, wanted_phase):
            signal.raise_signal(signal.SIGINT)
    return deliver


@pytest.mark.parametrize("phase, complete_steps", [("forward", 3), ("update", 4)])
def test_ctrl_c_leaves_the_last_complete_step(probe, phase, complete_steps):
    # Ctrl-C at step 3 (counted from 0): after its forward pass no weight of
    # it has moved yet, so 3 steps are complete; after its update, 4 are.
    network, X, Y = random_problem([300, 41, 9], np.float64, n_samples=50)
    rows = np.arange(50)
    replay = network.copy()
    core_steps(replay, X, Y, rows, 0.5, complete_steps, threads=2)
    calls = []
    probe(ctrl_c_at(3, phase, calls))
    with pytest.raises(KeyboardInterrupt):
        core_steps(network, X, Y, rows, 0.5, 10, threads=2)
    np.testing.assert_array_equal(network.parameters, replay.parameters)
    assert calls[-1] == (3, phase)
    assert calls[:2] == [(0, "forward"), (0, "update")]


def test_ctrl_c_during_a_gradient_leaves_the_gradient_unwritten(probe):
    network, X, Y = random_problem([5, 4, 3], np.float64)
    grad = np.full_like(network.parameters, 7.0)
    work = np.empty(_core.train_workspace_size(network.engine.sizes, 3))
    probe(ctrl_c_at(0, "forward", []))
    with pytest.raises(KeyboardInterrupt):
        _core.gradient(network.engine.sizes, network.engine.kinds, SQUARED_ERROR,
                       network.parameters, X, Y,
                       np.arange(3, dtype=np.intp),
                       grad, work)
    assert (grad == 7.0).all()


def test_probe_check_interval_must_be_positive():
    with pytest.raises(ValueError, match="check_every must be at least 1; got 0"):
        _core._set_interrupt_probe(None, 0)


class TestDriverChecks:
    """The drivers refuse buffers that do not fit the layout, whatever the caller."""

    def setup_method(self):
        self.network, self.X, self.Y = random_problem([4, 3, 2], np.float64, n_samples=5)
        self.work = np.empty(_core.train_workspace_size(self.network.engine.sizes, 2))

    def steps(self, sizes=None, kinds=None, params=None, X=None, Y=None, rows=(0, 1),
              work=None, saved=None):
        _core.sgd_steps(self.network.engine.sizes if sizes is None else sizes,
                        self.network.engine.kinds if kinds is None else np.array(kinds, np.intc),
                        self.network.parameters if params is None else params,
                        self.X if X is None else X, self.Y if Y is None else Y,
                        np.asarray(rows, np.intp), 0.5, 1,
                        self.work if work is None else work, 1, saved)

    @pytest.mark.parametrize("change, message", [
        (dict(params=np.zeros(5)), "params must hold 23 values"),
        (dict(sizes=np.array([4], np.intp)), "at least 2 layers"),
        (dict(sizes=np.array([4, 0, 2], np.intp)), "layer 1 must have at least 1 neuron"),
        (dict(X=np.zeros((5, 3))), "inputs must have 4 columns"),
        (dict(Y=np.zeros((5, 3))), "targets must have 2 columns"),
        (dict(Y=np.zeros((4, 2))), "as many rows"),
        (dict(rows=[0, 5]), r"rows\[1\] must be in \[0, 5\)"),
        (dict(rows=[-1, 0]), r"rows\[0\] must be in \[0, 5\)"),
        (dict(rows=[]), "at least one sample"),
        (dict(work=np.empty(3)), "work must hold at least"),
        (dict(saved=np.empty(22)), "saved must hold at least 23 values; got 22"),
        (dict(kinds=[0]), "kinds must hold 2 activations; got 1"),
        (dict(kinds=[0, 8]), r"kinds\[1\] is not an activation of that layer: 8"),
        (dict(kinds=[4, 0]), r"kinds\[0\] is not an activation of that layer: 4"),
        (dict(kinds=[0, 4]), "the squared error cannot train a softmax output layer"),
    ])
    def test_refuses(self, change, message):
        with pytest.raises(ValueError, match=message):
            self.steps(**change)

    def test_only_softmax_and_exp_are_output_only(self):
        self.steps(kinds=[6, 7])        # leaky_relu in a hidden layer, elu at the output
        self.steps(kinds=[7, 6])

    def test_mixed_dtypes_are_refused(self):
        with pytest.raises(ValueError, match="Buffer dtype mismatch"):
            self.steps(X=self.X.astype(np.float32))

    def test_non_contiguous_buffers_are_refused(self):
        with pytest.raises(ValueError, match="ndarray is not C-contiguous"):
            self.steps(X=np.asfortranarray(self.X))

    def test_gradient_refuses_a_grad_of_the_wrong_length(self):
        with pytest.raises(ValueError, match="grad must hold 23 values; got 22"):
            _core.gradient(self.network.engine.sizes, self.network.engine.kinds, SQUARED_ERROR,
                           self.network.parameters, self.X, self.Y,
                           np.zeros(1, np.intp), np.empty(22), self.work)

    def test_forward_layers_refuses_short_buffers(self):
        with pytest.raises(ValueError, match="acts must hold at least 5 values; got 4"):
            _core.forward_layers(self.network.engine.sizes, self.network.engine.kinds,
                                 self.network.parameters, self.X[0],
                                 np.empty(4))


layer_sizes = st.integers(min_value=1, max_value=64)


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(layer_sizes, min_size=2, max_size=6),
       n_samples=st.integers(1, 100), batch_size=st.integers(1, 100),
       dtype=st.sampled_from([np.float64, np.float32]), seed=st.integers(0, 2**16))
def test_random_shapes_match_reference(shape, n_samples, batch_size, dtype, seed):
    """1 to 5 layers of 1 to 64 neurons, batches of 1 to 100 samples."""
    network, X, Y = random_problem(shape, dtype, n_samples=n_samples, seed=seed)
    rows = np.random.default_rng(seed).integers(0, n_samples, batch_size)
    weights, biases = as_float64(network)
    for _ in range(2):
        weights, biases = reference.sgd_step(weights, biases, X[rows].astype(np.float64),
                                             Y[rows].astype(np.float64), 0.5)
    core_steps(network, X, Y, rows, 0.5, 2, threads=2)
    tolerance = 1e-10 if dtype == np.float64 else 1e-4
    assert_parameters_close(network, weights, biases, tolerance)
    np.testing.assert_allclose(network.feedforward(X),
                               reference.feedforward(weights, biases, X.astype(np.float64)),
                               rtol=tolerance, atol=tolerance)


# Sizes around every tile edge of every variant: tiles are at most 6 rows of
# samples by 4 neurons (forward) or 6 by 4 vectors of 16 floats (backward).
EDGE_INPUTS = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 47, 49, 65]
EDGE_OUTPUTS = [1, 2, 3, 4, 5, 7, 8, 9, 12, 13]
EDGE_BATCHES = [1, 2, 5, 6, 7, 12, 13, 18, 19]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_tile_edge_matches_reference(dtype):
    rng = np.random.default_rng(0)
    tolerance = TOLERANCE[dtype] * 10
    for n_in, n_out in itertools.product(EDGE_INPUTS, EDGE_OUTPUTS):
        nb = EDGE_BATCHES[(n_in + n_out) % len(EDGE_BATCHES)]
        network, X, Y = random_problem([n_in, n_out, 3], dtype, n_samples=nb,
                                       seed=int(rng.integers(1000)))
        weights, biases = as_float64(network)
        expected = reference.feedforward(weights, biases, X.astype(np.float64))
        np.testing.assert_allclose(network.feedforward(X, num_threads=2), expected,
                                   rtol=tolerance, atol=tolerance)
        weights, biases = reference.sgd_step(weights, biases, X.astype(np.float64),
                                             Y.astype(np.float64), 0.7)
        core_steps(network, X, Y, np.arange(nb), 0.7, 1, threads=2)
        assert_parameters_close(network, weights, biases, tolerance)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_neuron_gets_the_same_bits_in_any_tile(each_kernel_variant, dtype):
    """Long dot products are summed in vector lanes, and the lanes added by
    halves: four neurons of a tile at once, or one at a time past the last
    tile.  Either way, each neuron's output is the same, bit for bit, as
    when it is the only neuron of its layer."""
    rng = np.random.default_rng(2)
    for n_in in (200, 785):
        network = NeuralNetwork([n_in, 9], activations="identity", seed=n_in, dtype=dtype)
        X = rng.normal(size=(13, n_in)).astype(dtype)
        together = network.feedforward(X)
        for j in range(9):
            alone = NeuralNetwork([n_in, 1], activations="identity", dtype=dtype)
            alone.weights[0][...] = network.weights[0][j]
            alone.biases[0][...] = network.biases[0][j]
            np.testing.assert_array_equal(alone.feedforward(X)[:, 0], together[:, j],
                                          err_msg=f"neuron {j} of 9, {n_in} inputs")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_sample_gets_the_same_bits_in_any_group_of_rows(each_kernel_variant, dtype):
    """The forward kernel takes the rows of a batch (samples) in groups of up
    to 6 (4 below AVX-512), as even as it can; each sample's outputs are the
    same, bit for bit, as when it is alone."""
    rng = np.random.default_rng(3)
    network = NeuralNetwork([785, 9], activations="identity", seed=1, dtype=dtype)
    for n_rows in (7, 13, 50):
        X = rng.normal(size=(n_rows, 785)).astype(dtype)
        together = network.feedforward(X)
        for i in range(n_rows):
            np.testing.assert_array_equal(network.feedforward(X[i:i + 1])[0], together[i],
                                          err_msg=f"sample {i} of {n_rows}")


# The forward product's three ways: for fewer than 64 rows, dot products along
# the inputs, or below 48 to 96 inputs (depending on the variant and dtype)
# tiles along the neurons on panels of B transposed per call; from 128 rows,
# the weights packed once into panels of 8 to 48 neurons and tiles of 4 or 8
# rows.  Sizes around each way's edges, and row counts that leave every
# remainder of the tiles in the last block of 72 rows.
PRODUCT_INPUTS = [1, 3, 7, 8, 9, 23, 24, 25, 47, 48, 49, 95, 96, 97, 130]
PRODUCT_NEURONS = [1, 3, 7, 8, 9, 11, 12, 13, 15, 16, 17, 23, 24, 25, 31, 32, 33, 47, 48, 49,
                   63, 64, 65, 97, 129, 193]
PRODUCT_ROWS = [13, 127, 128, 151, 155]
# Every size of inputs meets four sizes of neurons, and every size of neurons
# at least two sizes of inputs (a twelfth of the whole grid, every edge kept).
PRODUCT_PAIRS = [(n_in, PRODUCT_NEURONS[(4 * i + j * 7) % len(PRODUCT_NEURONS)])
                 for i, n_in in enumerate(PRODUCT_INPUTS) for j in range(4)]


def test_the_sampled_product_sizes_cover_every_edge():
    assert {n_in for n_in, _ in PRODUCT_PAIRS} == set(PRODUCT_INPUTS)
    counts = {n_out: 0 for n_out in PRODUCT_NEURONS}
    for _, n_out in PRODUCT_PAIRS:
        counts[n_out] += 1
    assert min(counts.values()) >= 2


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_forward_product_matches_numpy_around_every_edge(dtype):
    rng = np.random.default_rng(1)
    for n_in, n_out in PRODUCT_PAIRS:
        network = NeuralNetwork([n_in, n_out], activations="identity", seed=n_in * n_out,
                                dtype=dtype)
        weights, biases = as_float64(network)
        for n_rows, threads in itertools.product(PRODUCT_ROWS, (1, 2)):
            X = rng.normal(size=(n_rows, n_in)).astype(dtype)
            expected = X.astype(np.float64) @ weights[0].T + biases[0]
            tolerance = TOLERANCE[dtype] * 10 * max(1.0, np.abs(expected).max())
            np.testing.assert_allclose(network.feedforward(X, num_threads=threads), expected,
                                       rtol=0, atol=tolerance,
                                       err_msg=f"{n_rows} x {n_in} x {n_out}")

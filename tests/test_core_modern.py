"""The compiled core's activations, losses and optimizers against the plain
NumPy references in reference.py, and against finite differences."""
import math
import warnings

import numpy as np
import pytest

import reference
from nnext import NeuralNetwork, _core, _layout
from nnext.optimizers import OPTIMIZERS

LOSS = _core.LOSSES
TOLERANCE = {np.float64: 1e-11, np.float32: 3e-5}
HIDDEN = ["sigmoid", "tanh", "relu", "identity", "leaky_relu", "elu"]
# (output activation, loss) pairs that train: softmax only with the cross-entropy,
# the cross-entropy only on softmax and sigmoid outputs, exp outputs (counts)
# with the Poisson loss or the squared error.
PAIRS = [(out, "squared_error") for out in HIDDEN] + [("softmax", "cross_entropy"),
                                                      ("sigmoid", "cross_entropy"),
                                                      ("exp", "poisson"), ("exp", "squared_error")]


pytestmark = pytest.mark.usefixtures("each_kernel_variant")


def problem(shape, kinds, dtype, n_samples=40, seed=0, loss="squared_error"):
    network = NeuralNetwork(shape, activations=kinds, init="glorot", seed=seed, dtype=dtype)
    rng = np.random.default_rng(seed + 1)
    for biases in network.biases:   # not 0, so that no relu input sits exactly on its kink
        biases[...] = rng.uniform(-0.3, 0.3, biases.shape)
    X = rng.normal(size=(n_samples, shape[0])).astype(dtype)
    if kinds[-1] == "softmax":
        Y = np.eye(shape[-1], dtype=dtype)[rng.integers(0, shape[-1], n_samples)]
    else:
        Y = rng.random((n_samples, shape[-1])).astype(dtype)
    return network, X, Y


def as_lists(network):
    return ([w.astype(np.float64) for w in network.weights],
            [b.astype(np.float64) for b in network.biases])


def core_loss(network, X, Y, loss):
    return network.engine.loss_sum(X, Y, loss, 1)


def mean_loss(network, X, Y, loss):
    """The mean per-sample loss, as the gradient's (1/2 ||a - y||^2 for the squared error)."""
    return (0.5 if loss == "squared_error" else 1.0) * core_loss(network, X, Y, loss) / len(X)


def core_gradient(network, X, Y, loss, threads=1, sample_weight=None, rows=None):
    rows = np.arange(len(X), dtype=np.intp) if rows is None else np.asarray(rows, np.intp)
    return network.engine.gradient(X, Y, rows, loss, threads, sample_weight)


# --- elementwise kernels ----------------------------------------------------------

def ulps(actual, expected):
    """Distance in units in the last place of the expected values."""
    spacing = np.spacing(np.abs(expected).astype(actual.dtype))
    return np.abs(actual.astype(np.float64) - expected) / spacing


@pytest.mark.parametrize("dtype, limit", [(np.float64, 720.0), (np.float32, 90.0)])
@pytest.mark.parametrize("kind", ["tanh", "sigmoid"])
def test_vector_activations_are_within_a_few_ulps(kind, dtype, limit):
    # A one-layer identity-weight network applies the activation to its inputs.
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.uniform(-limit, limit, 20000), rng.uniform(-1, 1, 20000),
                        10.0 ** rng.uniform(-30, 0, 5000) * rng.choice([-1, 1], 5000),
                        [0.0, -0.0, 1e-300 if dtype == np.float64 else 1e-38]]).astype(dtype)
    network = NeuralNetwork([1, 1], activations=kind, dtype=dtype)
    network.weights[0][...] = 1
    network.biases[0][...] = 0
    out = network.feedforward(z[:, None])[:, 0]
    exact = np.array([math.tanh(v) if kind == "tanh" else
                      (1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v)))
                      for v in z.astype(np.float64)])
    if dtype == np.float32:
        exact = exact.astype(np.float32).astype(np.float64)
    # exp(a) flushes to 0 below a = -708 (float64) or -87 (float32), just
    # above the smallest normal number: those results are checked absolutely.
    tiny = np.abs(exact) < math.exp(-708 if dtype == np.float64 else -87)
    assert ulps(out[~tiny], exact[~tiny]).max() <= 4
    assert np.abs(out[tiny] - exact[tiny]).max() <= math.exp(-708 if dtype == np.float64 else -87)
    # The weighted input of +-0 is +0 (the bias 0 is added): tanh gives +0, sigmoid 1/2.
    assert (out[z == 0] == (0 if kind == "tanh" else 0.5)).all()
    assert not np.signbit(out[z == 0]).any()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_activations_of_infinities_and_nan(dtype):
    z = np.array([[-np.inf], [np.inf], [np.nan], [-1e308 if dtype == np.float64 else -3e38]],
                 dtype)
    expected = {"sigmoid": [0, 1, np.nan, 0], "tanh": [-1, 1, np.nan, -1],
                "relu": [0, np.inf, np.nan, 0], "identity": [-np.inf, np.inf, np.nan, z[3, 0]],
                "leaky_relu": [-np.inf, np.inf, np.nan, 0.01 * z[3, 0]],
                "elu": [-1, np.inf, np.nan, -1]}
    for kind, values in expected.items():
        network = NeuralNetwork([1, 1], activations=kind, dtype=dtype)
        network.weights[0][...] = 1
        network.biases[0][...] = 0
        out, _ = network.engine.forward(z, 1)
        np.testing.assert_array_equal(out[:, 0], np.array(values, dtype))


# --- forward pass and losses ------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kinds", [["sigmoid", "tanh", "relu", "identity"],
                                   ["relu", "tanh", "identity", "softmax"],
                                   ["tanh", "relu", "sigmoid", "sigmoid"],
                                   ["leaky_relu", "elu", "leaky_relu", "elu"]])
@pytest.mark.parametrize("threads", [1, 2])
def test_forward_pass_matches_reference(kinds, dtype, threads):
    network, X, _ = problem([9, 17, 8, 13, 5], kinds, dtype, n_samples=300)
    expected = reference.forward_all(*as_lists(network), kinds, X.astype(np.float64))[-1]
    np.testing.assert_allclose(network.feedforward(X, num_threads=threads), expected,
                               rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("out, loss", PAIRS)
def test_losses_match_reference(out, loss, dtype):
    network, X, Y = problem([6, 7, 4], ["tanh", out], dtype, n_samples=150)
    A = reference.forward_all(*as_lists(network), network.activations, X.astype(np.float64))[-1]
    expected = reference.sample_losses(network.activations, loss, A, Y.astype(np.float64),
                                       np.finfo(dtype).eps).sum()
    assert mean_loss(network, X, Y, loss) * len(X) == pytest.approx(expected,
                                                                   rel=10 * TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_and_cross_entropy_survive_extreme_logits(dtype):
    big = 1e300 if dtype == np.float64 else 1e38
    network = NeuralNetwork([3, 3], activations="softmax", dtype=dtype)
    network.weights[0][...] = np.eye(3)
    network.biases[0][...] = 0
    X = np.array([[big, 0, -big], [-big, -big, -big], [1000, 999, -1000], [0, 0, 0]], dtype)
    Y = np.eye(3, dtype=dtype)[[0, 1, 1, 2]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        A = network.feedforward(X)
        losses = [mean_loss(network, X[i:i + 1], Y[i:i + 1], "cross_entropy") for i in range(4)]
        grad, _ = core_gradient(network, X, Y, "cross_entropy")
    assert np.isfinite(A).all() and np.allclose(A.sum(axis=1), 1)
    np.testing.assert_array_equal(A[0], [1, 0, 0])
    np.testing.assert_allclose(A[1], [1 / 3] * 3, rtol=1e-6)
    assert losses[0] == 0                                    # right and sure: no loss
    assert losses[1] == pytest.approx(math.log(3), rel=1e-6)
    assert losses[2] == pytest.approx(1 + math.log1p(math.exp(-1)), rel=1e-5)
    assert np.isfinite(losses).all() and np.isfinite(grad).all()
    # Sure and wrong: the loss is large but finite (probability clipped at eps).
    wrong = mean_loss(network, X[:1], np.eye(3, dtype=dtype)[[2]], "cross_entropy")
    assert wrong == pytest.approx(-math.log(np.finfo(dtype).eps), rel=1e-6)


# --- gradients ----------------------------------------------------------------------

def numeric_gradient(network, X, Y, loss, eps=1e-6):
    params = network.parameters
    grad = np.empty_like(params)
    for i in range(len(params)):
        saved = params[i]
        params[i] = saved + eps
        up = mean_loss(network, X, Y, loss)
        params[i] = saved - eps
        down = mean_loss(network, X, Y, loss)
        params[i] = saved
        grad[i] = (up - down) / (2 * eps)
    return grad


@pytest.mark.parametrize("depth", [2, 3, 4])
@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("out, loss", PAIRS)
def test_gradients_follow_finite_differences(hidden, out, loss, depth):
    shape = [4, 5, 6, 3][:depth - 1] + [3]
    kinds = [hidden] * (depth - 2) + [out]
    network, X, Y = problem(shape, kinds, np.float64, n_samples=7, seed=depth)
    if hidden in ("relu", "leaky_relu"):
        X += 0.05   # keep weighted inputs off the kink
    grad, total = core_gradient(network, X, Y, loss)
    assert total == pytest.approx(core_loss(network, X, Y, loss), rel=1e-12)
    np.testing.assert_allclose(grad, numeric_gradient(network, X, Y, loss), rtol=1e-5,
                               atol=1e-8)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("out, loss", PAIRS)
@pytest.mark.parametrize("threads", [1, 2])
def test_gradients_match_reference(out, loss, dtype, threads):
    kinds = ["relu", "tanh", out]
    network, X, Y = problem([300, 41, 9, 5], kinds, dtype, n_samples=67)
    grad, _ = core_gradient(network, X, Y, loss, threads)
    grads_w, grads_b = reference.mean_gradient(*as_lists(network), kinds, loss,
                                               X.astype(np.float64), Y.astype(np.float64))
    mine_w, mine_b = _layout.split(grad, network.shape)
    for mine, theirs in zip(mine_w + mine_b, grads_w + grads_b):
        np.testing.assert_allclose(mine, theirs, rtol=10 * TOLERANCE[dtype],
                                   atol=10 * TOLERANCE[dtype])


# --- the epoch driver and the optimizers ----------------------------------------------

SETTINGS = {"sgd": dict(learning_rate=0.1), "momentum": dict(learning_rate=0.05, momentum=0.8),
            "nesterov": dict(learning_rate=0.05, momentum=0.8, nesterov=True),
            "adam": dict(learning_rate=0.01, beta1=0.8, beta2=0.99, epsilon=1e-7),
            "rmsprop": dict(learning_rate=0.01, rho=0.9, epsilon=1e-7)}


def core_epoch(network, X, Y, rows, batch_size, loss, name, state, steps_before, l2=0.0,
               threads=1, sample_weight=None, **extra):
    settings = {"name": "momentum" if name == "nesterov" else name, "l2": l2,
                **SETTINGS[name], **extra}
    n_batches = -(-len(rows) // batch_size)
    stats, completed = np.zeros((n_batches, 3)), np.zeros(1, np.intp)
    work = np.empty(_core.train_workspace_size(network.engine.sizes, batch_size), network.dtype)
    _core.train_epoch(network.engine.sizes, network.engine.kinds, LOSS[loss],
                      network.parameters, X, Y, np.asarray(rows, np.intp), sample_weight,
                      batch_size, settings,
                      steps_before, state, np.empty_like(network.parameters), work, stats,
                      completed, threads)
    return stats, int(completed[0])


def state_size(name, network):
    optimizer = OPTIMIZERS["momentum" if name == "nesterov" else name]
    return optimizer.state_vectors * len(network.parameters)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(SETTINGS))
@pytest.mark.parametrize("threads", [1, 2])
def test_two_epochs_of_each_optimizer_match_reference(name, dtype, threads):
    kinds = ["relu", "softmax"]
    network, X, Y = problem([300, 37, 7], kinds, dtype, n_samples=103)
    weights, biases = as_lists(network)
    optimizer = reference.Optimizer("momentum" if name == "nesterov" else name,
                                    **SETTINGS[name])
    state = np.zeros(state_size(name, network), dtype)
    rng = np.random.default_rng(0)
    for epoch in range(2):
        rows = rng.permutation(len(X))
        weights, biases, expected = reference.epoch(weights, biases, kinds, "cross_entropy",
                                                    X.astype(np.float64), Y.astype(np.float64),
                                                    rows, 25, optimizer, l2=0.01)
        stats, completed = core_epoch(network, X, Y, rows, 25, "cross_entropy", name, state,
                                      steps_before=5 * epoch, l2=0.01, threads=threads)
        assert completed == 5
        np.testing.assert_allclose(stats, expected, rtol=20 * TOLERANCE[dtype])
    tolerance = 1e-9 if dtype == np.float64 else 2e-4
    for mine, theirs in zip(network.weights + network.biases, weights + biases):
        np.testing.assert_allclose(mine, theirs, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["sgd", "nesterov", "adam"])
def test_weighted_epochs_with_decay_over_the_batch_weight_match_reference(name, dtype):
    # scikit-learn's step: (sum w_s g_s + alpha W) / sum w_s, and Adam's epsilon hat.
    kinds = ["tanh", "exp"]
    network, X, Y = problem([30, 17, 3], kinds, dtype, n_samples=97)
    weight = np.random.default_rng(5).uniform(0, 3, len(X)).astype(dtype)
    weight[:10] = 0
    weights, biases = as_lists(network)
    extra = dict(l2_over_weight=True, epsilon_hat=True) if name == "adam" else \
        dict(l2_over_weight=True)
    optimizer = reference.Optimizer("momentum" if name == "nesterov" else name,
                                    epsilon_hat=name == "adam", **SETTINGS[name])
    state = np.zeros(state_size(name, network), dtype)
    rows = np.random.default_rng(1).permutation(len(X))
    weights, biases, expected = reference.epoch(
        weights, biases, kinds, "poisson", X.astype(np.float64), Y.astype(np.float64), rows, 20,
        optimizer, l2=0.5, sample_weight=weight.astype(np.float64), l2_over_weight=True)
    stats, completed = core_epoch(network, X, Y, rows, 20, "poisson", name, state, 0, l2=0.5,
                                  sample_weight=weight, **extra)
    assert completed == 5
    np.testing.assert_allclose(stats, expected, rtol=20 * TOLERANCE[dtype])
    tolerance = 1e-9 if dtype == np.float64 else 2e-4
    for mine, theirs in zip(network.weights + network.biases, weights + biases):
        np.testing.assert_allclose(mine, theirs, rtol=tolerance, atol=tolerance)


def test_adam_epsilon_hat_changes_only_where_epsilon_enters():
    runs = {}
    for eps_hat in (False, True):
        for epsilon in (1e-8, 1e-1):
            network, X, Y = problem([6, 5, 2], ["relu", "identity"], np.float64)
            state = np.zeros(state_size("adam", network))
            core_epoch(network, X, Y, np.arange(len(X)), 8, "squared_error", "adam", state, 0,
                       epsilon=epsilon, epsilon_hat=eps_hat)
            runs[eps_hat, epsilon] = network.parameters
    np.testing.assert_allclose(runs[True, 1e-8], runs[False, 1e-8], rtol=1e-5)
    assert np.abs(runs[True, 1e-1] - runs[False, 1e-1]).max() > 1e-4


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("out, loss", [("softmax", "cross_entropy"), ("identity", "squared_error"),
                                       ("exp", "poisson")])
def test_weighted_gradients_match_reference(out, loss, dtype, threads):
    kinds = ["relu", out]
    network, X, Y = problem([200, 33, 4], kinds, dtype, n_samples=90)
    weight = np.random.default_rng(2).uniform(0, 2, len(X)).astype(dtype)
    weight[::7] = 0
    grad, total = core_gradient(network, X, Y, loss, threads, sample_weight=weight)
    A = reference.forward_all(*as_lists(network), kinds, X.astype(np.float64))[-1]
    losses = reference.sample_losses(kinds, loss, A, Y.astype(np.float64), np.finfo(dtype).eps)
    factor = 2 if loss == "squared_error" else 1     # the core sums ||a - y||^2
    assert total == pytest.approx(factor * (losses * weight).sum(), rel=20 * TOLERANCE[dtype])
    grads_w, grads_b = reference.mean_gradient(*as_lists(network), kinds, loss,
                                               X.astype(np.float64), Y.astype(np.float64),
                                               weight)
    mine_w, mine_b = _layout.split(grad, network.shape)
    for mine, theirs in zip(mine_w + mine_b, grads_w + grads_b):
        np.testing.assert_allclose(mine, theirs, rtol=10 * TOLERANCE[dtype],
                                   atol=10 * TOLERANCE[dtype])


def test_integer_weights_equal_repeated_rows_and_zero_weights_no_rows():
    network, X, Y = problem([7, 6, 3], ["tanh", "softmax"], np.float64, n_samples=30)
    weight = np.random.default_rng(3).integers(0, 4, len(X)).astype(np.float64)
    repeated = np.repeat(np.arange(len(X)), weight.astype(int))
    weighted, weighted_total = core_gradient(network, X, Y, "cross_entropy", sample_weight=weight)
    plain, plain_total = core_gradient(network, X, Y, "cross_entropy", rows=repeated)
    np.testing.assert_allclose(weighted, plain, rtol=1e-12, atol=1e-15)
    assert weighted_total == pytest.approx(plain_total, rel=1e-12)
    # A batch that weighs nothing has no gradient (and its step no decay).
    nothing, total = core_gradient(network, X, Y, "cross_entropy", sample_weight=np.zeros(30))
    assert total == 0 and not nothing.any()
    before = network.parameters.copy()
    stats, _ = core_epoch(network, X, Y, np.arange(30), 30, "cross_entropy", "sgd", np.zeros(0),
                          0, l2=1.0, sample_weight=np.zeros(30), l2_over_weight=True)
    np.testing.assert_array_equal(network.parameters, before)
    assert stats[0, 1] == 0


def test_sample_weight_and_settings_are_checked():
    network, X, Y = problem([3, 2, 2], ["tanh", "softmax"], np.float64, n_samples=6)
    with pytest.raises(ValueError, match=r"sample_weight must hold a weight per row of X \(6\); got 5"):
        core_gradient(network, X, Y, "cross_entropy", sample_weight=np.ones(5))
    with pytest.raises(ValueError, match="unknown optimizer settings: lr"):
        core_epoch(network, X, Y, np.arange(6), 2, "cross_entropy", "sgd", np.zeros(0), 0, lr=1)
    with pytest.raises(ValueError, match="the Poisson loss needs an exp output layer"):
        core_gradient(network, X, Y, "poisson")


def test_weight_decay_spares_the_biases():
    network, X, Y = problem([5, 4, 3], ["tanh", "identity"], np.float64)
    start, twin = network.copy(), network.copy()
    rows = np.arange(len(X))
    core_epoch(network, X, Y, rows, len(X), "squared_error", "sgd", np.zeros(0), 0, l2=0.5)
    core_epoch(twin, X, Y, rows, len(X), "squared_error", "sgd", np.zeros(0), 0, l2=0.0)
    for layer in range(2):
        # One sgd step: w - lr (g + l2 w) = (w - lr g) - lr l2 w, for weights only.
        np.testing.assert_allclose(network.weights[layer],
                                   twin.weights[layer] - 0.1 * 0.5 * start.weights[layer],
                                   rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(network.biases[layer], twin.biases[layer])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_epochs_do_not_depend_on_the_thread_count(dtype):
    # 39,099 parameters: the squared weights are summed in pieces by two threads.
    results = []
    for threads in (1, 2, 3):
        network, X, Y = problem([400, 90, 30, 9], ["relu", "tanh", "softmax"], dtype,
                                n_samples=200)
        state = np.zeros(state_size("adam", network), dtype)
        stats, _ = core_epoch(network, X, Y, np.arange(200)[::-1].copy(), 64, "cross_entropy",
                              "adam", state, 0, l2=0.001, threads=threads)
        results.append((network.parameters, state, stats))
    for params, state, stats in results[1:]:
        np.testing.assert_array_equal(params, results[0][0])
        np.testing.assert_array_equal(state, results[0][1])
        np.testing.assert_array_equal(stats, results[0][2])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("threads", [1, 2])
def test_epoch_reports_the_squared_weights_each_step_starts_from(dtype, threads):
    network, X, Y = problem([400, 90, 9], ["relu", "softmax"], dtype, n_samples=60)
    state = np.zeros(state_size("adam", network), dtype)
    expected = []
    for _ in range(3):
        expected.append(sum(np.sum(w.astype(np.float64) ** 2) for w in network.weights))
        stats, _ = core_epoch(network, X, Y, np.arange(60), 60, "cross_entropy", "adam",
                              state, len(expected) - 1, l2=0.01, threads=threads)
        assert stats[0, 1] == 60
        np.testing.assert_allclose(stats[0, 2], expected[-1], rtol=1e-13)
    assert len(set(expected)) == 3


def test_epoch_stops_at_the_first_step_that_is_not_finite():
    network, X, Y = problem([3, 4, 1], ["relu", "identity"], np.float64, n_samples=40)
    X[25] = 1e300   # the batch holding row 25 (batch 3 of 10) overflows
    stats, completed = core_epoch(network, X, Y, np.arange(40), 4, "squared_error", "sgd",
                                  np.zeros(0), 0)
    assert completed == 6 and not np.isfinite(network.parameters).all()
    assert np.isfinite(stats[:6]).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_optimizer_state_is_flushed_below_the_smallest_normal(name, dtype):
    # A dead relu unit gets zero gradients: its velocity (or Adam's first
    # moment) decays by 0.8 a step.  From 1e-30 (1e-300 in float64), 120 steps
    # would leave it subnormal (slow on many CPUs); the flush leaves 0.
    network, X, Y = problem([3, 4, 2], ["relu", "identity"], dtype, n_samples=1)
    network.weights[0][0] = [-5.0, -5.0, -5.0]
    network.biases[0][0] = 0.5
    X[...] = 0.3                     # the unit's input is -4: dead from the start
    dead = np.r_[0:3, 12]            # its weights and bias in the parameters
    state = np.zeros(state_size(name, network), dtype)
    start = 1e-300 if dtype == np.float64 else 1e-30
    state[dead] = start
    assert 0 < start * 0.8 ** 120 < np.finfo(dtype).tiny
    core_epoch(network, X, Y, np.zeros(120, np.intp), 1, "squared_error", name, state, 0)
    assert (state[dead] == 0).all()
    tiny = np.finfo(dtype).tiny
    assert not ((state != 0) & (np.abs(state) < tiny)).any() and state.any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_subnormal_deltas_are_flushed(dtype):
    # Identity units with zero weights: every output is 0, so each delta is
    # 0 - y.  A subnormal delta becomes 0 (a product with a subnormal operand
    # can take a hundred times longer); the smallest normal one stays.
    network, X, _ = problem([3, 2, 2], ["identity", "identity"], dtype, n_samples=2)
    network.parameters[...] = 0
    network.weights[1][...] = 1
    tiny = np.finfo(dtype).tiny
    Y = np.array([[-tiny / 4, -tiny], [-tiny / 4, -tiny]], dtype)
    grad, _ = core_gradient(network, X, Y, "squared_error")
    weights, biases = _layout.split(grad, network.shape)
    np.testing.assert_array_equal(biases[1], [0, tiny])
    # Layer 1's delta sums the output deltas after the flush: 0 + tiny.
    np.testing.assert_array_equal(biases[0], [tiny, tiny])

import logging
import os
import signal
import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import pytest

import nnext
from nnext import _core
from nnext import training as training_module
from nnext.network import NeuralNetwork
from nnext.training import Trainer, TrainingDataSample


def points(n, seed=0):
    """The x > y problem of the simple example, as arrays."""
    P = np.random.default_rng(seed).random((n, 2))
    return P, (P[:, 0] > P[:, 1]).astype(float)[:, None]


def train(network, data, **kwargs):
    arguments = dict(learning_step=0.5, batch_iterations=20, batch_size=10, seed=0)
    arguments.update(kwargs)
    return Trainer().train(network, data, **arguments)


def test_seed_readme_call_with_keywords_and_positions():
    X, Y = points(200)
    samples = [TrainingDataSample(x, y) for x, y in zip(X, Y)]
    network = NeuralNetwork([2, 1], seed=0)
    result = Trainer().train(
        network=network, training_data=samples, learning_step=1, batch_iterations=20,
        batch_size=50, min_improvement_per_batch=0.000001,
        max_batches_without_improvement=100, cost_estimator_batch_size=50, seed=0)
    assert result.stopped_because == "no improvement"
    Trainer().train(NeuralNetwork([2, 1]), samples, 0.5, 10, 5)


def test_training_learns_the_simple_problem():
    X, Y = points(500)
    network = NeuralNetwork([2, 1], seed=0)
    result = train(network, (X, Y), batch_iterations=100, batch_size=50,
                   max_batches_without_improvement=10)
    assert result.best_cost < 0.5 * result.initial_cost
    T, expected = points(1000, seed=1)
    assert np.mean((network.feedforward(T) > 0.5) == expected) > 0.9


def test_samples_and_arrays_train_identically():
    X, Y = points(100)
    a, b = NeuralNetwork([2, 3, 1], seed=4), NeuralNetwork([2, 3, 1], seed=4)
    train(a, [TrainingDataSample(list(x), y) for x, y in zip(X, Y)], max_rounds=5)
    train(b, (X, Y), max_rounds=5)
    np.testing.assert_array_equal(a._params, b._params)


def test_same_seed_gives_bit_identical_weights():
    X, Y = points(300)
    runs = []
    for _ in range(2):
        network = NeuralNetwork([2, 4, 1], seed=1)
        runs.append((train(network, (X, Y), cost_estimator_batch_size=50), network._params))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    other = NeuralNetwork([2, 4, 1], seed=1)
    train(other, (X, Y), cost_estimator_batch_size=50, seed=1)
    assert not np.array_equal(other._params, runs[0][1])


def test_float32_training_follows_float64():
    X, Y = points(200)
    a = NeuralNetwork([2, 3, 1], seed=2)
    b = NeuralNetwork([2, 3, 1], seed=2, dtype=np.float32)
    train(a, (X, Y), max_rounds=3)
    train(b, (X, Y), max_rounds=3)
    assert b.dtype == np.float32
    np.testing.assert_allclose(b._params, a._params, atol=1e-4)


def test_result_records_every_round_and_the_rule_holds():
    X, Y = points(300)
    m, patience = 0.01, 4
    result = train(NeuralNetwork([2, 1], seed=0), (X, Y), min_improvement_per_batch=m,
                   max_batches_without_improvement=patience)
    assert result.rounds == len(result.costs)
    # Replay the rule on the recorded costs: it must end exactly at the last round.
    lowest, pending = result.initial_cost, patience
    for round_number, cost in enumerate(result.costs, start=1):
        assert pending > 0, f"training went on after round {round_number - 1}"
        pending = patience if cost < lowest * (1 - m) else pending - 1
        lowest = min(lowest, cost)
    assert pending == 0
    assert result.best_cost == lowest


def test_stopping_rule_on_scripted_costs(monkeypatch):
    # initial 10; 9 improves; 9.5 and 9.2 do not; 8 improves (resets); then
    # 8.5, 7.99 (not 1% below 8) and 8.5 make three rounds without improvement.
    costs = iter([10.0, 9.0, 9.5, 9.2, 8.0, 8.5, 7.99, 8.5, 1.0])
    monkeypatch.setattr(training_module._SGD, "cost", lambda self, X, Y, work: next(costs))
    monkeypatch.setattr(training_module._SGD, "round", lambda self: None)
    X, Y = points(10)
    result = train(NeuralNetwork([2, 1]), (X, Y), min_improvement_per_batch=0.01,
                   max_batches_without_improvement=3)
    assert result.costs == [9.0, 9.5, 9.2, 8.0, 8.5, 7.99, 8.5]
    assert result.best_cost == 7.99
    assert result.stopped_because == "no improvement"


def test_max_rounds_stops_early():
    X, Y = points(100)
    result = train(NeuralNetwork([2, 1]), (X, Y), max_rounds=2,
                   max_batches_without_improvement=100)
    assert (result.rounds, result.stopped_because) == (2, "max_rounds")


def test_each_round_is_batch_iterations_steps_on_one_batch():
    X, Y = points(50)
    network = NeuralNetwork([2, 3, 1], seed=0)
    start = network.copy()
    train(network, (X, Y), max_rounds=1, batch_size=7, batch_iterations=5, seed=9)
    rows = np.random.default_rng(9).integers(0, 50, 7, dtype=np.intp)
    work = np.empty(_core.train_workspace_size(start._sizes, 7))
    _core.sgd_steps(start._sizes, start._params, X, Y, rows, 0.5, 5, work)
    np.testing.assert_array_equal(network._params, start._params)


def test_cost_estimation_batch_is_drawn_once(monkeypatch):
    seen = []
    original = training_module._SGD.cost
    monkeypatch.setattr(training_module._SGD, "cost",
                        lambda self, X, Y, work: seen.append(len(X)) or original(self, X, Y, work))
    X, Y = points(100)
    train(NeuralNetwork([2, 1]), (X, Y), cost_estimator_batch_size=30, max_rounds=3)
    assert seen == [30, 30, 30, 30]


def test_logs_one_line_per_round(caplog):
    X, Y = points(100)
    with caplog.at_level(logging.INFO, logger="nnext.training"):
        result = train(NeuralNetwork([2, 1]), (X, Y), max_rounds=4)
    lines = [r.getMessage() for r in caplog.records if r.name == "nnext.training"]
    assert len(lines) == result.rounds == 4
    assert lines[0].startswith("round 1: cost ") and "best" in lines[0]


def test_small_mnist_subset_learns():
    here = os.path.dirname(__file__)
    images, labels = nnext.load_mnist(os.path.join(here, os.pardir, "datasets", "mnist"), "test")
    X, Y = images.reshape(len(images), -1) / 255.0, np.eye(10)[labels]
    network = NeuralNetwork([784, 20, 10], seed=0)
    Trainer().train(network, (X[:5000], Y[:5000]), 1, 20, 50, 0.000001, 100, 1000,
                    seed=0, max_rounds=150)
    accuracy = np.mean(network.feedforward(X[5000:]).argmax(axis=1) == labels[5000:])
    assert accuracy > 0.8


# --- bad arguments and data --------------------------------------------------

GOOD = dict(learning_step=1, batch_iterations=2, batch_size=3)


@pytest.mark.parametrize("change, error, message", [
    (dict(learning_step=0), ValueError, "learning_step must be a finite number > 0; got 0"),
    (dict(learning_step=-1), ValueError, "learning_step must be a finite number > 0"),
    (dict(learning_step=float("nan")), ValueError, "learning_step must be a finite"),
    (dict(learning_step=float("inf")), ValueError, "learning_step must be a finite"),
    (dict(learning_step="1"), TypeError, "learning_step must be a finite"),
    (dict(batch_iterations=0), ValueError, "batch_iterations must be a positive integer; got 0"),
    (dict(batch_iterations=2.0), TypeError, "batch_iterations must be a positive integer"),
    (dict(batch_size=0), ValueError, "batch_size must be a positive integer; got 0"),
    (dict(batch_size=True), TypeError, "batch_size must be a positive integer; got True"),
    (dict(min_improvement_per_batch=1), ValueError, r"must be a number in \[0, 1\)"),
    (dict(min_improvement_per_batch=-0.1), ValueError, r"must be a number in \[0, 1\)"),
    (dict(min_improvement_per_batch=float("nan")), ValueError, r"in \[0, 1\)"),
    (dict(max_batches_without_improvement=0), ValueError,
     "max_batches_without_improvement must be a positive integer"),
    (dict(max_batches_without_improvement=None), TypeError,
     "max_batches_without_improvement must be a positive integer"),
    (dict(cost_estimator_batch_size=0), ValueError,
     "cost_estimator_batch_size must be a positive integer"),
    (dict(seed="a"), TypeError, "seed must be"),
    (dict(max_rounds=0), ValueError, "max_rounds must be a positive integer"),
    (dict(batch_size=10**13), ValueError, "batch_size=10000000000000 needs working memory"),
    (dict(num_threads=0), ValueError, "num_threads must be a positive integer"),
])
def test_bad_arguments_are_refused(change, error, message):
    X, Y = points(20)
    network = NeuralNetwork([2, 1], seed=0)
    before = network._params.copy()
    with pytest.raises(error, match=message):
        Trainer().train(network, (X, Y), **{**GOOD, **change})
    np.testing.assert_array_equal(network._params, before)


def sample(x, y):
    return TrainingDataSample(np.asarray(x, float), np.asarray(y, float))


@pytest.mark.parametrize("data, error, message", [
    ([], ValueError, "at least one sample"),
    ((np.zeros((0, 2)), np.zeros((0, 1))), ValueError, "at least one sample"),
    ([sample([1, 2], [1]), sample([1, 2, 3], [1])], ValueError,
     "training sample 1 has 3 inputs; the network's input layer has 2"),
    ([sample([1, 2], [1, 0])], ValueError,
     "training sample 0 has 2 outputs; the network's output layer has 1"),
    ([sample([1, np.nan], [1])], ValueError, "training inputs must be finite; sample 0"),
    ([sample([1, 2], [1]), sample([1, 2], [np.inf])], ValueError,
     "training targets must be finite; sample 1"),
    ([sample([[1, 2]], [1])], ValueError, "inputs of training sample 0 must be 1-D"),
    ([TrainingDataSample(["a", "b"], [1])], TypeError, "must hold real numbers"),
    ([(1, 2)], TypeError, "training sample 0 must be a TrainingDataSample"),
    ("abc", TypeError, "training_data must be a list of TrainingDataSample"),
    (42, TypeError, "training_data must be a list of TrainingDataSample"),
    ((np.zeros((3, 2)), np.zeros((4, 1))), ValueError, "as many rows; got 3 and 4"),
    ((np.zeros((3, 3)), np.zeros((3, 1))), ValueError, "2 values per sample; got 3"),
    ((np.zeros((3, 2)), np.zeros((3, 2))), ValueError, "1 values per sample; got 2"),
    ((np.zeros(2), np.zeros(1)), ValueError, "must be 2-D"),
    ((np.zeros((3, 2), complex), np.zeros((3, 1))), TypeError, "real numbers"),
    ((np.zeros((3, 2)), np.full((3, 1), np.nan)), ValueError, "targets must be finite"),
])
def test_bad_training_data_is_refused(data, error, message):
    with pytest.raises(error, match=message):
        Trainer().train(NeuralNetwork([2, 1]), data, **GOOD)


def test_odd_array_layouts_train_like_contiguous_ones():
    X, Y = points(60)
    wide = np.zeros((60, 4))
    wide[:, 1::2] = X
    readonly = Y.copy()
    readonly.flags.writeable = False
    variants = [(X, Y), (np.asfortranarray(X), Y), (wide[:, 1::2], readonly),
                (X.astype(np.float32), Y.astype(int)), (X.tolist(), Y.tolist())]
    results = []
    for data in variants:
        network = NeuralNetwork([2, 1], seed=0)
        train(network, data, max_rounds=3)
        results.append(network._params)
    for params in results[1:3]:
        np.testing.assert_array_equal(params, results[0])
    np.testing.assert_allclose(results[3], results[0], atol=1e-6)
    np.testing.assert_array_equal(results[4], results[0])


def test_oversized_batches_warn():
    X, Y = points(10)
    with pytest.warns(UserWarning, match="batch_size \\(50\\) is larger"):
        train(NeuralNetwork([2, 1]), (X, Y), batch_size=50, max_rounds=1)
    with pytest.warns(UserWarning, match="estimating the cost on all of it"):
        train(NeuralNetwork([2, 1]), (X, Y), cost_estimator_batch_size=11, max_rounds=1)


# --- training that goes wrong --------------------------------------------------

def test_divergence_stops_with_last_finite_weights():
    X, Y = points(50)
    # Zero weights keep the sigmoid out of saturation, so the first gradient
    # is large (about 0.125 * 1000) and a step of 1e308 times it overflows.
    X = X * 1e3
    network = NeuralNetwork([2, 1], seed=0)
    network.weights[0][...] = 0
    start = network.copy()
    with pytest.raises(FloatingPointError, match="at step 1 of round 1.*try a smaller one"):
        train(network, (X, Y), learning_step=1e308, batch_iterations=10, max_rounds=50)
    assert np.isfinite(network._params).all()
    # Replaying the same batches step by step: the weights are those of the
    # last step before the first non-finite one.
    rng = np.random.default_rng(0)
    work = np.empty(_core.train_workspace_size(start._sizes, 10))
    last_finite = start._params.copy()
    for _ in range(50):
        rows = rng.integers(0, 50, 10, dtype=np.intp)
        for _ in range(10):
            _core.sgd_steps(start._sizes, start._params, X, Y, rows, 1e308, 1, work)
            if not np.isfinite(start._params).all():
                np.testing.assert_array_equal(network._params, last_finite)
                return
            last_finite = start._params.copy()
    pytest.fail("the replay never diverged")


def test_ctrl_c_keeps_the_last_complete_step():
    rng = np.random.default_rng(0)
    X, Y = rng.random((3000, 300)), rng.random((3000, 10))
    network = NeuralNetwork([300, 200, 10], seed=0)
    start = network.copy()
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    started = time.perf_counter()
    with pytest.warns(UserWarning, match="training interrupted"):
        result = Trainer().train(network, (X, Y), 0.1, 1000, 3000, seed=0,
                                 cost_estimator_batch_size=10)
    answered = time.perf_counter() - started - 0.5
    timer.join()
    assert result.stopped_because == "interrupted"
    assert answered < 1.0
    # Replaying the same batch step by step reaches exactly these weights.
    rows = np.random.default_rng(0)
    rows.integers(0, 3000, 10)
    rows = rows.integers(0, 3000, 3000, dtype=np.intp)
    work = np.empty(_core.train_workspace_size(start._sizes, 3000))
    for _ in range(1000):
        if np.array_equal(start._params, network._params):
            return
        _core.sgd_steps(start._sizes, start._params, X, Y, rows, 0.1, 1, work)
    pytest.fail("the interrupted weights are not those of any complete step")


def test_ctrl_c_answers_within_a_long_step():
    # One step on this batch takes about a second: Ctrl-C is looked for
    # between its forward pass and its update, not only between steps.
    rng = np.random.default_rng(0)
    X, Y = rng.random((30000, 784)), rng.random((30000, 10))
    network = NeuralNetwork([784, 600, 10], seed=0)
    work = np.empty(_core.train_workspace_size(network._sizes, len(X)))
    rows = np.arange(len(X), dtype=np.intp)
    started = time.perf_counter()
    _core.sgd_steps(network._sizes, network.copy()._params, X, Y, rows, 0.1, 1, work, 2)
    step = time.perf_counter() - started
    before = network._params.copy()
    timer = threading.Timer(0.1 * step, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        _core.sgd_steps(network._sizes, network._params, X, Y, rows, 0.1, 5, work, 2)
    answered = time.perf_counter() - started - 0.1 * step
    timer.join()
    # Interrupted during the first forward pass: not one weight has moved.
    np.testing.assert_array_equal(network._params, before)
    assert answered < 0.8 * step


def test_two_networks_train_in_parallel_threads_as_in_sequence():
    X, Y = points(400)
    sequential = [NeuralNetwork([2, 8, 1], seed=s) for s in (0, 1)]
    for s, network in enumerate(sequential):
        train(network, (X, Y), batch_iterations=200, max_rounds=20, seed=s)
    parallel = [NeuralNetwork([2, 8, 1], seed=s) for s in (0, 1)]
    threads = [threading.Thread(target=train, args=(network, (X, Y)),
                                kwargs=dict(batch_iterations=200, max_rounds=20, seed=s))
               for s, network in enumerate(parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for a, b in zip(sequential, parallel):
        np.testing.assert_array_equal(a._params, b._params)


FORK_SCRIPT = """
import os, numpy as np, nnext
network = nnext.NeuralNetwork([784, 100, 10], seed=0)
X = np.random.default_rng(0).random((5000, 784))
expected = network.feedforward(X, num_threads=2)
pid = os.fork()
if pid == 0:
    same = np.array_equal(network.feedforward(X, num_threads=2), expected)
    nnext.Trainer().train(network, (X, expected), 0.1, 2, 500, max_rounds=2)
    os._exit(0 if same else 1)
_, status = os.waitpid(pid, 0)
print("child exit", os.waitstatus_to_exitcode(status))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_computes_instead_of_hanging(tmp_path):
    # Run away from the checkout, so that the installed package is imported.
    completed = subprocess.run([sys.executable, "-c", FORK_SCRIPT], capture_output=True,
                               text=True, timeout=120, cwd=tmp_path)
    assert completed.stdout.strip() == "child exit 0", completed.stderr


def test_training_one_network_from_two_threads_is_refused():
    X, Y = points(100)
    network = NeuralNetwork([2, 1])
    with network._training:
        with pytest.raises(RuntimeError, match="already being trained"):
            train(network, (X, Y), max_rounds=1)
    train(network, (X, Y), max_rounds=1)

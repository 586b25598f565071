"""Training by stochastic gradient descent, with the original program's stopping rule."""
import logging
import warnings
from dataclasses import dataclass, field

import numpy as np

from . import _checks, losses
from ._loop import diverged, training_run
from .network import check_network
from .progress import RoundInfo, reporter

logger = logging.getLogger("nnext.training")


class TrainingDataSample:
    """One training example: an input vector and the output expected for it.

    Parameters
    ----------
    input_values : array_like, shape (n_inputs,)
    output_values : array_like, shape (n_outputs,)
    """

    def __init__(self, input_values, output_values):
        self.input = input_values
        self.output = output_values

    def __repr__(self):
        return f"TrainingDataSample({self.input!r}, {self.output!r})"


@dataclass
class TrainingResult:
    """What happened during `Trainer.train`.

    Attributes
    ----------
    rounds : int
        Batches trained on (each for ``batch_iterations`` steps).
    initial_cost : float
        Cost of the cost-estimation samples before training.
    costs : list of float
        Cost after each round.
    best_cost : float
        Lowest cost seen.
    stopped_because : str
        ``"no improvement"`` (the stopping rule), ``"max_rounds"`` or
        ``"interrupted"`` (Ctrl-C).
    training_time : float
        Seconds spent in `Trainer.train`'s rounds and cost estimates.
    """

    rounds: int = 0
    initial_cost: float = float("nan")
    costs: list = field(default_factory=list)
    best_cost: float = float("nan")
    stopped_because: str = ""
    training_time: float = field(default=0.0, compare=False)


class StoppingRule:
    """The original program's stopping rule.

    A round is an improvement when its cost is below ``min(all previous
    costs) * (1 - min_improvement)``; training stops after ``patience``
    consecutive rounds without one.  With ``min_improvement`` of 1 or more no
    round counts as an improvement, so training runs exactly ``patience``
    rounds.

    Parameters
    ----------
    initial_cost : float
        The cost before the first round.
    min_improvement : float >= 0
    patience : int >= 1

    Attributes
    ----------
    best_cost : float
        Lowest cost so far.
    rounds_left : int
        Rounds still to run if none improves.

    Examples
    --------
    >>> rule = StoppingRule(10.0, min_improvement=0.01, patience=2)
    >>> rule.update(9.0), rule.update(8.95), rule.update(8.0), rule.update(8.5)
    (True, False, True, False)
    >>> rule.update(7.95), rule.done
    (False, True)
    """

    def __init__(self, initial_cost, min_improvement, patience):
        self.best_cost = initial_cost
        self.min_improvement = min_improvement
        self.patience = patience
        self.rounds_left = patience

    def update(self, cost):
        """Take the cost after a round; return whether the round improved."""
        improved = cost < self.best_cost * (1 - self.min_improvement)
        self.rounds_left = self.patience if improved else self.rounds_left - 1
        self.best_cost = min(self.best_cost, cost)
        return improved

    @property
    def done(self):
        return self.rounds_left <= 0


class Trainer:
    """Trains a `NeuralNetwork` by stochastic gradient descent on mini-batches."""

    def train(self, network, training_data, learning_step, batch_iterations, batch_size,
              min_improvement_per_batch=0, max_batches_without_improvement=3,
              cost_estimator_batch_size=None, *, seed=None, max_rounds=None,
              num_threads=None, progress=False):
        """Train ``network`` in place until its cost stops improving.

        The algorithm:

        0. Build the cost-estimation samples: all of ``training_data`` when
           ``cost_estimator_batch_size`` is None, otherwise that many samples
           drawn at random (with replacement) once.
        1. Estimate the cost, sum over those samples of ``||a_L - y||^2``.
        2. Pick a batch of ``batch_size`` random samples (with replacement).
        3. ``batch_iterations`` times: take the back-propagation gradient of
           every sample of the batch, average them, scale by
           ``learning_step`` and subtract from the weights and biases.
        4. Estimate the cost again.
        5. The round is an improvement when the new cost is below
           ``min(all previous costs) * (1 - min_improvement_per_batch)``.
        6. Stop after ``max_batches_without_improvement`` consecutive rounds
           without improvement (see `StoppingRule`).

        Parameters
        ----------
        network : NeuralNetwork
        training_data : list of TrainingDataSample, or tuple (X, Y)
            Samples, or a pair of 2-D arrays: inputs ``(n_samples, shape[0])``
            and expected outputs ``(n_samples, shape[-1])``.  Converted once to
            the network's dtype.
        learning_step : float > 0
        batch_iterations : int >= 1
        batch_size : int >= 1
        min_improvement_per_batch : float >= 0, optional
            The fraction by which a round must lower the lowest cost so far to
            count as an improvement.  1 or more: no round counts, so training
            runs exactly ``max_batches_without_improvement`` rounds.
        max_batches_without_improvement : int >= 1, optional
        cost_estimator_batch_size : int >= 1 or None, optional
        seed : None, int or numpy.random.Generator, optional
            Source of the random batches; the same seed, data and network give
            bit-identical weights.  Keyword only.
        max_rounds : int >= 1 or None, optional
            Stop after this many rounds at the latest.  Keyword only.
        num_threads : int >= 1 or None, optional
            Threads that share each large layer's work (default: all available
            cores).  Results do not depend on it.  Keyword only.
        progress : bool or callable, optional
            True shows a `ProgressLine` on standard error; a callable is
            called with a `RoundInfo` after every round (and its ``close()``,
            if it has one, at the end).  Every round is also logged at DEBUG
            level, and a summary at INFO, on the logger ``nnext.training``.
            Keyword only.

        Returns
        -------
        TrainingResult

        Raises
        ------
        TypeError, ValueError
            For a bad argument or bad data; the network is not touched.
        FloatingPointError
            If the weights become infinite or NaN (``learning_step`` too
            large).  The network keeps the weights of the last finite step.
        RuntimeError
            If the network is being trained in another thread.

        Warns
        -----
        UserWarning
            When Ctrl-C stops training: the network keeps the weights of the
            last complete step and the result says ``"interrupted"``.

        Examples
        --------
        >>> trainer = Trainer()
        >>> result = trainer.train(network, training_data, learning_step=1,  # doctest: +SKIP
        ...                        batch_iterations=20, batch_size=50, seed=0)
        """
        check_network(network)
        output = network.activations[-1]
        if output not in losses.LOSSES["squared_error"].outputs:
            raise ValueError(f"Trainer.train minimises the squared error, which cannot train a "
                             f"{output} output layer; use nnext.fit with "
                             f"loss={losses.default_for(output).name!r}")
        settings = _Settings(
            learning_step=_checks.positive_float(learning_step, "learning_step"),
            batch_iterations=_checks.positive_int(batch_iterations, "batch_iterations"),
            batch_size=_checks.positive_int(batch_size, "batch_size"),
            min_improvement=_checks.nonnegative_float(min_improvement_per_batch,
                                                      "min_improvement_per_batch"),
            patience=_checks.positive_int(max_batches_without_improvement,
                                          "max_batches_without_improvement"),
            max_rounds=_optional(_checks.positive_int, max_rounds, "max_rounds"),
            threads=_checks.num_threads(num_threads),
        )
        cost_batch_size = _optional(_checks.positive_int, cost_estimator_batch_size,
                                    "cost_estimator_batch_size")
        report = reporter(progress)
        network.engine.check_batch_memory(settings.batch_size)
        rng = _checks.generator(seed)
        X, Y = training_arrays(training_data, network)
        if settings.batch_size > len(X):
            warnings.warn(f"batch_size ({settings.batch_size}) is larger than the training "
                          f"data ({len(X)} samples); batches repeat samples", stacklevel=2)
        X_cost, Y_cost = _cost_estimation_samples(X, Y, cost_batch_size, rng)
        return _run(network, X, Y, X_cost, Y_cost, settings, rng, report)

    def make_batch(self, samples, size, *, seed=None):
        """Return ``size`` samples drawn at random, with replacement, from ``samples``.

        Parameters
        ----------
        samples : sequence
            Any sequence (a list of `TrainingDataSample`, say), not empty.
        size : int >= 0
        seed : None, int or numpy.random.Generator, optional
            Keyword only.

        Returns
        -------
        list
        """
        size = _checks.positive_int(size, "size", minimum=0)
        if isinstance(samples, (str, bytes)) or not hasattr(samples, "__getitem__"):
            raise TypeError(f"samples must be a sequence; got {type(samples).__name__}")
        if len(samples) == 0:
            raise ValueError("samples must hold at least one sample; got none")
        rng = _checks.generator(seed)
        return [samples[i] for i in rng.integers(0, len(samples), size)]

    def calculate_cost(self, network, batch, *, num_threads=None):
        """Return the cost of ``batch``: the sum over its samples of ``||a_L - y||^2``.

        Parameters
        ----------
        network : NeuralNetwork
        batch : list of TrainingDataSample, or tuple (X, Y)
            An empty list costs 0, as in the original.
        num_threads : int >= 1 or None, optional
            Keyword only.

        Returns
        -------
        float
        """
        check_network(network)
        threads = _checks.num_threads(num_threads)
        if isinstance(batch, list) and not batch:
            return 0.0
        X, Y = training_arrays(batch, network)
        return network.engine.loss_sum(X, Y, "squared_error", threads)


@dataclass
class _Settings:
    learning_step: float
    batch_iterations: int
    batch_size: int
    min_improvement: float
    patience: int
    max_rounds: int
    threads: int


def _run(network, X, Y, X_cost, Y_cost, settings, rng, report):
    """The rounds of `Trainer.train`, on checked arrays."""
    engine = network.engine
    result = TrainingResult()
    with training_run(network, report, logger, "round") as run:
        cost_work = engine.forward_workspace(len(X_cost), settings.threads)
        result.initial_cost = result.best_cost = engine.loss_sum(
            X_cost, Y_cost, "squared_error", settings.threads, cost_work)
        rule = StoppingRule(result.initial_cost, settings.min_improvement, settings.patience)
        while not rule.done:
            if settings.max_rounds is not None and result.rounds >= settings.max_rounds:
                run.stopped_because = "max_rounds"
                break
            rows = rng.integers(0, len(X), settings.batch_size, dtype=np.intp)
            failed_step = engine.sgd_round(X, Y, rows, settings.learning_step,
                                           settings.batch_iterations, settings.threads)
            if failed_step is not None:
                raise diverged(f"at step {failed_step} of round {result.rounds + 1}",
                               "learning_step", settings.learning_step)
            cost = engine.loss_sum(X_cost, Y_cost, "squared_error", settings.threads,
                                   cost_work)
            result.costs.append(cost)
            result.rounds += 1
            rule.update(cost)
            result.best_cost = rule.best_cost
            run.done(RoundInfo(result.rounds, cost, rule.best_cost,
                               _rounds_left(rule, result.rounds, settings.max_rounds),
                               run.elapsed()))
        else:
            run.stopped_because = "no improvement"
    result.stopped_because, result.training_time = run.stopped_because, run.training_time
    logger.info("trained %d rounds in %.1f s: best cost %.6g, stopped: %s", result.rounds,
                result.training_time, result.best_cost, result.stopped_because)
    return result


def _rounds_left(rule, rounds, max_rounds):
    return rule.rounds_left if max_rounds is None else min(rule.rounds_left, max_rounds - rounds)


def _optional(check, value, name):
    return None if value is None else check(value, name)


def training_arrays(training_data, network):
    """Return training data as two C-contiguous arrays of the network's dtype.

    Parameters
    ----------
    training_data : list of TrainingDataSample, or tuple (X, Y)
    network : NeuralNetwork

    Returns
    -------
    X : numpy.ndarray, shape (n_samples, network.shape[0])
    Y : numpy.ndarray, shape (n_samples, network.shape[-1])
    """
    n_in, n_out, dtype = network.shape[0], network.shape[-1], network.dtype
    if (isinstance(training_data, tuple) and len(training_data) == 2
            and not isinstance(training_data[0], TrainingDataSample)):
        X = _checks.matrix(training_data[0], n_in, "training inputs", dtype, "sample")
        Y = _checks.matrix(training_data[1], n_out, "training targets", dtype, "sample")
        if len(X) != len(Y):
            raise ValueError(f"training inputs and targets must have as many rows; "
                             f"got {len(X)} and {len(Y)}")
    else:
        X, Y = _stack_samples(training_data, n_in, n_out, dtype)
    if len(X) == 0:
        raise ValueError("training_data must hold at least one sample; got none")
    return X, Y


def _stack_samples(samples, n_in, n_out, dtype):
    if isinstance(samples, (str, bytes, np.ndarray)) or not hasattr(samples, "__len__"):
        raise TypeError(f"training_data must be a list of TrainingDataSample or a tuple "
                        f"(X, Y) of arrays; got {type(samples).__name__}")
    X = np.empty((len(samples), n_in), dtype=dtype)
    Y = np.empty((len(samples), n_out), dtype=dtype)
    for i, sample in enumerate(samples):
        if not (hasattr(sample, "input") and hasattr(sample, "output")):
            raise TypeError(f"training sample {i} must be a TrainingDataSample (for arrays, "
                            f"pass a tuple (X, Y)); got {type(sample).__name__}")
        for values, rows, layer, what in ((sample.input, X, "input", "inputs"),
                                          (sample.output, Y, "output", "outputs")):
            values = _checks.numeric_array(values, f"{what} of training sample {i}",
                                           ndims=(1,))
            if len(values) != rows.shape[1]:
                raise ValueError(f"training sample {i} has {len(values)} {what}; the "
                                 f"network's {layer} layer has {rows.shape[1]}")
            rows[i] = values
    _checks.finite_rows(X, "training inputs", "sample")
    _checks.finite_rows(Y, "training targets", "sample")
    return X, Y


def _cost_estimation_samples(X, Y, size, rng):
    if size is None:
        return X, Y
    if size > len(X):
        warnings.warn(f"cost_estimator_batch_size ({size}) is larger than the training "
                      f"data ({len(X)} samples); estimating the cost on all of it",
                      stacklevel=3)
        return X, Y
    rows = rng.integers(0, len(X), size)
    return X[rows], Y[rows]

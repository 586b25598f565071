"""Training by stochastic gradient descent, with the original program's stopping rule."""
import logging
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from . import _checks, _core
from .network import NeuralNetwork

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
    """

    rounds: int = 0
    initial_cost: float = float("nan")
    costs: list = field(default_factory=list)
    best_cost: float = float("nan")
    stopped_because: str = ""


class Trainer:
    """Trains a `NeuralNetwork` by stochastic gradient descent on mini-batches."""

    def train(self, network, training_data, learning_step, batch_iterations, batch_size,
              min_improvement_per_batch=0, max_batches_without_improvement=3,
              cost_estimator_batch_size=None, *, seed=None, max_rounds=None,
              num_threads=None):
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
           without improvement.

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
        min_improvement_per_batch : float in [0, 1), optional
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
        if not isinstance(network, NeuralNetwork):
            raise TypeError(f"network must be a NeuralNetwork; got {type(network).__name__}")
        settings = _Settings(
            learning_step=_checks.positive_float(learning_step, "learning_step"),
            batch_iterations=_checks.positive_int(batch_iterations, "batch_iterations"),
            batch_size=_checks.positive_int(batch_size, "batch_size"),
            min_improvement=_checks.fraction(min_improvement_per_batch,
                                             "min_improvement_per_batch"),
            patience=_checks.positive_int(max_batches_without_improvement,
                                          "max_batches_without_improvement"),
            max_rounds=_optional(_checks.positive_int, max_rounds, "max_rounds"),
            threads=_checks.num_threads(num_threads),
        )
        cost_batch_size = _optional(_checks.positive_int, cost_estimator_batch_size,
                                    "cost_estimator_batch_size")
        _checks.fits_in_memory(
            _core.train_workspace_size(network._sizes, settings.batch_size)
            * network.dtype.itemsize,
            f"batch_size={settings.batch_size} needs working memory")
        rng = _checks.generator(seed)
        X, Y = training_arrays(training_data, network)
        if settings.batch_size > len(X):
            warnings.warn(f"batch_size ({settings.batch_size}) is larger than the training "
                          f"data ({len(X)} samples); batches repeat samples", stacklevel=2)
        X_cost, Y_cost = _cost_estimation_samples(X, Y, cost_batch_size, rng)

        if not network._training.acquire(blocking=False):
            raise RuntimeError("this network is already being trained in another thread")
        try:
            return _SGD(network, X, Y, settings, rng).run(X_cost, Y_cost)
        finally:
            network._training.release()


@dataclass
class _Settings:
    learning_step: float
    batch_iterations: int
    batch_size: int
    min_improvement: float
    patience: int
    max_rounds: int
    threads: int


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


class _SGD:
    """One training run: the rounds, the stopping rule and the bookkeeping."""

    def __init__(self, network, X, Y, settings, rng):
        self.network = network
        self.X, self.Y = X, Y
        self.settings = settings
        self.rng = rng
        self.work = np.empty(_core.train_workspace_size(network._sizes, settings.batch_size),
                             dtype=network.dtype)
        self.backup = np.empty_like(network._params)
        self.result = TrainingResult()

    def cost(self, X, Y, work):
        network = self.network
        return _core.sum_squared_error(network._sizes, network._params, X, Y, work,
                                       self.settings.threads)

    def run(self, X_cost, Y_cost):
        settings, result = self.settings, self.result
        cost_work = self.network._forward_work(len(X_cost), settings.threads)
        lowest = result.initial_cost = result.best_cost = self.cost(X_cost, Y_cost, cost_work)
        pending = settings.patience
        started = time.perf_counter()
        try:
            while pending > 0:
                if settings.max_rounds is not None and result.rounds >= settings.max_rounds:
                    result.stopped_because = "max_rounds"
                    return result
                self.round()
                cost = self.cost(X_cost, Y_cost, cost_work)
                result.costs.append(cost)
                result.rounds += 1
                if cost < lowest * (1 - settings.min_improvement):
                    pending = settings.patience
                else:
                    pending -= 1
                lowest = result.best_cost = min(lowest, cost)
                logger.info("round %d: cost %.6g, best %.6g, %.1f s", result.rounds, cost,
                            lowest, time.perf_counter() - started)
            result.stopped_because = "no improvement"
        except KeyboardInterrupt:
            if not np.isfinite(self.network._params).all():
                self.network._params[...] = self.backup
            result.stopped_because = "interrupted"
            warnings.warn(f"training interrupted after {result.rounds} complete rounds; "
                          f"the network keeps the weights of the last complete step",
                          stacklevel=3)
        return result

    def steps(self, rows, iterations):
        network = self.network
        _core.sgd_steps(network._sizes, network._params, self.X, self.Y, rows,
                        self.settings.learning_step, iterations, self.work,
                        self.settings.threads)

    def round(self):
        """Train on one random batch; on divergence, find the last finite step."""
        params, backup = self.network._params, self.backup
        rows = self.rng.integers(0, len(self.X), self.settings.batch_size, dtype=np.intp)
        backup[...] = params
        self.steps(rows, self.settings.batch_iterations)
        if np.isfinite(params).all():
            return
        params[...] = backup
        for step in range(1, self.settings.batch_iterations + 1):
            backup[...] = params
            self.steps(rows, 1)
            if not np.isfinite(params).all():
                params[...] = backup
                raise FloatingPointError(
                    f"the weights became infinite or NaN at step {step} of round "
                    f"{self.result.rounds + 1}: learning_step={self.settings.learning_step} "
                    f"is too large for this data, try a smaller one. The network keeps the "
                    f"weights of the last finite step.")

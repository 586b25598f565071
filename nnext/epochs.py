"""Training in epochs: `fit`, with shuffled mini-batches, a choice of loss and
optimizer, validation and early stopping."""
import logging
import math
from dataclasses import dataclass, field

import numpy as np

from . import _checks, losses, optimizers, schedules
from .activations import ACTIVATIONS
from ._loop import diverged, training_run
from .network import check_network
from .progress import reporter
from .training import training_arrays

logger = logging.getLogger("nnext.epochs")


@dataclass
class History:
    """What happened during `fit`.

    Attributes
    ----------
    train_loss : list of float
        Per epoch: the mean loss of the epoch's samples, each computed in the
        forward pass of its batch (before that batch's step), without the L2
        penalty.
    val_loss, val_accuracy : list of float
        Per epoch, on the validation data (empty without it).  The accuracy
        (argmax of the outputs against argmax of the targets; for one output,
        both sides of 0.5) is NaN for networks whose output layer is not a
        softmax or a sigmoid.
    elapsed : list of float
        Seconds since `fit` started, at the end of each epoch.
    learning_rate : list of float
        Per epoch: the learning rate of its first step (see `nnext.schedules`).
    best_epoch : int
        The epoch (from 1) with the lowest monitored loss: the validation
        loss when there is validation data, the training loss otherwise.
    best_loss : float
        That loss.
    stopped_because : str
        ``"patience"`` (the early-stopping rule), ``"epochs"`` (the cap) or
        ``"interrupted"`` (Ctrl-C).
    restored_best : bool
        Whether the network was given back the parameters of ``best_epoch``.
    training_time : float
        Seconds spent in `fit`.
    """

    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    elapsed: list = field(default_factory=list)
    learning_rate: list = field(default_factory=list)
    best_epoch: int = 0
    best_loss: float = math.inf
    stopped_because: str = ""
    restored_best: bool = False
    training_time: float = field(default=0.0, compare=False)

    @property
    def epochs(self):
        """Epochs completed."""
        return len(self.train_loss)


@dataclass(frozen=True)
class EpochInfo:
    """Where `fit` stands after an epoch (what its ``progress`` callable gets)."""

    epoch: int
    train_loss: float
    val_loss: float
    val_accuracy: float
    best_epoch: int
    epochs_left: int
    elapsed: float

    def __str__(self):
        validation = ("" if math.isnan(self.val_loss) else
                      f", validation {self.val_loss:.4g}" + (
                          "" if math.isnan(self.val_accuracy)
                          else f" ({100 * self.val_accuracy:.2f}%)"))
        return (f"epoch {self.epoch}: loss {self.train_loss:.4g}{validation}, best epoch "
                f"{self.best_epoch}, at most {self.epochs_left} more, {self.elapsed:.1f} s")


class EarlyStopping:
    """The early-stopping rule of `fit`.

    An epoch improves when its loss is below the lowest loss so far minus
    ``tol``; training stops after ``patience`` consecutive epochs without
    improvement (never, for ``patience=None``).

    Parameters
    ----------
    patience : int >= 1 or None
    tol : float >= 0

    Attributes
    ----------
    best_loss : float
        The lowest loss so far.
    best_epoch : int
        Its epoch, from 1 (0 before the first).
    epochs_left : int or None
        Epochs still to run if none improves.

    Examples
    --------
    >>> rule = EarlyStopping(patience=2, tol=0.1)
    >>> [rule.update(loss) for loss in (1.0, 0.95, 0.5, 0.45, 0.48)]
    [True, False, True, False, False]
    >>> rule.done, rule.best_epoch, rule.best_loss
    (True, 4, 0.45)
    """

    def __init__(self, patience, tol):
        self.patience = patience
        self.tol = tol
        self.best_loss = math.inf
        self.best_epoch = 0
        self.epochs_left = patience
        self._epoch = 0

    def update(self, loss):
        """Take the loss after an epoch; return whether the epoch improved."""
        self._epoch += 1
        improved = loss < self.best_loss - self.tol
        if self.patience is not None:
            self.epochs_left = self.patience if improved else self.epochs_left - 1
        if loss < self.best_loss:
            self.best_loss, self.best_epoch = loss, self._epoch
        return improved

    @property
    def done(self):
        return self.epochs_left is not None and self.epochs_left <= 0


def fit(network, X, Y, *, loss=None, optimizer="adam", learning_rate=None, batch_size=32,
        epochs=100, l2=0.0, validation_data=None, validation_fraction=None, patience=10,
        tol=1e-4, restore_best=False, shuffle=True, seed=None, num_threads=None,
        progress=False, schedule=None, label_smoothing=0.0, sample_weight=None,
        class_weight=None):
    """Train ``network`` in place, epoch by epoch, on shuffled mini-batches.

    Each epoch walks the training data in a new random order (without
    replacement) in batches of ``batch_size`` (the last one smaller), taking
    one optimizer step per batch, all in the compiled core.  After each epoch
    the training loss and, with validation data, the validation loss and
    accuracy are recorded, and the early-stopping rule (`EarlyStopping`)
    looks at the validation loss (the training loss without validation data).

    Parameters
    ----------
    network : NeuralNetwork
    X : array_like, shape (n_samples, network.shape[0])
    Y : array_like, shape (n_samples, network.shape[-1])
        Targets: one-hot rows for a softmax output layer.
    loss : {"squared_error", "cross_entropy", "poisson"}, optional
        The loss per sample: 1/2 ||a - y||^2; the cross-entropy
        (categorical, -sum y log a, for a softmax output layer; binary per
        output, -sum y log a + (1 - y) log(1 - a), for a sigmoid one), whose
        output delta is a - y (probabilities are clipped below at the dtype's
        epsilon in the loss value); or half the Poisson deviance,
        sum y log(y / a) - y + a, for an exp output layer (counts), whose
        output delta is a - y too.  Default: the cross-entropy for a softmax
        output layer, the Poisson loss for an exp one, the squared error
        otherwise.
    optimizer : {"sgd", "momentum", "adam", "rmsprop"} or optimizer object, optional
        A name (with ``learning_rate``), or `nnext.SGD`, `nnext.Momentum`,
        `nnext.Adam`, `nnext.RMSprop` with all their settings.  Default "adam".
    learning_rate : float > 0, optional
        With an optimizer name: its learning rate (default 0.01 for sgd,
        momentum and rmsprop, 0.001 for adam).
    batch_size : int >= 1, optional
    epochs : int >= 1, optional
        The most epochs to run.
    l2 : float >= 0, optional
        Weight decay: the loss gains l2/2 ||W||^2 over the weights (not the
        biases), so each step's gradient gains l2 W.
    validation_data : tuple (X_val, Y_val), optional
    validation_fraction : float in (0, 1), optional
        Or: hold out this fraction of (X, Y), drawn at random with ``seed``.
    patience : int >= 1 or None, optional
        Stop after this many epochs without improvement (None: run all
        ``epochs``).
    tol : float >= 0, optional
        The improvement of the monitored loss that counts.
    restore_best : bool, optional
        At the end, give the network back the parameters of the epoch with
        the lowest monitored loss.
    shuffle : bool, optional
        Shuffle the training data each epoch (default); False walks it in order.
    seed : None, int or numpy.random.Generator, optional
        Source of the shuffles and the validation split.  Pass a Generator to
        continue its stream across calls.
    num_threads : int >= 1 or None, optional
    progress : bool or callable, optional
        True shows a `ProgressLine` on standard error; a callable gets an
        `EpochInfo` after every epoch.  Epochs are also logged at DEBUG level
        and a summary at INFO on the logger ``nnext.epochs``.
    schedule : None, str or schedule object, optional
        How the learning rate changes from step to step (see
        `nnext.schedules`): None keeps the optimizer's; "cosine",
        "one_cycle", "plateau" or an object such as
        ``nnext.schedules.StepDecay(10, 0.5)``.  The optimizer's learning
        rate is the schedule's base rate.  The rate of each epoch's first
        step is recorded in ``History.learning_rate``.
    label_smoothing : float in [0, 1), optional
        For the cross-entropy of a softmax output layer: train on the
        targets (1 - label_smoothing) y + label_smoothing / K (K outputs)
        instead of y (Szegedy et al., 2016), which keeps the network from
        driving its outputs to 0 and 1.  The training loss is against those
        targets; the validation loss and accuracy against the true ones.
    sample_weight : array_like of shape (n_samples,), optional
        A weight >= 0 per training row: each batch's step follows the
        weighted mean of its rows' gradients, and the training loss is the
        weighted mean (a batch whose weights sum to 0 does not move).
        Validation is not weighted.
    class_weight : dict or "balanced", optional
        Weights per class (the argmax of each target row): a dict {class
        index: weight} (missing classes weigh 1), or "balanced", n_samples /
        (n_classes * the class's count), as scikit-learn's convention;
        multiplied into ``sample_weight`` when both are given.

    Returns
    -------
    History

    Raises
    ------
    TypeError, ValueError
        For a bad argument or bad data; the network is not touched.
    FloatingPointError
        If a step makes a parameter infinite or NaN (the learning rate is too
        large).  The network keeps the parameters of the last finite step.
    RuntimeError
        If the network is being trained in another thread.

    Warns
    -----
    UserWarning
        When Ctrl-C stops training: the network keeps the parameters of the
        last complete step and the history says ``"interrupted"``.

    Notes
    -----
    The optimizer's state (velocities, Adam's moments and step count) lives
    in the network, so a second `fit` with the same kind of optimizer
    continues where the first stopped; `NeuralNetwork.reset_optimizer`
    starts it afresh.

    Examples
    --------
    >>> net = nnext.NeuralNetwork([784, 256, 10], activations=["relu", "softmax"],
    ...                           init="he", dtype="float32", seed=0)
    >>> history = nnext.fit(net, X_train, Y_train, loss="cross_entropy", optimizer="adam",
    ...                     learning_rate=1e-3, batch_size=128, epochs=30,
    ...                     validation_fraction=0.1, patience=5, restore_best=True,
    ...                     seed=0)  # doctest: +SKIP
    """
    check_network(network)
    loss = losses.check(loss, network.activations[-1])
    step = optimizers.optimizer(optimizer, learning_rate)
    batch_size = _checks.positive_int(batch_size, "batch_size")
    epochs = _checks.positive_int(epochs, "epochs")
    l2 = _checks.nonnegative_float(l2, "l2")
    patience = None if patience is None else _checks.positive_int(patience, "patience")
    tol = _checks.nonnegative_float(tol, "tol")
    restore_best = _checks.flag(restore_best, "restore_best")
    shuffle = _checks.flag(shuffle, "shuffle")
    threads = _checks.num_threads(num_threads)
    schedule = schedules.schedule(schedule)
    report = reporter(progress)
    network.engine.check_batch_memory(batch_size)
    rng = _checks.generator(seed)
    X, Y = training_arrays((X, Y), network)
    loss.check_targets(Y, network.activations[-1], "training targets")
    weights = _training_weights(sample_weight, class_weight, Y, network.dtype)
    smoothing = _label_smoothing(label_smoothing, loss, network.activations[-1])
    X, Y, X_val, Y_val, kept = _validation(X, Y, validation_data, validation_fraction, network,
                                           rng)
    if validation_data is not None:
        loss.check_targets(Y_val, network.activations[-1], "validation targets")
    if weights is not None and kept is not None:
        weights = weights[kept]
    if smoothing:
        Y = (1 - smoothing) * Y + np.asarray(smoothing / Y.shape[1], Y.dtype)
    plan = _Plan(loss, step, batch_size, epochs, l2, restore_best, shuffle, threads, schedule,
                 weights)
    return _run(network, X, Y, X_val, Y_val, plan, EarlyStopping(patience, tol), rng, report)


def _training_weights(sample_weight, class_weight, Y, dtype):
    """The weight of each training row (None when all weigh 1), checked."""
    weights = None
    if sample_weight is not None:
        weights = _checks.vector(sample_weight, len(Y), "sample_weight", dtype)
        if (weights < 0).any():
            raise ValueError(f"sample_weight must be >= 0; sample_weight["
                             f"{int(np.flatnonzero(weights < 0)[0])}] is "
                             f"{weights[weights < 0][0]}")
    if class_weight is not None:
        classes = Y.argmax(axis=1)
        if isinstance(class_weight, str) and class_weight == "balanced":
            counts = np.bincount(classes, minlength=Y.shape[1])
            per_class = len(Y) / (np.count_nonzero(counts) * np.maximum(counts, 1))
        elif isinstance(class_weight, dict):
            per_class = np.ones(Y.shape[1])
            for label, weight in class_weight.items():
                if not _checks.is_int(label) or not 0 <= label < Y.shape[1]:
                    raise ValueError(f"class_weight's classes must be output indices 0 to "
                                     f"{Y.shape[1] - 1}; got {label!r}")
                per_class[label] = _checks.nonnegative_float(weight, f"class_weight[{label}]")
        else:
            raise TypeError(f"class_weight must be a dict or 'balanced'; got {class_weight!r}")
        by_row = per_class[classes].astype(dtype)
        weights = by_row if weights is None else weights * by_row
    if weights is not None and not weights.sum() > 0:
        raise ValueError("sample_weight and class_weight leave every training row a weight of 0")
    return weights


def _label_smoothing(value, loss, output_activation):
    value = _checks.nonnegative_float(value, "label_smoothing")
    if value >= 1:
        raise ValueError(f"label_smoothing must be a number in [0, 1); got {value!r}")
    if value and (loss.name != "cross_entropy" or output_activation != "softmax"):
        raise ValueError("label_smoothing is for the cross-entropy of a softmax output layer; "
                         f"got loss={loss.name!r} with a {output_activation!r} output layer")
    return value


@dataclass(frozen=True)
class _Plan:
    """The checked settings of a `fit`."""

    loss: losses.Loss
    optimizer: optimizers.SGD
    batch_size: int
    epochs: int
    l2: float
    restore_best: bool
    shuffle: bool
    threads: int
    schedule: schedules.Constant
    sample_weight: np.ndarray = None


def _run(network, X, Y, X_val, Y_val, plan, rule, rng, report):
    """The epochs of `fit`, on checked arrays."""
    engine, loss = network.engine, plan.loss
    history = History()
    best_params = None
    steps_per_epoch = -(-len(X) // plan.batch_size)
    plan.schedule.start(plan.optimizer.learning_rate, steps_per_epoch, plan.epochs)
    with training_run(network, report, logger, "epoch") as run:
        for epoch in range(1, plan.epochs + 1):
            rows = rng.permutation(len(X)) if plan.shuffle else np.arange(len(X))
            rates = plan.schedule.rates((epoch - 1) * steps_per_epoch, steps_per_epoch)
            stats, failed = engine.train_epoch(
                X, Y, rows.astype(np.intp), plan.batch_size, loss.name,
                plan.optimizer.settings(l2=plan.l2), plan.threads, plan.sample_weight, rates)
            if failed is not None:
                raise diverged(f"in batch {failed + 1} of epoch {epoch}", "learning_rate",
                               float(rates[failed]))
            history.learning_rate.append(float(rates[0]))
            history.train_loss.append(loss.scale * stats[:, 0].sum() / stats[:, 1].sum())
            if X_val is not None:
                history.val_loss.append(
                    loss.scale * engine.loss_sum(X_val, Y_val, loss.name, plan.threads)
                    / len(X_val))
                history.val_accuracy.append(_accuracy(network, X_val, Y_val, plan.threads))
            rule.update((history.val_loss or history.train_loss)[-1])
            plan.schedule.end_epoch((history.val_loss or history.train_loss)[-1])
            if plan.restore_best and rule.best_epoch == epoch:
                best_params = network.parameters.copy()
            history.elapsed.append(run.elapsed())
            run.done(EpochInfo(epoch, history.train_loss[-1],
                               (history.val_loss or [math.nan])[-1],
                               (history.val_accuracy or [math.nan])[-1], rule.best_epoch,
                               _epochs_left(rule, epoch, plan.epochs), history.elapsed[-1]))
            if rule.done:
                run.stopped_because = "patience"
                break
        else:
            run.stopped_because = "epochs"
    history.stopped_because, history.training_time = run.stopped_because, run.training_time
    history.best_epoch, history.best_loss = rule.best_epoch, rule.best_loss
    if best_params is not None and history.stopped_because != "interrupted":
        network.parameters[...] = best_params
        history.restored_best = True
    logger.info("trained %d epochs in %.1f s: best epoch %d (loss %.6g), stopped: %s",
                history.epochs, history.training_time, history.best_epoch, history.best_loss,
                history.stopped_because)
    return history


def _validation(X, Y, validation_data, fraction, network, rng):
    """The training and validation arrays (the latter None without validation),
    and the rows of X kept for training when a fraction was held out (else None)."""
    if validation_data is not None and fraction is not None:
        raise ValueError("give validation_data or validation_fraction, not both")
    if validation_data is not None:
        if not (isinstance(validation_data, tuple) and len(validation_data) == 2):
            raise TypeError(f"validation_data must be a tuple (X_val, Y_val); got "
                            f"{type(validation_data).__name__}")
        X_val = _checks.matrix(validation_data[0], network.shape[0], "validation inputs",
                               network.dtype, "sample")
        Y_val = _checks.matrix(validation_data[1], network.shape[-1], "validation targets",
                               network.dtype, "sample")
        if len(X_val) != len(Y_val) or len(X_val) == 0:
            raise ValueError(f"validation_data must hold as many inputs as targets, at least "
                             f"one; got {len(X_val)} and {len(Y_val)}")
        return X, Y, X_val, Y_val, None
    if fraction is None:
        return X, Y, None, None, None
    fraction = _checks.nonnegative_float(fraction, "validation_fraction")
    if not 0 < fraction < 1:
        raise ValueError(f"validation_fraction must be a number in (0, 1); got {fraction!r}")
    n_val = max(1, round(fraction * len(X)))
    if n_val >= len(X):
        raise ValueError(f"validation_fraction={fraction} of {len(X)} samples leaves none "
                         f"to train on")
    order = rng.permutation(len(X))
    val, train = np.sort(order[:n_val]), np.sort(order[n_val:])
    return X[train], Y[train], X[val], Y[val], train


def _accuracy(network, X, Y, threads):
    if not ACTIVATIONS[network.activations[-1]].probabilities:
        return math.nan
    outputs = network.feedforward(X, num_threads=threads)
    if Y.shape[1] == 1:
        return float(np.mean((outputs[:, 0] > 0.5) == (Y[:, 0] > 0.5)))
    return float(np.mean(outputs.argmax(axis=1) == Y.argmax(axis=1)))


def _epochs_left(rule, epoch, epochs):
    left = epochs - epoch
    return left if rule.epochs_left is None else min(left, rule.epochs_left)

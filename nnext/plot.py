"""Pictures of what a network learned: learning curves, a confusion matrix, the
misclassified inputs and the hidden units' weights.

Needs matplotlib, the ``plot`` extra: ``pip install "nnext[plot]"``.  Each
function draws on the matplotlib ``Axes`` it is given (or on a new figure's)
and returns it, so that pictures can be combined and restyled; none calls
``plt.show()``.

Examples
--------
>>> import matplotlib.pyplot as plt                                  # doctest: +SKIP
>>> fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))         # doctest: +SKIP
>>> nnext.plot.learning_curve(history, ax=left)                      # doctest: +SKIP
>>> nnext.plot.confusion_matrix(labels, predicted, ax=right)         # doctest: +SKIP
>>> fig.savefig("training.png")                                      # doctest: +SKIP
"""
import math

import numpy as np

try:
    import matplotlib
except ImportError:
    raise ImportError('nnext.plot needs matplotlib, the "plot" extra: '
                      'pip install "nnext[plot]"') from None

from .epochs import History
from .network import check_network
from .training import TrainingResult

# Values spanning more than this ratio are drawn on a logarithmic scale.
_LOG_SCALE_SPAN = 10.0
# Space between the pictures of a grid, as a fraction of a picture's side.
_GAP = 0.15


def learning_curve(result, *, ax=None):
    """Draw how training went.

    For a `TrainingResult` of `Trainer.train`: the cost after every round
    (round 0 is the cost before training), the lowest cost so far, the round
    that reached it and the round where training stopped.  For a `History` of `fit`: the training
    loss and, with validation data, the validation loss per epoch, the
    validation accuracy on a second y axis, the best epoch, and when it
    changed (a schedule), the learning rate on a third.

    Parameters
    ----------
    result : TrainingResult or History
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The axes of the costs or losses (the accuracy's axes is
        ``ax.accuracy_axes`` and the learning rate's ``ax.rate_axes`` when
        drawn, else None).
    """
    ax = _axes(ax)
    if isinstance(result, TrainingResult):
        if not result.costs:
            raise ValueError("result holds no rounds to draw")
        rounds = np.arange(len(result.costs) + 1)
        costs = np.array([result.initial_cost] + list(result.costs))
        best_round = int(np.argmin(costs))
        ax.plot(rounds, costs, linewidth=0.8, alpha=0.6, label="cost")
        ax.plot(rounds, np.minimum.accumulate(costs), color="black", linewidth=1.5,
                drawstyle="steps-post", label="lowest so far")
        ax.axvline(best_round, color="tab:green", linestyle="--",
                   label=f"lowest: round {best_round}")
        ax.axvline(result.rounds, color="grey", linestyle=":",
                   label=f"stopped: {result.stopped_because}")
        ax.set_xlabel("round")
        ax.set_ylabel("cost")
        values = costs
    elif isinstance(result, History):
        if not result.train_loss:
            raise ValueError("history holds no epochs to draw")
        epochs = np.arange(1, result.epochs + 1)
        ax.plot(epochs, result.train_loss, label="training loss")
        values = np.array(result.train_loss)
        if result.val_loss:
            ax.plot(epochs, result.val_loss, label="validation loss")
            values = np.concatenate([values, result.val_loss])
        if result.best_epoch:
            ax.axvline(result.best_epoch, color="grey", linestyle="--",
                       label=f"best epoch ({result.best_epoch})")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        accuracy = np.array(result.val_accuracy, dtype=float)
        ax.accuracy_axes = ax.rate_axes = None
        if accuracy.size and not np.isnan(accuracy).all():
            twin = ax.twinx()
            twin.plot(epochs, 100 * accuracy, color="tab:green", label="validation accuracy")
            twin.set_ylabel("validation accuracy (%)")
            ax.accuracy_axes = twin
        if len(set(result.learning_rate)) > 1:
            ax.rate_axes = _rate_axes(ax, epochs, result.learning_rate,
                                      outward=60 if ax.accuracy_axes is not None else 0)
    else:
        raise TypeError(f"result must be a TrainingResult or a History; got "
                        f"{type(result).__name__}")
    positive = values[values > 0]
    if positive.size and positive.max() / positive.min() > _LOG_SCALE_SPAN:
        ax.set_yscale("log")
    handles, names = ax.get_legend_handles_labels()
    for twin in (getattr(ax, "accuracy_axes", None), getattr(ax, "rate_axes", None)):
        if twin is not None:
            more_handles, more_names = twin.get_legend_handles_labels()
            handles, names = handles + more_handles, names + more_names
    ax.legend(handles, names, loc="center right", fontsize="small")
    return ax


def confusion_matrix(y_true, y_pred, *, labels=None, normalize=False, ax=None):
    """Draw how often each true class was predicted as each class.

    Parameters
    ----------
    y_true, y_pred : array_like
        Class labels, or 2-D arrays of one-hot targets or scores (one row per
        sample: their argmax is taken).
    labels : sequence, optional
        The classes, in order (default: every label seen, sorted).
    normalize : bool, optional
        Show each row as fractions of the true class's samples.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        Rows are true classes, columns predicted ones; each cell shows its
        count (or fraction).  The matrix itself is ``ax.confusion``.
    """
    y_true, y_pred = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    _same_length(y_true, y_pred)
    classes = np.unique(np.concatenate([y_true, y_pred])) if labels is None else np.asarray(
        labels)
    index = {label: i for i, label in enumerate(classes.tolist())}
    unknown = set(y_true.tolist() + y_pred.tolist()) - set(index)
    if unknown:
        raise ValueError(f"labels must hold every label in y_true and y_pred; missing "
                         f"{sorted(unknown)[:5]}")
    counts = np.zeros((len(classes), len(classes)), dtype=np.int64)
    np.add.at(counts, ([index[v] for v in y_true.tolist()],
                       [index[v] for v in y_pred.tolist()]), 1)
    matrix = counts.astype(float)
    if normalize:
        totals = matrix.sum(axis=1, keepdims=True)
        matrix = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
    ax = _axes(ax)
    ax.imshow(matrix, cmap="Blues")
    middle = matrix.max() / 2 if matrix.size else 0
    for (row, column), value in np.ndenumerate(matrix):
        text = f"{value:.2f}" if normalize else str(counts[row, column])
        ax.text(column, row, text, ha="center", va="center", fontsize="small",
                color="white" if value > middle else "black")
    names = [str(label) for label in classes.tolist()]
    ax.set_xticks(range(len(classes)), names)
    ax.set_yticks(range(len(classes)), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.confusion = matrix if normalize else counts
    return ax


def mistakes(images, y_true, y_pred, *, shape=(28, 28), n=36, ax=None):
    """Draw the first ``n`` misclassified inputs in a grid, each titled
    "true -> predicted".

    Parameters
    ----------
    images : array_like, shape (n_samples, height * width) or (n_samples, height, width)
    y_true, y_pred : array_like
        Class labels (or 2-D scores, whose argmax is taken), one per image.
    shape : tuple (height, width), optional
    n : int >= 1, optional
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        One image per mistake drawn, in ``ax.images``.
    """
    y_true, y_pred = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    _same_length(y_true, y_pred)
    pictures = _pictures(images, shape, "images")
    if len(pictures) != len(y_true):
        raise ValueError(f"images and labels must be as many; got {len(pictures)} images and "
                         f"{len(y_true)} labels")
    _check_count(n)
    wrong = np.flatnonzero(y_true != y_pred)
    shown = wrong[:n]
    ax = _axes(ax)
    _grid(ax, pictures[shown], [f"{y_true[i]} -> {y_pred[i]}" for i in shown], cmap="gray_r")
    ax.set_title(f"{len(wrong)} of {len(y_true)} misclassified"
                 + (f" (the first {len(shown)})" if len(shown) < len(wrong) else ""))
    return ax


def hidden_units(network, *, layer=0, shape=(28, 28), n=None, order="index", ax=None):
    """Draw each unit's incoming weights as an image, on one colour scale
    centred on 0 (red positive, blue negative) that spans the 99th percentile
    of the weights' magnitudes (the few beyond it take the extreme colours).

    Parameters
    ----------
    network : NeuralNetwork
    layer : int, optional
        Which weights: 0 for those from the inputs to the first hidden layer.
    shape : tuple (height, width), optional
        The shape of the layer's inputs (the images, for layer 0).
    n : int >= 1, optional
        Draw only the first ``n`` units in ``order`` (default: all).
    order : {"index", "outgoing"}, optional
        The units in the layer's order, or from the largest norm of outgoing
        weights (those to the next layer: the units it listens to most) to
        the smallest.  "outgoing" needs a layer after this one.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        One image per unit drawn, in ``ax.images``.
    """
    check_network(network)
    layers = len(network.weights)
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) \
            or not 0 <= layer < layers:
        raise ValueError(f"layer must be an integer from 0 to {layers - 1}; got {layer!r}")
    if n is not None:
        _check_count(n)
    if order not in ("index", "outgoing"):
        raise ValueError(f"order must be 'index' or 'outgoing'; got {order!r}")
    if order == "outgoing" and layer + 1 >= layers:
        raise ValueError(f"order='outgoing' needs a layer after layer {layer + 1}; "
                         f"the network's last is layer {layers}")
    weights = network.weights[layer]
    pictures = _pictures(weights, shape, f"layer {layer}'s weights")
    units = np.arange(len(pictures))
    if order == "outgoing":
        outgoing = np.linalg.norm(network.weights[layer + 1], axis=0)
        units = np.argsort(-outgoing, kind="stable")
    units = units[:n]
    limit = float(np.percentile(np.abs(weights), 99)) or 1.0
    ax = _axes(ax)
    _grid(ax, pictures[units], None, cmap="RdBu_r", vmin=-limit, vmax=limit)
    if len(units) == len(pictures):
        which = f"the {len(units)} units of layer {layer + 1}"
    elif order == "outgoing":
        which = (f"the {len(units)} of {len(pictures)} units of layer {layer + 1} "
                 f"with the largest outgoing weights")
    else:
        which = f"the first {len(units)} of {len(pictures)} units of layer {layer + 1}"
    ax.set_title(f"{which}:\ntheir weights from layer {layer}")
    ax.figure.colorbar(ax.images[0], ax=ax, shrink=0.8)
    return ax


# --- helpers -----------------------------------------------------------------------

def _rate_axes(ax, epochs, rates, outward):
    """The learning rate of each epoch's first step, dotted, on an axis of its
    own to the right (outward points beyond the accuracy's, if any)."""
    twin = ax.twinx()
    twin.spines["right"].set_position(("outward", outward))
    twin.plot(epochs, rates, color="grey", linestyle=":", label="learning rate")
    twin.set_ylabel("learning rate")
    if max(rates) / min(rates) > _LOG_SCALE_SPAN:
        twin.set_yscale("log")
    return twin


def _axes(ax):
    if ax is not None:
        return ax
    from matplotlib import pyplot

    return pyplot.subplots()[1]


def _labels(values, name):
    array = np.asarray(values)
    if array.ndim == 2:
        array = array.argmax(axis=1)
    if array.ndim != 1 or len(array) == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of labels or a 2-D array of "
                         f"scores; got shape {np.shape(values)}")
    return array


def _check_count(n):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer; got {n!r}")


def _same_length(y_true, y_pred):
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true and y_pred must be as long; got {len(y_true)} and "
                         f"{len(y_pred)}")


def _pictures(values, shape, name):
    """``values`` as a (count, height, width) array of pictures of ``shape``."""
    if (not isinstance(shape, tuple) or len(shape) != 2
            or not all(isinstance(side, (int, np.integer)) and side > 0 for side in shape)):
        raise ValueError(f"shape must be a tuple (height, width) of positive integers; "
                         f"got {shape!r}")
    array = np.asarray(values, dtype=float)
    pixels = math.prod(shape)
    per_picture = math.prod(array.shape[1:]) if array.ndim >= 2 else None
    if per_picture != pixels:
        raise ValueError(f"{name} must hold {shape[0]} x {shape[1]} = {pixels} values per "
                         f"picture; got shape {array.shape}")
    return array.reshape(len(array), *shape)


def _grid(ax, pictures, titles, **imshow):
    """Draw the pictures side by side in a near-square grid on one axes."""
    count = len(pictures)
    ax.set_axis_off()
    if count == 0:
        ax.text(0.5, 0.5, "none", ha="center", va="center", transform=ax.transAxes)
        return
    columns = math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    height, width = pictures.shape[1:]
    step_x, step_y = width * (1 + _GAP), height * (1 + 4 * _GAP if titles else 1 + _GAP)
    for i, picture in enumerate(pictures):
        left, top = (i % columns) * step_x, (i // columns) * step_y
        ax.imshow(picture, extent=(left, left + width, top + height, top),
                  interpolation="nearest", **imshow)
        if titles:
            ax.text(left + width / 2, top - 0.2 * height * _GAP, titles[i], ha="center",
                    va="bottom", fontsize="medium" if columns <= 6 else "small")
    ax.set_xlim(-0.5 * width * _GAP, columns * step_x)
    ax.set_ylim(rows * step_y, -step_y * (_GAP if not titles else 4 * _GAP))
    ax.set_aspect("equal")

"""nnext.plot on small known inputs: what each picture holds, and its refusals."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
from matplotlib import pyplot  # noqa: E402

import nnext  # noqa: E402
from nnext import plot  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    pyplot.close("all")


def assert_png(ax, path):
    ax.figure.savefig(path)
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 1000


def test_learning_curve_of_the_originals_rounds(tmp_path):
    result = nnext.TrainingResult(rounds=4, initial_cost=10.0, costs=[8.0, 9.0, 5.0, 6.0],
                                  best_cost=5.0, stopped_because="no improvement")
    ax = plot.learning_curve(result)
    cost, lowest = ax.lines[0], ax.lines[1]
    np.testing.assert_array_equal(cost.get_xdata(), [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(cost.get_ydata(), [10, 8, 9, 5, 6])
    np.testing.assert_array_equal(lowest.get_ydata(), [10, 8, 8, 5, 5])
    assert ax.lines[2].get_xdata()[0] == 3                 # the lowest cost's round
    assert ax.lines[3].get_xdata()[0] == 4 and ax.get_yscale() == "linear"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "cost", "lowest so far", "lowest: round 3", "stopped: no improvement"]
    assert_png(ax, tmp_path / "curve.png")


def test_learning_curve_takes_a_log_scale_from_a_tenfold_span():
    # The original recipe's first cost (~15,000) is 20 to 30 times its last:
    # on a linear scale it would squash every later round into one line.
    costs = [1200.0, 900.0, 800.0, 750.0]
    result = nnext.TrainingResult(rounds=4, initial_cost=15000.0, costs=costs,
                                  best_cost=750.0, stopped_because="max_rounds")
    assert plot.learning_curve(result).get_yscale() == "log"
    result = nnext.TrainingResult(rounds=4, initial_cost=7000.0, costs=costs,
                                  best_cost=750.0, stopped_because="max_rounds")
    assert plot.learning_curve(result).get_yscale() == "linear"


def test_learning_curve_of_epochs_with_validation():
    history = nnext.History(train_loss=[2.0, 0.5, 0.01], val_loss=[2.1, 0.6, 0.7],
                            val_accuracy=[0.5, 0.9, 0.85], best_epoch=2, best_loss=0.6)
    ax = plot.learning_curve(history)
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [2.0, 0.5, 0.01])
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), [2.1, 0.6, 0.7])
    assert ax.lines[2].get_xdata()[0] == 2                 # the best epoch
    np.testing.assert_allclose(ax.accuracy_axes.lines[0].get_ydata(), [50, 90, 85])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "training loss", "validation loss", "best epoch (2)", "validation accuracy"]
    assert ax.get_yscale() == "log"                        # 0.01 to 2.1 spans decades


def test_learning_curve_draws_a_scheduled_learning_rate_on_its_own_axis(tmp_path):
    history = nnext.History(train_loss=[2.0, 1.0, 0.5], val_loss=[2.1, 1.1, 0.6],
                            val_accuracy=[0.5, 0.8, 0.9], learning_rate=[1e-1, 1e-2, 1e-3],
                            best_epoch=3, best_loss=0.6)
    ax = plot.learning_curve(history)
    np.testing.assert_allclose(ax.rate_axes.lines[0].get_ydata(), [1e-1, 1e-2, 1e-3])
    assert ax.rate_axes.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()][-1] == "learning rate"
    assert_png(ax, tmp_path / "rates.png")
    flat = nnext.History(train_loss=[1.0, 0.9], learning_rate=[0.1, 0.1], best_epoch=2,
                         best_loss=0.9)
    assert plot.learning_curve(flat).rate_axes is None


def test_learning_curve_without_validation_has_no_accuracy_axes():
    ax = plot.learning_curve(nnext.History(train_loss=[1.0, 0.9], best_epoch=2, best_loss=0.9))
    assert len(ax.lines) == 2 and ax.accuracy_axes is None


def test_learning_curve_draws_on_a_given_axes():
    fig, (left, right) = pyplot.subplots(1, 2)
    history = nnext.History(train_loss=[1.0, 0.5], best_epoch=2, best_loss=0.5)
    assert plot.learning_curve(history, ax=right) is right and not left.lines


def test_confusion_matrix_counts_and_labels(tmp_path):
    y_true = [0, 0, 1, 1, 1, 2, 2, 2, 2]
    y_pred = [0, 1, 1, 1, 0, 2, 2, 1, 2]
    ax = plot.confusion_matrix(y_true, y_pred)
    expected = [[1, 1, 0], [1, 2, 0], [0, 1, 3]]
    np.testing.assert_array_equal(ax.confusion, expected)
    cells = [t.get_text() for t in ax.texts]
    assert cells == [str(v) for row in expected for v in row]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2"]
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"
    assert_png(ax, tmp_path / "confusion.png")


def test_confusion_matrix_normalised_and_from_scores():
    scores = np.eye(3)[[0, 1, 1, 2]]
    ax = plot.confusion_matrix(np.eye(3)[[0, 0, 1, 2]], scores, normalize=True,
                               labels=[0, 1, 2])
    np.testing.assert_allclose(ax.confusion, [[0.5, 0.5, 0], [0, 1, 0], [0, 0, 1]])
    assert ax.texts[0].get_text() == "0.50"


def test_mistakes_grid_shows_one_image_per_mistake_up_to_n(tmp_path):
    images = np.arange(10 * 12, dtype=float).reshape(10, 12)
    y_true = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    y_pred = np.array([0, 7, 2, 3, 1, 5, 6, 0, 8, 4])
    ax = plot.mistakes(images, y_true, y_pred, shape=(3, 4))
    assert len(ax.images) == 4
    assert [t.get_text() for t in ax.texts] == ["1 -> 7", "4 -> 1", "7 -> 0", "9 -> 4"]
    np.testing.assert_array_equal(ax.images[0].get_array(), images[1].reshape(3, 4))
    assert ax.get_title() == "4 of 10 misclassified"
    ax = plot.mistakes(images, y_true, y_pred, shape=(3, 4), n=2)
    assert len(ax.images) == 2 and ax.get_title() == "4 of 10 misclassified (the first 2)"
    assert_png(ax, tmp_path / "mistakes.png")


def test_no_mistakes_draws_none():
    ax = plot.mistakes(np.zeros((3, 4)), [1, 2, 3], [1, 2, 3], shape=(2, 2))
    assert len(ax.images) == 0 and ax.get_title() == "0 of 3 misclassified"


def test_hidden_units_one_image_per_unit_on_a_scale_centred_on_zero(tmp_path):
    network = nnext.NeuralNetwork([12, 5, 2], seed=0)
    network.weights[0][2, 3] = -3.0      # an outlier does not set the scale
    limit = np.percentile(np.abs(network.weights[0]), 99)
    ax = plot.hidden_units(network, shape=(3, 4))
    assert len(ax.images) == 5 and limit < 3
    for unit, image in enumerate(ax.images):
        np.testing.assert_array_equal(image.get_array(), network.weights[0][unit].reshape(3, 4))
        assert image.get_clim() == (-limit, limit)
    ax = plot.hidden_units(network, layer=1, shape=(1, 5))
    assert len(ax.images) == 2
    ax = plot.hidden_units(network, shape=(3, 4), n=3)
    assert len(ax.images) == 3 and ax.get_title().startswith("the first 3 of 5 units")
    assert_png(ax, tmp_path / "units.png")


def test_hidden_units_by_outgoing_weights_show_the_units_that_matter_first():
    network = nnext.NeuralNetwork([12, 5, 2], seed=0)
    network.weights[1][:] = [[0.1, 3.0, 0.0, -2.0, 0.5], [0.1, 0.0, 0.0, 0.0, -0.5]]
    ax = plot.hidden_units(network, shape=(3, 4), n=3, order="outgoing")
    for image, unit in zip(ax.images, [1, 3, 4]):
        np.testing.assert_array_equal(image.get_array(), network.weights[0][unit].reshape(3, 4))
    assert ax.get_title().startswith("the 3 of 5 units of layer 1 with the largest outgoing")
    with pytest.raises(ValueError, match="order='outgoing' needs a layer after layer 2"):
        plot.hidden_units(network, layer=1, shape=(1, 5), order="outgoing")
    with pytest.raises(ValueError, match="order must be 'index' or 'outgoing'; got 'size'"):
        plot.hidden_units(network, shape=(3, 4), order="size")


@pytest.mark.parametrize("call, error, message", [
    (lambda: plot.confusion_matrix([1, 2], [1]), ValueError,
     "y_true and y_pred must be as long; got 2 and 1"),
    (lambda: plot.confusion_matrix([], []), ValueError, "y_true must be a non-empty"),
    (lambda: plot.confusion_matrix([1, 2], [1, 3], labels=[1, 2]), ValueError,
     r"labels must hold every label .* missing \[3\]"),
    (lambda: plot.mistakes(np.zeros((3, 12)), [1, 2], [1, 2], shape=(3, 4)), ValueError,
     "images and labels must be as many; got 3 images and 2 labels"),
    (lambda: plot.mistakes(np.zeros((2, 12)), [1, 2], [1, 2], shape=(3, 5)), ValueError,
     r"images must hold 3 x 5 = 15 values per picture; got shape \(2, 12\)"),
    (lambda: plot.mistakes(np.zeros((2, 12)), [1, 2], [1, 2], shape=(3, 4), n=0), ValueError,
     "n must be a positive integer; got 0"),
    (lambda: plot.mistakes(np.zeros((2, 12)), [1, 2], [1, 2], shape=12), ValueError,
     "shape must be a tuple"),
    (lambda: plot.hidden_units(nnext.NeuralNetwork([12, 5, 2]), layer=2, shape=(3, 4)),
     ValueError, "layer must be an integer from 0 to 1; got 2"),
    (lambda: plot.hidden_units(nnext.NeuralNetwork([12, 5, 2]), shape=(28, 28)), ValueError,
     r"layer 0's weights must hold 28 x 28 = 784 values per picture; got shape \(5, 12\)"),
    (lambda: plot.hidden_units("network"), TypeError, "network must be a NeuralNetwork"),
    (lambda: plot.hidden_units(nnext.NeuralNetwork([12, 5, 2]), shape=(3, 4), n=-1), ValueError,
     "n must be a positive integer; got -1"),
    (lambda: plot.learning_curve(nnext.TrainingResult()), ValueError, "no rounds to draw"),
    (lambda: plot.learning_curve([1, 2]), TypeError, "result must be a TrainingResult or a History"),
])
def test_bad_input_is_refused(call, error, message):
    with pytest.raises(error, match=message):
        call()

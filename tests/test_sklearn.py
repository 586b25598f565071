"""nnext.sklearn: scikit-learn's estimator checks, fit for fit against
scikit-learn's own MLPs, pickling, pipelines and searches, and bad input."""
import copy
import pickle
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn import neural_network                                     # noqa: E402
from sklearn.base import clone                                         # noqa: E402
from sklearn.datasets import load_iris, make_friedman1                 # noqa: E402
from sklearn.exceptions import ConvergenceWarning, NotFittedError      # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score      # noqa: E402
from sklearn.pipeline import Pipeline                                  # noqa: E402
from sklearn.preprocessing import StandardScaler                       # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks     # noqa: E402

import nnext                                                           # noqa: E402
from nnext.sklearn import MLPClassifier, MLPRegressor                  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


# --- scikit-learn's own test suite for estimators ------------------------------------

@parametrize_with_checks([MLPClassifier(), MLPRegressor()])
def test_passes_scikit_learns_estimator_checks(estimator, check):
    # No check is expected to fail, not even the sample-weight equivalence
    # that scikit-learn's own MLPs pass only with adjusted parameters.
    check(estimator)


# --- fit for fit against scikit-learn -------------------------------------------------

def blobs(n=120, n_features=6, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 2, (n_classes, n_features))
    y = rng.integers(0, n_classes, n)
    return centres[y] + rng.normal(size=(n, n_features)), y


def targets(kind, n=120, seed=0):
    """X and y of each kind of target scikit-learn's MLPs handle."""
    X, y = blobs(n, seed=seed)
    rng = np.random.default_rng(seed + 1)
    return X, {"multiclass": y, "binary": np.where(y == 1, "yes", "no"),
               "multilabel": (rng.random((n, 3)) < 0.4).astype(int) | np.eye(3, dtype=int)[y],
               "regression": X @ rng.normal(size=6) + 0.1 * rng.normal(size=n),
               "multioutput": X[:, :2] ** 2 + X[:, 2:4],
               "counts": rng.poisson(np.exp(0.3 * X[:, 0]))}[kind]


def both(kind, **params):
    """nnext's estimator and scikit-learn's, with the same parameters."""
    ours = MLPClassifier if kind in ("multiclass", "binary", "multilabel") else MLPRegressor
    theirs = getattr(neural_network, ours.__name__)
    if kind == "counts":
        params["loss"] = "poisson"
    return ours(**params), theirs(**params)


def assert_same_fit(ours, theirs, rtol=1e-7, atol=1e-9):
    for name in ("n_iter_", "n_layers_", "n_outputs_", "out_activation_", "n_features_in_"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=rtol)
    for mine, expected in zip(ours.coefs_ + ours.intercepts_,
                              theirs.coefs_ + theirs.intercepts_):
        assert mine.shape == expected.shape
        np.testing.assert_allclose(mine, expected, rtol=rtol, atol=atol)
    if hasattr(theirs, "loss_curve_"):
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=rtol)


@pytest.mark.parametrize("kind", ["multiclass", "binary", "multilabel", "regression",
                                  "multioutput", "counts"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_stochastic_fits_follow_scikit_learn(kind, solver):
    X, y = targets(kind)
    params = dict(solver=solver, hidden_layer_sizes=(7, 5), activation="tanh", alpha=0.01,
                  batch_size=32, max_iter=6, random_state=3, learning_rate_init=0.01)
    ours, theirs = both(kind, **params)
    ours.fit(X, y)
    theirs.fit(X, y)
    assert_same_fit(ours, theirs)
    if hasattr(theirs, "predict_proba"):
        np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
        np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-7)
        np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    else:
        np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("kind", ["multiclass", "binary", "multilabel", "regression", "counts"])
def test_lbfgs_fits_follow_scikit_learn(kind):
    X, y = targets(kind)
    ours, theirs = both(kind, solver="lbfgs", hidden_layer_sizes=(6,), activation="logistic",
                        max_iter=15, random_state=0)
    ours.fit(X, y)
    theirs.fit(X, y)
    # The same objective and gradient; only the order of the sums differs.
    assert_same_fit(ours, theirs, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("schedule", ["invscaling", "adaptive"])
def test_learning_rate_schedules_follow_scikit_learn(schedule):
    X, y = targets("multiclass")
    ours, theirs = both("multiclass", solver="sgd", learning_rate=schedule, max_iter=40,
                        learning_rate_init=0.05, n_iter_no_change=2, tol=0.05,
                        hidden_layer_sizes=(5,), random_state=1, nesterovs_momentum=False)
    ours.fit(X, y)
    theirs.fit(X, y)
    assert_same_fit(ours, theirs)
    if schedule == "adaptive":
        assert ours._learning_rate < 0.05          # it was divided on a plateau
        assert ours._learning_rate == pytest.approx(theirs._optimizer.learning_rate)


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_early_stopping_follows_scikit_learn(kind):
    X, y = targets(kind, n=200)
    ours, theirs = both(kind, early_stopping=True, validation_fraction=0.2, max_iter=60,
                        n_iter_no_change=3, hidden_layer_sizes=(8,), random_state=4,
                        learning_rate_init=0.01)
    ours.fit(X, y)
    theirs.fit(X, y)
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_, rtol=1e-9)
    assert ours.best_validation_score_ == pytest.approx(theirs.best_validation_score_)
    assert ours.best_loss_ is None
    assert_same_fit(ours, theirs)      # the best epoch's parameters, restored


def test_sample_weights_follow_scikit_learn():
    X, y = targets("multiclass")
    weight = np.random.default_rng(0).integers(0, 4, len(X)).astype(float)
    for solver in ("adam", "lbfgs"):
        ours, theirs = both("multiclass", solver=solver, hidden_layer_sizes=(6,), max_iter=8,
                            batch_size=50, alpha=0.1, random_state=2)
        ours.fit(X, y, sample_weight=weight)
        theirs.fit(X, y, sample_weight=weight)
        assert_same_fit(ours, theirs, rtol=1e-6, atol=1e-8)


def test_lbfgs_minimises_the_loss_it_differentiates_for_several_outputs():
    # scikit-learn's lbfgs reports and minimises the squared error's mean over
    # the outputs but uses the gradient of its sum; nnext minimises the sum and
    # reports scikit-learn's mean, so the reported loss is theirs at our optimum.
    X, y = targets("multioutput")
    reg = MLPRegressor(solver="lbfgs", hidden_layer_sizes=(5,), max_iter=500,
                       random_state=0).fit(X, y)
    prediction = reg.predict(X)
    penalty = 0.5 * reg.alpha * sum((c ** 2).sum() for c in reg.coefs_) / len(X)
    assert reg.loss_ == pytest.approx(0.5 * ((y - prediction) ** 2).mean() + penalty, rel=1e-9)
    assert reg.score(X, y) > 0.9


def test_float32_fits_in_float32_and_close_to_float64():
    X, y = targets("multiclass")
    wide = MLPClassifier(random_state=0, max_iter=30).fit(X, y)
    narrow = MLPClassifier(random_state=0, max_iter=30, dtype=np.float32).fit(X, y)
    assert narrow.network_.dtype == np.float32 and narrow.coefs_[0].dtype == np.float32
    assert narrow.predict_proba(X).dtype == np.float32
    np.testing.assert_allclose(narrow.predict_proba(X), wide.predict_proba(X), atol=1e-3)
    assert narrow.loss_ == pytest.approx(wide.loss_, rel=1e-3)


# --- the fitted estimator ---------------------------------------------------------------

def test_attributes_are_live_views_of_the_network():
    X, y = targets("multiclass")
    clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(X, y)
    assert [c.shape for c in clf.coefs_] == [(6, 4), (4, 3)]
    clf.coefs_[1][...] = 0
    clf.intercepts_[1][...] = [0, 5, 0]
    assert (clf.predict(X) == 1).all()
    clf.coefs_ = [np.ones((6, 4)), np.zeros((4, 3))]
    assert (clf.network_.weights[0] == 1).all()
    with pytest.raises(ValueError, match=r"coefs_\[1\] must be a finite array of shape \(4, 3\)"):
        clf.coefs_ = [np.ones((6, 4)), np.zeros((3, 4))]
    with pytest.raises(NotFittedError):
        MLPClassifier().coefs_


@pytest.mark.parametrize("fitted", [False, True])
def test_estimators_pickle_copy_and_clone(fitted):
    X, y = targets("binary")
    clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0, solver="sgd")
    if fitted:
        clf.fit(X, y)
    for twin in (pickle.loads(pickle.dumps(clf)), copy.deepcopy(clf)):
        assert twin.get_params() == clf.get_params()
        if fitted:
            np.testing.assert_array_equal(twin.predict_proba(X), clf.predict_proba(X))
            assert twin.network_ is not clf.network_
            # The optimizer state comes along: a further epoch is the same on both.
            twin.partial_fit(X, y)
            clf_copy = copy.deepcopy(clf).partial_fit(X, y)
            np.testing.assert_array_equal(twin.coefs_[0], clf_copy.coefs_[0])
    fresh = clone(clf)
    assert not hasattr(fresh, "network_") and fresh.get_params() == clf.get_params()


def test_network_saves_with_nnext(tmp_path):
    X, y = targets("multiclass")
    clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0).fit(X, y)
    nnext.save(clf.network_, tmp_path / "clf.npz")
    network = nnext.load(tmp_path / "clf.npz")
    np.testing.assert_array_equal(network.feedforward(X), clf.predict_proba(X))
    assert network.activations == ("relu", "softmax")


def test_partial_fit_over_chunks_equals_scikit_learns():
    X, y = targets("multiclass", n=300)
    ours, theirs = both("multiclass", hidden_layer_sizes=(6,), random_state=0)
    for chunk in range(3):
        part = slice(100 * chunk, 100 * (chunk + 1))
        ours.partial_fit(X[part], y[part], classes=[0, 1, 2])
        theirs.partial_fit(X[part], y[part], classes=[0, 1, 2])
    assert_same_fit(ours, theirs)
    assert ours.t_ == 300 and ours.n_iter_ == 1


def test_partial_fit_refusals():
    X, y = targets("multiclass")
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        MLPClassifier().partial_fit(X, y)
    clf = MLPClassifier(max_iter=5).partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="`y` has classes not in `self.classes_`"):
        clf.partial_fit(X, y + 1)
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        MLPRegressor(early_stopping=True).partial_fit(X, y)


def test_warm_start_continues_and_refuses_other_shapes():
    X, y = targets("regression")
    reg = MLPRegressor(hidden_layer_sizes=(5,), max_iter=5, random_state=0, warm_start=True)
    first = reg.fit(X, y).coefs_[0].copy()
    reg.fit(X, y)
    assert not np.array_equal(reg.coefs_[0], first)
    cold = MLPRegressor(hidden_layer_sizes=(5,), max_iter=5, random_state=0).fit(X, y)
    np.testing.assert_array_equal(cold.coefs_[0], first)
    with pytest.raises(ValueError, match="X has 4 features, but MLPRegressor is expecting 6"):
        reg.fit(X[:, :4], y)
    reg.set_params(hidden_layer_sizes=(3,))
    with pytest.raises(ValueError, match=r"has layers \[6, 5, 1\]; .* need \[6, 3, 1\]"):
        reg.fit(X, y)


# --- in pipelines, searches and cross-validation ----------------------------------------

def test_pipeline_search_and_cross_validation():
    X, y = load_iris(return_X_y=True)
    pipe = Pipeline([("scale", StandardScaler()),
                     ("mlp", MLPClassifier(max_iter=300, random_state=0))])
    assert cross_val_score(pipe, X, y, cv=3).mean() > 0.9
    grid = {"mlp__hidden_layer_sizes": [(2,), (20,)], "mlp__alpha": [1e-4, 1.0]}
    search = GridSearchCV(pipe, grid, cv=3, n_jobs=2).fit(X, y)
    serial = GridSearchCV(pipe, grid, cv=3, n_jobs=1).fit(X, y)
    assert search.best_params_ == serial.best_params_
    np.testing.assert_allclose(search.cv_results_["mean_test_score"],
                               serial.cv_results_["mean_test_score"])
    assert search.score(X, y) > 0.9


def test_dataframes_give_feature_names():
    pd = pytest.importorskip("pandas")
    X, y = make_friedman1(n_samples=100, random_state=0)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(10)])
    reg = MLPRegressor(max_iter=20, random_state=0).fit(frame, pd.Series(y))
    np.testing.assert_array_equal(reg.feature_names_in_, frame.columns)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        np.testing.assert_array_equal(reg.predict(frame), reg.predict(X))
    with pytest.raises(ValueError, match="feature names should match"):
        reg.predict(frame.rename(columns={"x0": "other"}))


# --- bad input ------------------------------------------------------------------------

@pytest.mark.parametrize("params, message", [
    (dict(hidden_layer_sizes=(3, 0)), r"hidden_layer_sizes must be > 0, got \[3, 0\]"),
    (dict(activation="softmax"), "The 'activation' parameter must be a str among"),
    (dict(solver="newton"), "The 'solver' parameter"),
    (dict(learning_rate_init=0.0), r"'learning_rate_init' parameter must be a float in the range \(0, inf\)"),
    (dict(momentum=1.5), r"'momentum' parameter must be a float in the range \[0, 1\]"),
    (dict(beta_2=1.0), r"'beta_2' parameter must be a float in the range \[0, 1\)"),
    (dict(validation_fraction=1.0), "'validation_fraction' parameter"),
    (dict(max_iter=0), r"'max_iter' parameter must be an int in the range \[1, inf\)"),
    (dict(batch_size=0), "'batch_size' parameter"),
    (dict(alpha=np.nan), "'alpha' parameter"),
    (dict(shuffle="yes"), "'shuffle' parameter of MLPClassifier must be an instance of 'bool'"),
    (dict(dtype=np.int32), "dtype"),
    (dict(num_threads=0), "num_threads"),
])
def test_bad_parameters_are_refused_at_fit(params, message):
    X, y = targets("multiclass")
    clf = MLPClassifier(**params)          # scikit-learn's rule: checked at fit, not here
    with pytest.raises((ValueError, TypeError), match=message):
        clf.fit(X, y)
    assert not hasattr(clf, "network_")


def test_bad_data_is_refused():
    X, y = targets("regression")
    reg = MLPRegressor(max_iter=5)
    with pytest.raises(NotFittedError):
        reg.predict(X)
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        reg.fit(bad, y)
    reg.fit(X, y)
    with pytest.raises(ValueError, match="NaN"):
        reg.predict(bad)
    with pytest.raises(ValueError, match="X has 5 features, but MLPRegressor is expecting 6"):
        reg.predict(X[:, :5])
    with pytest.raises(ValueError, match="sample_weight must be finite and non-negative"):
        reg.fit(X, y, sample_weight=-np.ones(len(X)))
    with pytest.raises(ValueError, match="loss='poisson' needs targets y >= 0"):
        MLPRegressor(loss="poisson").fit(X, y)
    with pytest.raises(ValueError, match="Invalid parameter 'learning_rate_ini'"):
        reg.set_params(learning_rate_ini=0.1)


def test_diverging_fit_says_so_and_keeps_finite_parameters():
    X, y = targets("regression")
    reg = MLPRegressor(solver="sgd", learning_rate_init=10.0, momentum=0.0, max_iter=50,
                       random_state=0)
    with pytest.raises(ValueError, match="Solver produced non-finite parameter weights"):
        reg.fit(X * 1e3, y * 1e3)
    assert np.isfinite(reg.network_._params).all()


def test_lbfgs_warns_when_it_runs_out_of_iterations():
    X, y = targets("multiclass")
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge after 2 iteration"):
        MLPClassifier(solver="lbfgs", max_iter=2).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ConvergenceWarning, match=r"Maximum iterations \(2\) reached"):
            MLPClassifier(max_iter=2).fit(X, y)


def test_verbose_prints_scikit_learns_lines(capsys):
    X, y = targets("multiclass")
    ours, theirs = both("multiclass", max_iter=2, verbose=True, random_state=0,
                        early_stopping=True, hidden_layer_sizes=(4,))
    ours.fit(X, y)
    mine = capsys.readouterr().out
    theirs.fit(X, y)
    assert mine == capsys.readouterr().out
    assert mine.startswith("Iteration 1, loss = ") and "Validation score: " in mine
    MLPClassifier(solver="lbfgs", max_iter=3, verbose=True).fit(X, y)
    assert capsys.readouterr().out.startswith("Iteration 1, loss = ")


@pytest.mark.parametrize("sizes", [(), 7, (np.int64(5), 3), [4]])
def test_every_form_of_hidden_layer_sizes_follows_scikit_learn(sizes):
    X, y = load_iris(return_X_y=True)
    ours, theirs = both("multiclass", hidden_layer_sizes=sizes, random_state=0, max_iter=20)
    assert_same_fit(ours.fit(X, y), theirs.fit(X, y))
    assert ours.get_params()["hidden_layer_sizes"] is sizes        # left as given

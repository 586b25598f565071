"""nnext.sklearn: scikit-learn's estimator checks, fit for fit against
scikit-learn's own MLPs, pickling, pipelines and searches, and bad input."""
import copy
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

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
        assert ours._optimizer.learning_rate < 0.05          # it was divided on a plateau
        assert ours._optimizer.learning_rate == pytest.approx(theirs._optimizer.learning_rate)


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
    assert narrow.predict_proba(X.astype(np.float32)).dtype == np.float32
    assert narrow.predict_proba(X).dtype == np.float64      # NumPy's promotion, as scikit-learn
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
    clf.coefs_ = [np.ones((6, 4)), np.zeros((4, 3))]       # a new list: used from then on
    assert (clf.predict(X) == 1).all()
    assert (clf.network_.weights[0] == 1).all()
    assert np.shares_memory(clf.coefs_[0], clf.network_.weights[0])
    clf.coefs_[1] = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"coefs_\[1\] must be a finite array of shape \(4, 3\)"):
        clf.predict(X)
    with pytest.raises(AttributeError):
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
    (dict(activation="softmax"), "The 'activation' parameter of MLPClassifier must be a str among"),
    (dict(solver="newton"), "The 'solver' parameter"),
    (dict(learning_rate_init=0.0), r"'learning_rate_init' parameter of MLPClassifier must be a float in the range \(0.0, inf\)"),
    (dict(momentum=1.5), r"'momentum' parameter of MLPClassifier must be a float in the range \[0.0, 1.0\]"),
    (dict(beta_2=1.0), r"'beta_2' parameter of MLPClassifier must be a float in the range \[0.0, 1.0\)"),
    (dict(validation_fraction=1.0), "'validation_fraction' parameter"),
    (dict(max_iter=0), r"'max_iter' parameter of MLPClassifier must be an int in the range \[1, inf\)"),
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
    assert np.isfinite(reg.network_.parameters).all()


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


# --- scikit-learn's behaviour everywhere ------------------------------------------------

def test_scikit_learns_own_mlp_tests_pass_against_nnext():
    # scikit-learn's sklearn/neural_network/tests/test_mlp.py, importing nnext's
    # estimators instead of its own (tests/sklearn_mlp_suite.py).
    suite = Path(__file__).parent / "sklearn_mlp_suite.py"
    result = subprocess.run([sys.executable, str(suite), "-q", "-p", "no:randomly"],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout


@pytest.mark.parametrize("ours", [MLPClassifier, MLPRegressor])
def test_parameters_and_defaults_are_scikit_learns(ours):
    theirs = getattr(neural_network, ours.__name__)
    their_params = theirs().get_params()
    our_params = ours().get_params()
    assert set(our_params) - set(their_params) == {"dtype", "num_threads"}
    assert {name: our_params[name] for name in their_params} == their_params
    for name, constraints in theirs._parameter_constraints.items():
        assert ours._parameter_constraints[name] is constraints, name


def outcome(estimator, X, y):
    """The type of the exception fit raises, or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            estimator.fit(X, y)
    except Exception as error:      # noqa: BLE001 - compared with scikit-learn's
        return type(error)
    return None


@pytest.mark.parametrize("ours", [MLPClassifier, MLPRegressor])
def test_every_constraint_accepts_and_refuses_what_scikit_learns_does(ours):
    from sklearn.utils._param_validation import (InvalidParameterError, generate_invalid_param_val,
                                                 generate_valid_param, make_constraint)
    from sklearn.utils._param_validation import StrOptions
    theirs = getattr(neural_network, ours.__name__)
    X, y = targets("multiclass" if ours is MLPClassifier else "counts", n=40)
    base = dict(hidden_layer_sizes=(3,), max_iter=3, random_state=0)
    checked = 0
    for name, constraints in theirs._parameter_constraints.items():
        for constraint in map(make_constraint, constraints):
            values = ([generate_valid_param(constraint)] if not isinstance(constraint, StrOptions)
                      else sorted(constraint.options))
            try:
                invalid = generate_invalid_param_val(constraint)
            except NotImplementedError:
                invalid = None
            if invalid is not None and not any(make_constraint(c).is_satisfied_by(invalid)
                                               for c in constraints):
                values.append(invalid)
                assert outcome(ours(**{**base, name: invalid}), X, y) is InvalidParameterError
            for value in values:
                params = {**base, name: value}
                assert outcome(ours(**params), X, y) == outcome(theirs(**params), X, y), \
                    (name, value)
                checked += 1
    assert checked > 30


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("kind", ["multiclass", "regression"])
def test_float32_data_fit_float32_parameters_everywhere(kind, solver):
    X, y = targets(kind, n=60)
    ours, theirs = both(kind, solver=solver, hidden_layer_sizes=(4,), max_iter=5,
                        random_state=0)
    X32 = X.astype(np.float32)
    for estimator in (ours, theirs):
        estimator.fit(X32, y)
    fitted = np.float64 if solver == "lbfgs" else np.float32     # SciPy's lbfgs: float64
    for mine, expected in zip(ours.coefs_ + ours.intercepts_,
                              theirs.coefs_ + theirs.intercepts_):
        assert mine.dtype == expected.dtype == fitted
    for method in ("predict", "predict_proba"):
        if hasattr(theirs, method):
            for data in (X32, X, X.astype(int)):
                assert (getattr(ours, method)(data).dtype
                        == getattr(theirs, method)(data).dtype), (method, data.dtype)
    if solver != "lbfgs":
        ours.partial_fit(X, y)          # float64 data: the parameters stay float32
        assert ours.coefs_[0].dtype == np.float32
    forced = ours.set_params(dtype=np.float64).fit(X32, y)
    assert forced.coefs_[0].dtype == np.float64
    assert ours.set_params(dtype=None).fit(X.astype(int), y).coefs_[0].dtype == np.float64


def test_a_diverging_fit_with_early_stopping_goes_on_as_scikit_learns():
    # (Adam's steps are bounded by its learning rate: it does not diverge so.)
    X, y = load_iris(return_X_y=True)
    params = dict(hidden_layer_sizes=(20,), activation="identity", solver="sgd",
                  learning_rate_init=1.0, max_iter=12,
                  early_stopping=True, n_iter_no_change=10, random_state=0)
    ours, theirs = MLPRegressor(**params), neural_network.MLPRegressor(**params)
    for estimator in (ours, theirs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            with pytest.warns(ConvergenceWarning):
                estimator.fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ == 12
    assert np.isnan(theirs.validation_scores_[-1]) and np.isnan(ours.validation_scores_[-1])
    first_nan = int(np.argmax(np.isnan(theirs.validation_scores_)))
    assert int(np.argmax(np.isnan(ours.validation_scores_))) == first_nan
    np.testing.assert_allclose(ours.validation_scores_[:first_nan],
                               theirs.validation_scores_[:first_nan], rtol=1e-6)
    assert ours.best_validation_score_ == pytest.approx(theirs.best_validation_score_)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-6)


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_a_diverging_fit_without_early_stopping_raises_scikit_learns_error(solver):
    rng = np.random.RandomState(0)
    X = np.finfo(np.float64).max * rng.uniform(size=(10, 2))
    y = rng.standard_normal(size=10)
    message = ("^Solver produced non-finite parameter weights. The input data may contain "
               "large values and need to be preprocessed.")
    for estimator in (MLPRegressor(solver=solver, random_state=0),
                      neural_network.MLPRegressor(solver=solver, random_state=0)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if solver != "lbfgs":
                with pytest.raises(ValueError, match=message):
                    estimator.fit(X, y)
            else:   # L-BFGS-B stops at the first non-finite loss, at finite parameters
                estimator.fit(X, y)
                assert estimator.n_iter_ == 0 and not np.isfinite(estimator.loss_)
                assert all(np.isfinite(coef).all() for coef in estimator.coefs_)


def test_the_stratified_split_names_the_classes_as_scikit_learn():
    X, y = [[1, 2], [2, 3], [3, 4], [4, 5]], [0, 0, 0, 1]
    messages = []
    for estimator in (MLPClassifier(early_stopping=True),
                      neural_network.MLPClassifier(early_stopping=True)):
        with pytest.raises(ValueError) as caught:
            estimator.fit(X, y)
        messages.append(str(caught.value))
    assert messages[0] == messages[1] and "['True']" in messages[0]


@pytest.mark.parametrize("schedule, expected", [("constant", 0.1),
                                                ("invscaling", 0.1 / 9 ** 0.25)])
def test_the_learning_rate_reached_is_kept_as_scikit_learn_keeps_it(schedule, expected):
    X, y = [[3, 2], [1, 6], [5, 6], [-2, -4]], [1, 1, 1, 0]
    clf = MLPClassifier(solver="sgd", hidden_layer_sizes=4, learning_rate=schedule, max_iter=1,
                        power_t=0.25, warm_start=True, learning_rate_init=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y).fit(X, y)
    assert clf._optimizer.learning_rate == expected


def test_coefs_assigned_to_an_estimator_never_fitted_are_trained_from():
    X, y = np.array([[0.6, 0.8, 0.7]]), np.array([0])
    clf = MLPClassifier(solver="sgd", learning_rate_init=0.1, alpha=0.1, activation="logistic",
                        max_iter=1, hidden_layer_sizes=2, momentum=0)
    clf.coefs_ = [np.array([[0.1, 0.2], [0.3, 0.1], [0.5, 0]]), np.array([[0.1], [0.2]])]
    clf.intercepts_ = [np.array([0.1, 0.1]), np.array([1.0])]
    clf.n_features_in_, clf.out_activation_ = 3, "logistic"
    clf.partial_fit(X, y, classes=[0, 1])
    # One step of the worked example in scikit-learn's test_fit, by hand in NumPy.
    h = 1 / (1 + np.exp(-(X @ [[0.1, 0.2], [0.3, 0.1], [0.5, 0]] + 0.1)))
    o = 1 / (1 + np.exp(-(h @ [[0.1], [0.2]] + 1.0)))
    delta_out = o - 0                               # cross-entropy with a sigmoid output
    delta_hidden = delta_out @ [[0.1, 0.2]] * h * (1 - h)
    w1, w2 = np.array([[0.1, 0.2], [0.3, 0.1], [0.5, 0]]), np.array([[0.1], [0.2]])
    expected_w2 = w2 - 0.1 * (h.T @ delta_out + 0.1 * w2)
    expected_w1 = w1 - 0.1 * (X.T @ delta_hidden + 0.1 * w1)
    np.testing.assert_allclose(clf.coefs_[1], expected_w2, rtol=1e-12)
    np.testing.assert_allclose(clf.coefs_[0], expected_w1, rtol=1e-12)
    assert clf.n_iter_ == 1 and clf.n_layers_ == 3


def test_negative_poisson_targets_are_refused_where_scikit_learn_reports_nan_losses():
    # The one behaviour nnext does not copy: bad data gets an error, not NaN.
    X, y = targets("regression", n=40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = neural_network.MLPRegressor(loss="poisson", max_iter=5, random_state=0).fit(X, y)
    assert np.isnan(theirs.loss_)
    with pytest.raises(ValueError, match="loss='poisson' needs targets y >= 0"):
        MLPRegressor(loss="poisson", max_iter=5, random_state=0).fit(X, y)

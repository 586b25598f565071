"""scikit-learn estimators trained by nnext's compiled core.

`MLPClassifier` and `MLPRegressor` take the constructor parameters of
scikit-learn's estimators of the same names, with the same defaults and
meaning, and give the same fitted attributes and methods, so that changing
one import moves a pipeline, a grid search or a cross-validation onto nnext.
Two keywords are nnext's own: ``dtype`` (float64 or float32, the type of all
computation) and ``num_threads``.

The forward and backward passes, the sgd (momentum, Nesterov) and adam steps
and the weight decay run in the core, an epoch per call; lbfgs drives the
core's loss and gradient through `scipy.optimize.minimize`.  The steps are
scikit-learn's, written out: the initial weights are drawn as scikit-learn
draws them, the batches come in its order, the gradient of a batch is
(sum_s w_s g_s + alpha W) / sum_s w_s, Adam adds epsilon to sqrt(v) as it
does, and the stopping rule, learning-rate schedules and early stopping are
its.  Given the same ``random_state``, a fit follows scikit-learn's to
rounding (float64); it differs where scikit-learn's own definitions disagree
with each other: lbfgs here minimises the loss whose gradient it uses (half
the squared error summed over the outputs, of which scikit-learn's reported
loss takes the mean), and a batch whose sample weights sum to 0 takes no step.

This module needs scikit-learn (``pip install "nnext[sklearn]"``); ``import
nnext`` does not import it.
"""
try:
    import scipy.optimize
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import LabelBinarizer
    from sklearn.utils import check_random_state
    from sklearn.utils.metaestimators import available_if
    from sklearn.utils.multiclass import type_of_target, unique_labels
    from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data
    from threadpoolctl import ThreadpoolController
except ImportError as error:     # pragma: no cover - tested in a subprocess
    raise ImportError('nnext.sklearn needs scikit-learn, the "sklearn" extra: '
                      'pip install "nnext[sklearn]"') from error

import numbers
import warnings

import numpy as np

from . import _checks, _layout
from .network import NeuralNetwork

__all__ = ["MLPClassifier", "MLPRegressor"]

#: scikit-learn's activation names, and nnext's.
ACTIVATIONS = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu",
               "softmax": "softmax", "exp": "exp"}
SOLVERS = ("lbfgs", "sgd", "adam")
LEARNING_RATES = ("constant", "invscaling", "adaptive")
#: Rows of the data set per call of the core's gradient in lbfgs (bounds its memory).
LBFGS_CHUNK = 4096


class _BaseMLP(BaseEstimator):
    """What the classifier and the regressor share: parameters, the solvers,
    the stopping rule, the fitted attributes."""

    def __init__(self, **params):
        # scikit-learn reads the parameters from each estimator's own __init__
        # signature, and wants them stored under their names, unchanged.
        for name, value in params.items():
            setattr(self, name, value)

    # --- the fitted parameters, as scikit-learn lays them out ---------------------

    @property
    def coefs_(self):
        """Weight matrices, ``coefs_[i]`` of shape (n_units[i], n_units[i + 1]):
        live (transposed) views of ``network_``'s weights."""
        check_is_fitted(self, "network_")
        return [weights.T for weights in self.network_.weights]

    @coefs_.setter
    def coefs_(self, values):
        self._assign(values, self.coefs_, "coefs_")

    @property
    def intercepts_(self):
        """Bias vectors, ``intercepts_[i]`` of shape (n_units[i + 1],): live views."""
        check_is_fitted(self, "network_")
        return list(self.network_.biases)

    @intercepts_.setter
    def intercepts_(self, values):
        self._assign(values, self.intercepts_, "intercepts_")

    @staticmethod
    def _assign(values, targets, name):
        values = list(values)
        if len(values) != len(targets):
            raise ValueError(f"{name} must hold {len(targets)} arrays; got {len(values)}")
        for i, (value, target) in enumerate(zip(values, targets)):
            value = np.asarray(value)
            if value.shape != target.shape or not np.isfinite(value).all():
                raise ValueError(f"{name}[{i}] must be a finite array of shape {target.shape}; "
                                 f"got shape {value.shape}")
        for value, target in zip(values, targets):
            target[...] = value

    # --- fitting -------------------------------------------------------------------

    def fit(self, X, y, sample_weight=None):
        """Fit the model to the data X and the targets y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data (a sparse matrix is made dense).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The targets: class labels (classifier) or real numbers (regressor).
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights of the samples.

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _fit(self, X, y, sample_weight, incremental):
        hidden = self._check_params()
        first_pass = not hasattr(self, "network_") or (not self.warm_start and not incremental)
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        X = _dense(X, self.dtype)
        y = np.ascontiguousarray(y.reshape(len(y), -1), dtype=X.dtype)
        sample_weight = _sample_weight(sample_weight, len(X), X.dtype)
        units = [X.shape[1], *hidden, y.shape[1]]
        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(y, units)
        elif list(self.network_.shape) != units:
            raise ValueError(f"the network fitted before has layers {list(self.network_.shape)}; "
                             f"these data and hidden_layer_sizes need {units}: refit without "
                             f"warm_start")
        threads = _checks.num_threads(self.num_threads)
        # BLAS threads that spin after NumPy's or SciPy's small products would
        # take the cores from the core's threads: one BLAS thread meanwhile.
        with self.network_._exclusive_training(), _one_blas_thread():
            if self.solver == "lbfgs":
                self._fit_lbfgs(X, y, sample_weight, threads)
            else:
                self._fit_stochastic(X, y, sample_weight, incremental, threads)
        if not np.isfinite(self.network_._params).all():
            raise ValueError("Solver produced non-finite parameter weights. The input data may "
                             "contain large values and need to be preprocessed.")
        return self

    def _initialize(self, y, units):
        """A new network with scikit-learn's initial weights (Glorot uniform,
        drawn from the random state in its order), and fresh statistics."""
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = y.shape[1]
        self.n_layers_ = len(units)
        self.out_activation_ = self._output_activation()
        factor = 2.0 if self.activation == "logistic" else 6.0
        network = NeuralNetwork(units, activations=[ACTIVATIONS[self.activation]] *
                                (len(units) - 2) + [ACTIVATIONS[self.out_activation_]],
                                dtype=self.dtype)
        for weights, biases, fan_in, fan_out in zip(network.weights, network.biases, units,
                                                    units[1:]):
            bound = np.sqrt(factor / (fan_in + fan_out))
            weights[...] = self._random_state.uniform(-bound, bound, (fan_in, fan_out)).T
            biases[...] = self._random_state.uniform(-bound, bound, fan_out)
        self.network_ = network
        self._best_params = network._params.copy()
        if self.solver == "lbfgs":
            for name in ("loss_curve_", "best_loss_", "validation_scores_",
                         "best_validation_score_"):
                self.__dict__.pop(name, None)
            return
        self.loss_curve_ = []
        self._no_improvement_count = 0
        if self.early_stopping:
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.best_loss_ = np.inf
            self.validation_scores_ = None
            self.best_validation_score_ = None

    def _loss_name(self):
        return {"softmax": "cross_entropy", "logistic": "cross_entropy",
                "exp": "poisson"}.get(self.out_activation_, "squared_error")

    def _loss_scale(self):
        """scikit-learn's loss per unit of the core's summed loss: its squared
        loss is half the mean over the outputs."""
        return 0.5 / self.n_outputs_ if self._loss_name() == "squared_error" else 1.0

    # --- sgd and adam ----------------------------------------------------------------

    def _fit_stochastic(self, X, y, sample_weight, incremental, threads):
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        if not incremental or not hasattr(self, "_learning_rate"):
            self.network_.reset_optimizer()
            self._learning_rate = float(self.learning_rate_init)
        X, y, sample_weight, X_val, y_val, weight_val = self._split(X, y, sample_weight)
        n_samples = len(X)
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is "
                              "going to be clipped")
            batch_size = int(np.clip(self.batch_size, 1, n_samples))
        batch_rows = np.diff(np.r_[np.arange(0, n_samples, batch_size), n_samples])
        rows = np.arange(n_samples, dtype=np.intp)
        loss = self._loss_name()
        self.n_iter_ = 0
        try:
            for _ in range(self.max_iter):
                if self.shuffle:
                    rows = rows[_permutation(n_samples, self._random_state)]
                stats, failed = self.network_._train_epoch(
                    X, y, rows, batch_size, loss, self._optimizer_settings(), threads,
                    sample_weight)
                if failed is not None:
                    raise ValueError(
                        f"Solver produced non-finite parameter weights (in batch {failed + 1} "
                        f"of epoch {self.n_iter_ + 1}). The input data may contain large values "
                        f"and need to be preprocessed, or learning_rate_init may be too large. "
                        f"The network keeps the parameters of the last finite step.")
                self.n_iter_ += 1
                self.loss_ = self._epoch_loss(stats, batch_rows, n_samples)
                self.t_ += n_samples
                self.loss_curve_.append(self.loss_)
                if self.verbose:
                    print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")
                self._update_no_improvement_count(X_val, y_val, weight_val, threads)
                if self.learning_rate == "invscaling" and self.solver == "sgd":
                    self._learning_rate = self.learning_rate_init / (self.t_ + 1) ** self.power_t
                if self._no_improvement_count > self.n_iter_no_change:
                    if self._stop():
                        break
                    self._no_improvement_count = 0
                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                                  f"reached and the optimization hasn't converged yet.",
                                  ConvergenceWarning)
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.")
        if self.early_stopping:
            self.network_._params[...] = self._best_params

    def _split(self, X, y, sample_weight):
        """The training part and (with early_stopping) the validation part:
        scikit-learn's split, drawn from the random state."""
        if not self.early_stopping:
            return X, y, sample_weight, None, None, None
        stratify = y if is_classifier(self) and self.n_outputs_ == 1 else None
        arrays = (X, y) if sample_weight is None else (X, y, sample_weight)
        parts = train_test_split(*arrays, random_state=self._random_state,
                                 test_size=self.validation_fraction, stratify=stratify)
        X, X_val, y, y_val = (np.ascontiguousarray(part) for part in parts[:4])
        sample_weight, weight_val = (None, None) if sample_weight is None else parts[4:]
        if len(X_val) < 2:
            raise ValueError("The validation set is too small. Increase 'validation_fraction' "
                             "or the size of your dataset.")
        if is_classifier(self):
            y_val = self._label_binarizer.inverse_transform(y_val)
        elif self.n_outputs_ == 1:
            y_val = y_val.ravel()
        return X, y, sample_weight, X_val, y_val, weight_val

    def _optimizer_settings(self):
        decay = dict(l2=float(self.alpha), l2_over_weight=True)
        if self.solver == "adam":
            return dict(name="adam", learning_rate=float(self.learning_rate_init),
                        beta1=float(self.beta_1), beta2=float(self.beta_2),
                        epsilon=float(self.epsilon), epsilon_hat=True, **decay)
        return dict(name="momentum", learning_rate=self._learning_rate,
                    momentum=float(self.momentum), nesterov=bool(self.nesterovs_momentum),
                    **decay)

    def _epoch_loss(self, stats, batch_rows, n_samples):
        """scikit-learn's epoch loss: each batch's (loss + penalty) / its weight,
        weighted by its number of rows."""
        losses, weights, squares = stats.T
        per_batch = np.divide(self._loss_scale() * losses + 0.5 * self.alpha * squares, weights,
                              out=np.zeros_like(losses), where=weights > 0)
        return float(per_batch @ batch_rows / n_samples)

    def _update_no_improvement_count(self, X_val, y_val, weight_val, threads):
        if self.early_stopping:
            score = self._validation_score(X_val, y_val, weight_val, threads)
            self.validation_scores_.append(score)
            if self.verbose:
                print(f"Validation score: {score:f}")
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_params = self.network_._params.copy()
        else:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if self.loss_curve_[-1] < self.best_loss_:
                self.best_loss_ = self.loss_curve_[-1]

    def _validation_score(self, X, y, sample_weight, threads):
        predicted = self._predict_outputs(self.network_.feedforward(X, num_threads=threads))
        if predicted.dtype.kind == "f" and not np.isfinite(predicted).all():
            return np.nan
        score = accuracy_score if is_classifier(self) else r2_score
        return float(score(y, predicted, sample_weight=sample_weight))

    def _stop(self):
        """Whether the epochs without improvement end the fit; the adaptive
        schedule first divides the learning rate by 5, down to 1e-6."""
        what = "Validation score" if self.early_stopping else "Training loss"
        message = (f"{what} did not improve more than tol={self.tol:f} for "
                   f"{self.n_iter_no_change} consecutive epochs.")
        if self.solver == "adam" or self.learning_rate != "adaptive":
            stop, how = True, " Stopping."
        elif self._learning_rate <= 1e-6:
            stop, how = True, " Learning rate too small. Stopping."
        else:
            self._learning_rate /= 5.0
            stop, how = False, f" Setting learning rate to {self._learning_rate:f}"
        if self.verbose:
            print(message + how)
        return stop

    # --- lbfgs -----------------------------------------------------------------------

    def _fit_lbfgs(self, X, y, sample_weight, threads):
        network = self.network_
        loss = self._loss_name()
        scale = 0.5 if loss == "squared_error" else 1.0
        total_weight = len(X) if sample_weight is None else float(sample_weight.sum())
        if total_weight <= 0:
            raise ValueError("sample_weight must not be 0 for every sample")
        chunks = [np.arange(start, min(start + LBFGS_CHUNK, len(X)), dtype=np.intp)
                  for start in range(0, len(X), LBFGS_CHUNK)]
        work = network._gradient_workspace(len(chunks[0]))
        is_weight = np.zeros(len(network._params), bool)
        for weights in _layout.split(is_weight, network.shape)[0]:
            weights[...] = True
        parts = {}

        def loss_and_gradient(params):
            network._params[...] = params
            gradient = np.zeros(len(params))
            data_loss = 0.0
            for rows in chunks:
                grad, total = network._gradient(X, y, rows, loss, threads, sample_weight, work)
                chunk_weight = len(rows) if sample_weight is None else sample_weight[rows].sum()
                gradient += chunk_weight * grad
                data_loss += total
            weights = network._params[is_weight].astype(np.float64)
            squares = float(weights @ weights)
            gradient /= total_weight
            gradient[is_weight] += self.alpha * weights / total_weight
            parts["data"], parts["penalty"] = data_loss / total_weight, squares / total_weight
            return scale * parts["data"] + 0.5 * self.alpha * parts["penalty"], gradient

        def report(intermediate_result):
            print(f"Iteration {report.iteration}, loss = {intermediate_result.fun:.8f}")
            report.iteration += 1
        report.iteration = 1

        result = scipy.optimize.minimize(
            loss_and_gradient, network._params.astype(np.float64), method="L-BFGS-B", jac=True,
            callback=report if self.verbose else None,
            options={"maxfun": self.max_fun, "maxiter": self.max_iter, "gtol": self.tol})
        if result.status == 1:
            warnings.warn(f"lbfgs failed to converge after {result.nit} iteration(s) "
                          f"(status=1): {result.message}. Increase the number of iterations "
                          f"(max_iter) or scale the data.", ConvergenceWarning)
        self.n_iter_ = min(result.nit, self.max_iter)
        loss_and_gradient(result.x)
        self.loss_ = self._loss_scale() * parts["data"] + 0.5 * self.alpha * parts["penalty"]

    # --- predicting ------------------------------------------------------------------

    def _outputs(self, X):
        """The network's outputs for X, checked as scikit-learn checks it."""
        check_is_fitted(self, "network_")
        X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False,
                          dtype=(np.float64, np.float32))
        return self.network_.feedforward(_dense(X, self.network_.dtype),
                                         num_threads=_checks.num_threads(self.num_threads))

    def _check_params(self):
        """Check the parameters (at fit time, as scikit-learn does) and return
        the hidden layer sizes as a list."""
        sizes = self.hidden_layer_sizes
        sizes = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
        if not all(_checks.is_int(size) and size > 0 for size in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        _choice(self.activation, ("identity", "logistic", "tanh", "relu"), "activation")
        _choice(self.solver, SOLVERS, "solver")
        _choice(self.learning_rate, LEARNING_RATES, "learning_rate")
        self._check_loss()
        _number(self.alpha, "alpha", low=0)
        _number(self.learning_rate_init, "learning_rate_init", low=0, low_open=True)
        _number(self.power_t, "power_t", low=0)
        _number(self.tol, "tol", low=0)
        _number(self.momentum, "momentum", low=0, high=1)
        _number(self.validation_fraction, "validation_fraction", low=0, high=1, low_open=True,
                high_open=True)
        _number(self.beta_1, "beta_1", low=0, high=1, high_open=True)
        _number(self.beta_2, "beta_2", low=0, high=1, high_open=True)
        _number(self.epsilon, "epsilon", low=0, low_open=True)
        for name in ("max_iter", "n_iter_no_change", "max_fun"):
            _integer(getattr(self, name), name, low=1)
        if self.batch_size != "auto":
            _integer(self.batch_size, "batch_size", low=1)
        for name in ("shuffle", "warm_start", "nesterovs_momentum", "early_stopping"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(f"The '{name}' parameter of {type(self).__name__} must be an "
                                 f"instance of 'bool'. Got {getattr(self, name)!r} instead.")
        _checks.dtype(self.dtype)
        if self.num_threads is not None:
            _checks.positive_int(self.num_threads, "num_threads")
        return sizes

    def _check_solver(self):
        if self.solver not in ("sgd", "adam"):
            raise AttributeError(f"partial_fit is only available for stochastic optimizers. "
                                 f"{self.solver} is not stochastic.")
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier: scikit-learn's
    `sklearn.neural_network.MLPClassifier`, trained by nnext's core.

    The parameters, their defaults and meaning are scikit-learn's (see its
    documentation); the output layer is a softmax for more than two classes
    and a sigmoid per output for two classes and for multi-label targets,
    trained on the cross-entropy.  ``score`` is the accuracy of the
    predictions (for multi-label targets, of whole label sets).

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(100,)
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
    solver : {"lbfgs", "sgd", "adam"}, default="adam"
    alpha : float, default=0.0001
        L2 penalty: alpha / 2 ||W||^2 over the batch's total sample weight.
    batch_size : int or "auto", default="auto"
        ``min(200, n_samples)`` for "auto".
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        The schedule of sgd.
    learning_rate_init : float, default=0.001
    power_t : float, default=0.5
    max_iter : int, default=200
        Epochs of sgd and adam; iterations of lbfgs.
    shuffle : bool, default=True
    random_state : int, RandomState instance or None, default=None
    tol : float, default=1e-4
    verbose : bool, default=False
    warm_start : bool, default=False
    momentum : float, default=0.9
    nesterovs_momentum : bool, default=True
    early_stopping : bool, default=False
    validation_fraction : float, default=0.1
    beta_1, beta_2 : float, default=0.9, 0.999
    epsilon : float, default=1e-8
    n_iter_no_change : int, default=10
    max_fun : int, default=15000
    dtype : {numpy.float64, numpy.float32}, default=numpy.float64
        nnext's own: the type of the network and of all computation (the data
        are converted to it).
    num_threads : int or None, default=None
        nnext's own: the threads of the core (None: all available cores, at
        most ``OMP_NUM_THREADS`` when it is set, as in joblib's workers).

    Attributes
    ----------
    classes_ : ndarray
    loss_ : float
    best_loss_ : float or None
    loss_curve_ : list of float
    validation_scores_ : list of float or None
    best_validation_score_ : float or None
    t_ : int
    coefs_ : list of ndarray
        ``coefs_[i]`` of shape (n_units[i], n_units[i + 1]), as scikit-learn's;
        live views of the network's weights.
    intercepts_ : list of ndarray
    n_features_in_ : int
    feature_names_in_ : ndarray of str
    n_iter_ : int
    n_layers_ : int
    n_outputs_ : int
    out_activation_ : str
    network_ : nnext.NeuralNetwork
        The trained network itself (``nnext.save(clf.network_, "clf.npz")``).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from nnext.sklearn import MLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MLPClassifier(random_state=0).fit(X / 16, y)
    >>> clf.score(X / 16, y) > 0.95
    True
    """

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 dtype=np.float64, num_threads=None):
        super().__init__(**_own_arguments(locals()))

    def _output_activation(self):
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _check_loss(self):
        pass

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(f"warm_start can only be used where `y` has the same "
                                     f"classes as in the previous call to fit. Previously got "
                                     f"{self.classes_}, `y` has {classes}")
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has "
                                 f"{self.classes_}. 'y' has {classes}.")
        return X, self._label_binarizer.transform(y)

    @available_if(lambda estimator: estimator._check_solver())
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with one epoch over the given data (sgd and adam).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
        sample_weight : array-like of shape (n_samples,), optional
        classes : array of shape (n_classes,), optional
            Every class of all the calls: required in the first call (for
            single-label targets), ignored after.

        Returns
        -------
        self
        """
        first_call = not hasattr(self, "classes_")
        if first_call:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
            self.classes_ = self._label_binarizer.classes_
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"`classes={classes!r}` is not the same as on the first call to "
                             f"partial_fit: {self.classes_}")
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """Predict the classes of the samples X.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_labels)
        """
        return self._predict_outputs(self._outputs(X))

    def _predict_outputs(self, outputs):
        if self.n_outputs_ == 1:
            outputs = outputs.ravel()
        return self._label_binarizer.inverse_transform(outputs)

    def predict_proba(self, X):
        """Probability of each class (of each label, for multi-label targets),
        in the order of ``classes_``.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        outputs = self._outputs(X)
        if self.n_outputs_ == 1:
            return np.hstack([1 - outputs, outputs])
        return outputs

    def predict_log_proba(self, X):
        """The logarithm of `predict_proba`."""
        probabilities = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(probabilities, out=probabilities)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor: scikit-learn's
    `sklearn.neural_network.MLPRegressor`, trained by nnext's core.

    The parameters, their defaults and meaning are scikit-learn's and those
    of `MLPClassifier`; the output layer is the identity (squared error) or,
    with ``loss="poisson"``, the exponential (half the Poisson deviance, for
    non-negative targets such as counts).

    Every other parameter (``hidden_layer_sizes``, ``activation``, ``solver``,
    ..., ``dtype``, ``num_threads``) and every fitted attribute is as in
    `MLPClassifier`, but that ``validation_scores_`` are R^2 scores and there
    is no ``classes_``.  ``score`` is the R^2 of the predictions.

    Parameters
    ----------
    loss : {"squared_error", "poisson"}, default="squared_error"

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from nnext.sklearn import MLPRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = MLPRegressor(solver="lbfgs", random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.5
    True
    """

    def __init__(self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu", *,
                 solver="adam", alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 dtype=np.float64, num_threads=None):
        super().__init__(**_own_arguments(locals()))

    def _output_activation(self):
        return "exp" if self.loss == "poisson" else "identity"

    def _check_loss(self):
        _choice(self.loss, ("squared_error", "poisson"), "loss")

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             y_numeric=True, dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and (y < 0).any():
            raise ValueError("loss='poisson' needs targets y >= 0 (counts or rates)")
        return X, y

    @available_if(lambda estimator: estimator._check_solver())
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with one epoch over the given data (sgd and adam).

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """Predict the targets of the samples X.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        return self._predict_outputs(self._outputs(X))

    @staticmethod
    def _predict_outputs(outputs):
        return outputs.ravel() if outputs.shape[1] == 1 else outputs


def _one_blas_thread():
    """A context in which BLAS libraries use one thread (the libraries are
    looked up once: that costs more than a small fit)."""
    global _blas_controller
    if _blas_controller is None:
        _blas_controller = ThreadpoolController()
    return _blas_controller.limit(limits=1, user_api="blas")


_blas_controller = None


def _permutation(n, random_state):
    """The order `sklearn.utils.shuffle` would draw from ``random_state`` (without
    its checks, which cost more than an epoch of a small data set)."""
    order = np.arange(n, dtype=np.intp)
    random_state.shuffle(order)
    return order


def _own_arguments(values):
    """An __init__'s arguments, from its locals()."""
    return {name: value for name, value in values.items()
            if name not in ("self", "__class__")}


def _dense(X, dtype):
    """X as a C-contiguous dense array of ``dtype``."""
    if hasattr(X, "toarray"):
        X = X.toarray()
    return np.ascontiguousarray(X, dtype=dtype)


def _sample_weight(sample_weight, n_samples, dtype):
    """None, or the weights as a contiguous array of ``dtype``, checked."""
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Number):
        sample_weight = np.full(n_samples, sample_weight)
    weight = np.asarray(sample_weight)
    if weight.dtype.kind not in "biuf":
        raise ValueError(f"sample_weight must hold numbers; got dtype {weight.dtype}")
    if weight.shape != (n_samples,):
        raise ValueError(f"sample_weight.shape == {weight.shape}, expected ({n_samples},)!")
    if not np.isfinite(weight).all() or (weight < 0).any():
        raise ValueError("sample_weight must be finite and non-negative")
    if not weight.any():
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return np.ascontiguousarray(weight, dtype=dtype)


def _choice(value, choices, name):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"The '{name}' parameter must be a str among {set(choices)}. Got "
                         f"{value!r} instead.")


def _number(value, name, low=None, high=None, low_open=False, high_open=False):
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        interval = (f"{'(' if low_open else '['}{low}, "
                    f"{'inf)' if high is None else f'{high}' + (')' if high_open else ']')}")
        raise ValueError(f"The '{name}' parameter must be a float in the range {interval}. "
                         f"Got {value!r} instead.")


def _integer(value, name, low):
    if not _checks.is_int(value) or value < low:
        raise ValueError(f"The '{name}' parameter must be an int in the range [{low}, inf). "
                         f"Got {value!r} instead.")

"""scikit-learn estimators trained by nnext's compiled core.

`MLPClassifier` and `MLPRegressor` take the constructor parameters of
scikit-learn's estimators of the same names, with the same defaults and
meaning, and give the same fitted attributes and methods, so that changing
one import moves a pipeline, a grid search or a cross-validation onto nnext.
Two keywords are nnext's own: ``dtype`` (float64 or float32, the type of all
computation; by default that of the data, as scikit-learn's) and
``num_threads``.  The parameters are checked against scikit-learn's own
constraints (``_parameter_constraints`` of its estimators), so they accept
and refuse exactly what scikit-learn's do.

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
    from sklearn.neural_network import MLPClassifier as _ScikitLearnClassifier
    from sklearn.neural_network import MLPRegressor as _ScikitLearnRegressor
    from sklearn.preprocessing import LabelBinarizer
    from sklearn.utils import check_random_state
    from sklearn.utils._param_validation import Interval, Options
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

from . import _checks, _layout, losses, optimizers
from .network import NeuralNetwork

__all__ = ["MLPClassifier", "MLPRegressor"]

#: scikit-learn's activation names, and nnext's.
ACTIVATIONS = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu",
               "softmax": "softmax", "exp": "exp"}
#: Rows of the data set per call of the core's gradient in lbfgs (bounds its memory).
LBFGS_CHUNK = 4096
#: scikit-learn's error when a fit ends with non-finite parameters, word for word.
NON_FINITE = ("Solver produced non-finite parameter weights. The input data may contain large "
              "values and need to be preprocessed.")
#: The constraints of nnext's own parameters, beside scikit-learn's.
OWN_CONSTRAINTS = {
    "dtype": [None, Options(object, {np.float64, np.float32, "float64", "float32",
                                     np.dtype(np.float64), np.dtype(np.float32)})],
    "num_threads": [None, Interval(numbers.Integral, 1, None, closed="left")],
}


class _BaseMLP(BaseEstimator):
    """What the classifier and the regressor share: parameters, the solvers,
    the stopping rule, the fitted attributes."""

    def __init__(self, **params):
        # scikit-learn reads the parameters from each estimator's own __init__
        # signature, and wants them stored under their names, unchanged.
        for name, value in params.items():
            setattr(self, name, value)

    # --- the fitted parameters, as scikit-learn lays them out ---------------------

    def _set_network(self, network):
        """Make ``network`` the fitted network, with ``coefs_`` and ``intercepts_``
        as views of its parameters (``coefs_[i]`` transposed)."""
        self.network_ = network
        self.coefs_ = [weights.T for weights in network.weights]
        self.intercepts_ = list(network.biases)
        self._views = self.coefs_ + self.intercepts_

    def _network(self):
        """The fitted network, after copying into it the arrays of ``coefs_`` and
        ``intercepts_`` that were replaced (``clf.coefs_[0] = w``), as
        scikit-learn's estimators use whatever those lists hold; on an
        estimator never fitted, a network built from them."""
        arrays = list(self.coefs_) + list(self.intercepts_)
        if "network_" in vars(self):
            if len(arrays) == len(self._views) and all(
                    mine is view for mine, view in zip(arrays, self._views)):
                return self.network_
            network = self.network_
        else:
            network = self._network_for(self.coefs_)
        _copy_into(self.coefs_, [weights.T for weights in network.weights], "coefs_")
        _copy_into(self.intercepts_, list(network.biases), "intercepts_")
        self._set_network(network)
        return network

    def _network_for(self, coefs):
        """A network shaped by assigned ``coefs_`` (on an estimator never fitted)."""
        coefs = [np.asarray(coef) for coef in coefs]
        if not coefs or any(coef.ndim != 2 for coef in coefs):
            raise ValueError("coefs_ must be a list of 2-D arrays")
        units = [coefs[0].shape[0]] + [coef.shape[1] for coef in coefs]
        if not hasattr(self, "out_activation_"):
            self.out_activation_ = self._output_activation()
        self.n_layers_, self.n_outputs_ = len(units), units[-1]
        dtype = self.dtype
        if dtype is None:
            dtype = coefs[0].dtype if coefs[0].dtype in _checks.SUPPORTED_DTYPES else np.float64
        return NeuralNetwork(units, activations=self._activations(units), dtype=dtype)

    def __getstate__(self):
        if "network_" in vars(self):
            self._network()
        state = dict(super().__getstate__())    # object's is the live __dict__
        for name in ("coefs_", "intercepts_", "_views"):
            state.pop(name, None)       # views of network_, made again on loading
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "network_" in state:
            self._set_network(self.network_)

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
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        network = None if first_pass else self._network()
        if network is not None:
            dtype = network.dtype
        elif self.dtype is not None:
            dtype = _checks.dtype(self.dtype)
        else:       # as scikit-learn's: lbfgs's parameters are SciPy's, float64
            dtype = np.float64 if self.solver == "lbfgs" else X.dtype
        X = _dense(X, dtype)
        y = np.ascontiguousarray(y.reshape(len(y), -1), dtype=dtype)
        sample_weight = _sample_weight(sample_weight, len(X), dtype)
        units = [X.shape[1], *hidden, y.shape[1]]
        self._random_state = check_random_state(self.random_state)
        if network is None:
            self._initialize(y, units, dtype)
        elif list(network.shape) != units:
            raise ValueError(f"the network fitted before has layers {list(network.shape)}; "
                             f"these data and hidden_layer_sizes need {units}: refit without "
                             f"warm_start")
        else:
            self._continue_statistics()
        threads = _checks.num_threads(self.num_threads)
        # BLAS threads that spin after NumPy's or SciPy's small products would
        # take the cores from the core's threads: one BLAS thread meanwhile.
        with self.network_.engine.training(), _one_blas_thread():
            if self.solver == "lbfgs":
                self._fit_lbfgs(X, y, sample_weight, threads)
            else:
                self._fit_stochastic(X, y, sample_weight, incremental, threads)
        if not np.isfinite(self.network_.parameters).all():
            raise ValueError(NON_FINITE)
        return self

    def _activations(self, units):
        return ([ACTIVATIONS[self.activation]] * (len(units) - 2)
                + [ACTIVATIONS[self.out_activation_]])

    def _initialize(self, y, units, dtype):
        """A new network with scikit-learn's initial weights (Glorot uniform,
        drawn from the random state in its order), and fresh statistics."""
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = y.shape[1]
        self.n_layers_ = len(units)
        self.out_activation_ = self._output_activation()
        factor = 2.0 if self.activation == "logistic" else 6.0
        network = NeuralNetwork(units, activations=self._activations(units), dtype=dtype)
        for weights, biases, fan_in, fan_out in zip(network.weights, network.biases, units,
                                                    units[1:]):
            bound = np.sqrt(factor / (fan_in + fan_out))
            weights[...] = self._random_state.uniform(-bound, bound, (fan_in, fan_out)).T
            biases[...] = self._random_state.uniform(-bound, bound, fan_out)
        self._set_network(network)
        self._reset_statistics()

    def _continue_statistics(self):
        """Before a warm or incremental fit: the statistics kept from the fits
        before, and fresh ones where an estimator given ``coefs_`` by hand lacks
        them."""
        if not hasattr(self, "t_"):
            self.n_iter_ = self.t_ = 0
            self._reset_statistics()
        self._best_params = self.network_.parameters.copy()

    def _reset_statistics(self):
        self._best_params = self.network_.parameters.copy()
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
        """scikit-learn's loss: the log-loss for a logistic output too."""
        if self.out_activation_ == "logistic":
            return "cross_entropy"
        return losses.default_for(ACTIVATIONS[self.out_activation_]).name

    def _loss_scale(self):
        """scikit-learn's loss per unit of the core's summed loss: its squared
        loss is half the mean over the outputs."""
        loss = losses.LOSSES[self._loss_name()]
        return loss.scale / self.n_outputs_ if loss.name == "squared_error" else loss.scale

    def _new_optimizer(self):
        """The optimizer of a stochastic fit, built from the parameters as
        scikit-learn builds its own: ``_optimizer.learning_rate`` is the rate
        the schedule has reached."""
        if self.solver == "adam":
            return optimizers.Adam(self.learning_rate_init, self.beta_1, self.beta_2,
                                   self.epsilon, epsilon_hat=True)
        return optimizers.Momentum(self.learning_rate_init, self.momentum,
                                   self.nesterovs_momentum)

    def _iteration_ends(self):
        """After an epoch: the "invscaling" schedule of sgd sets the rate."""
        if self.solver == "sgd" and self.learning_rate == "invscaling":
            self._optimizer.learning_rate = (self.learning_rate_init
                                             / (self.t_ + 1) ** self.power_t)

    # --- sgd and adam ----------------------------------------------------------------

    def _fit_stochastic(self, X, y, sample_weight, incremental, threads):
        if not incremental or not hasattr(self, "_optimizer"):
            self.network_.reset_optimizer()
            self._optimizer = self._new_optimizer()
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
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
        diverged = False
        try:
            for _ in range(self.max_iter):
                if self.shuffle:
                    rows = rows[_permutation(n_samples, self._random_state)]
                if not diverged:
                    stats, failed = self.network_.engine.train_epoch(
                        X, y, rows, batch_size, loss, self._optimizer.settings(
                            l2=self.alpha, l2_over_weight=True), threads, sample_weight)
                    diverged = failed is not None
                    if diverged and not self.early_stopping:
                        raise ValueError(
                            f"{NON_FINITE} (Batch {failed + 1} of epoch {self.n_iter_ + 1} made "
                            f"them infinite or NaN; learning_rate_init may be too large. The "
                            f"network keeps the parameters of the last finite step.)")
                # Diverged with early stopping: scikit-learn's epochs go on with NaN
                # losses and scores to max_iter, then it restores the best parameters.
                self.n_iter_ += 1
                self.loss_ = np.nan if diverged else self._epoch_loss(stats, batch_rows,
                                                                      n_samples)
                self.t_ += n_samples
                self.loss_curve_.append(self.loss_)
                if self.verbose:
                    print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")
                self._update_no_improvement_count(X_val, y_val, weight_val, threads, diverged)
                self._iteration_ends()
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
            self.network_.parameters[...] = self._best_params

    def _split(self, X, y, sample_weight):
        """The training part and (with early_stopping) the validation part:
        scikit-learn's split, drawn from the random state (stratified on the
        binarised labels, as scikit-learn's are: booleans)."""
        if not self.early_stopping:
            return X, y, sample_weight, None, None, None
        stratify = y.astype(bool) if is_classifier(self) and self.n_outputs_ == 1 else None
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

    def _epoch_loss(self, stats, batch_rows, n_samples):
        """scikit-learn's epoch loss: each batch's (loss + penalty) / its weight,
        weighted by its number of rows."""
        losses, weights, squares = stats.T
        per_batch = np.divide(self._loss_scale() * losses + 0.5 * self.alpha * squares, weights,
                              out=np.zeros_like(losses), where=weights > 0)
        return float(per_batch @ batch_rows / n_samples)

    def _update_no_improvement_count(self, X_val, y_val, weight_val, threads, diverged):
        if self.early_stopping:
            score = (np.nan if diverged
                     else self._validation_score(X_val, y_val, weight_val, threads))
            self.validation_scores_.append(score)
            if self.verbose:
                print(f"Validation score: {score:f}")
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_params = self.network_.parameters.copy()
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
        elif self._optimizer.learning_rate <= 1e-6:
            stop, how = True, " Learning rate too small. Stopping."
        else:
            self._optimizer.learning_rate /= 5.0
            stop, how = False, f" Setting learning rate to {self._optimizer.learning_rate:f}"
        if self.verbose:
            print(message + how)
        return stop

    # --- lbfgs -----------------------------------------------------------------------

    def _fit_lbfgs(self, X, y, sample_weight, threads):
        loss_and_gradient, parts = self._lbfgs_objective(X, y, sample_weight, threads)

        def report(intermediate_result):
            print(f"Iteration {report.iteration}, loss = {intermediate_result.fun:.8f}")
            report.iteration += 1
        report.iteration = 1

        result = scipy.optimize.minimize(
            loss_and_gradient, _pack(self.network_.weights, self.network_.biases),
            method="L-BFGS-B", jac=True, callback=report if self.verbose else None,
            options={"maxfun": self.max_fun, "maxiter": self.max_iter, "gtol": self.tol})
        if result.status == 1:
            warnings.warn(f"lbfgs failed to converge after {result.nit} iteration(s) "
                          f"(status=1): {result.message}. Increase the number of iterations "
                          f"(max_iter) or scale the data.", ConvergenceWarning)
        self.n_iter_ = min(result.nit, self.max_iter)
        loss_and_gradient(result.x)
        self.loss_ = self._loss_scale() * parts["data"] + 0.5 * self.alpha * parts["penalty"]

    def _lbfgs_objective(self, X, y, sample_weight, threads):
        """The function lbfgs minimises, of the parameters packed as scikit-learn
        packs them (every ``coefs_[i]`` raveled, then every ``intercepts_[i]``):
        it sets the network's parameters and returns the loss and its
        gradient (packed alike); and a dict that holds the loss's data and
        penalty parts of its last call."""
        network = self.network_
        loss = self._loss_name()
        scale = losses.LOSSES[loss].scale
        total_weight = len(X) if sample_weight is None else float(sample_weight.sum())
        if total_weight <= 0:
            raise ValueError("sample_weight must not be 0 for every sample")
        chunks = [np.arange(start, min(start + LBFGS_CHUNK, len(X)), dtype=np.intp)
                  for start in range(0, len(X), LBFGS_CHUNK)]
        work = network.engine.gradient_workspace(len(chunks[0]))
        n_weights = sum(weights.size for weights in network.weights)
        parts = {}

        def loss_and_gradient(packed):
            _unpack(packed, network)
            gradient = np.zeros(len(packed))
            data_loss = 0.0
            for rows in chunks:
                grad, total = network.engine.gradient(X, y, rows, loss, threads, sample_weight,
                                                      work)
                chunk_weight = len(rows) if sample_weight is None else sample_weight[rows].sum()
                gradient += chunk_weight * _pack(*_layout.split(grad, network.shape))
                data_loss += total
            weights = _pack(network.weights, ())
            gradient /= total_weight
            gradient[:n_weights] += self.alpha * weights / total_weight
            parts["data"] = data_loss / total_weight
            parts["penalty"] = weights @ weights / total_weight
            return scale * parts["data"] + 0.5 * self.alpha * parts["penalty"], gradient

        return loss_and_gradient, parts

    def _loss_grad_lbfgs(self, packed_coef_inter, X, y, sample_weight, *workspaces):
        """scikit-learn's private interface to its lbfgs objective (its own tests
        call it): the loss and gradient at the packed parameters, which it
        sets.  ``y`` as the solver sees it (binarised labels for a
        classifier); the workspaces scikit-learn passes are not needed."""
        network = self._network()
        X = _dense(X, network.dtype)
        y = np.ascontiguousarray(np.asarray(y).reshape(len(X), -1), dtype=network.dtype)
        objective, _ = self._lbfgs_objective(
            X, y, _sample_weight(sample_weight, len(X), network.dtype),
            _checks.num_threads(self.num_threads))
        return objective(np.asarray(packed_coef_inter, dtype=np.float64))

    # --- predicting ------------------------------------------------------------------

    def _outputs(self, X):
        """The network's outputs for X, checked as scikit-learn checks it, in
        the dtype NumPy gives X's and the parameters' (float32 for both
        float32, as scikit-learn's)."""
        if "coefs_" in vars(self):
            self._network()
        check_is_fitted(self, "network_")
        X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False,
                          dtype=(np.float64, np.float32))
        outputs = self.network_.feedforward(_dense(X, self.network_.dtype),
                                            num_threads=_checks.num_threads(self.num_threads))
        return outputs.astype(np.result_type(X.dtype, outputs.dtype), copy=False)

    def _check_params(self):
        """Check the parameters (at fit time, against scikit-learn's constraints,
        as scikit-learn does) and return the hidden layer sizes as a list."""
        self._validate_params()
        sizes = self.hidden_layer_sizes
        sizes = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
        if not all(_checks.is_int(size) and size > 0 for size in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
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
    dtype : {None, numpy.float64, numpy.float32}, default=None
        nnext's own: the type of the network and of all computation (the data
        are converted to it).  None: that of the data, as scikit-learn's
        estimators do (with sgd and adam, float32 data give float32
        parameters and predictions; any other data, and lbfgs, whose
        parameters are SciPy's, float64); a warm or incremental fit keeps
        the type of the first.
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
        live views of the network's weights (transposed).  An array put in
        the list in place of one (``clf.coefs_[0] = w``) is copied into the
        network before the next prediction or fit, as scikit-learn's
        estimators use it.
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
    >>> clf = MLPClassifier(early_stopping=True, random_state=0).fit(X / 16, y)
    >>> clf.score(X / 16, y) > 0.9
    True
    """

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 dtype=None, num_threads=None):
        super().__init__(**_own_arguments(locals()))

    _parameter_constraints = {**_ScikitLearnClassifier._parameter_constraints, **OWN_CONSTRAINTS}

    def _output_activation(self):
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

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
    >>> reg = MLPRegressor(solver="lbfgs", max_iter=5000, random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.5
    True
    """

    def __init__(self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu", *,
                 solver="adam", alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 dtype=None, num_threads=None):
        super().__init__(**_own_arguments(locals()))

    _parameter_constraints = {**_ScikitLearnRegressor._parameter_constraints, **OWN_CONSTRAINTS}

    def _output_activation(self):
        return "exp" if self.loss == "poisson" else "identity"

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


def _copy_into(arrays, views, name):
    """Copy each array of ``arrays`` into the view of the same place, after
    checking them all (shape and finiteness)."""
    arrays = list(arrays)
    if len(arrays) != len(views):
        raise ValueError(f"{name} must hold {len(views)} arrays; got {len(arrays)}")
    checked = []
    for i, (array, view) in enumerate(zip(arrays, views)):
        array = np.asarray(array)
        if array.shape != view.shape or array.dtype.kind not in "biuf" or not np.isfinite(
                array).all():
            raise ValueError(f"{name}[{i}] must be a finite array of shape {view.shape}; got "
                             f"shape {array.shape}")
        checked.append(array)
    for array, view in zip(checked, views):
        if array is not view:
            view[...] = array


def _pack(weights, biases):
    """scikit-learn's packing of the parameters into one float64 vector: each
    layer's ``coefs_`` (nnext's weights transposed) raveled, then each
    layer's ``intercepts_``."""
    parts = [w.T.ravel() for w in weights] + [b.ravel() for b in biases]
    return np.concatenate(parts).astype(np.float64, copy=False) if parts else np.zeros(0)


def _unpack(packed, network):
    """Set the network's parameters from scikit-learn's packing (see `_pack`)."""
    start = 0
    for weights in network.weights:
        n_out, n_in = weights.shape
        weights[...] = packed[start:start + n_in * n_out].reshape(n_in, n_out).T
        start += n_in * n_out
    for biases in network.biases:
        biases[...] = packed[start:start + len(biases)]
        start += len(biases)

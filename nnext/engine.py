"""The engine: the one face of the compiled core.

An `Engine` holds a network's description (its shape and activations), its
parameters in one flat buffer, the working memory the core needs, the
optimizer state of `nnext.fit`, and the lock of a training run.  It is the
only code that calls the core (`nnext._core`): `NeuralNetwork` owns one
(``network.engine``), and the training loops, the scikit-learn estimators
and the tests ask it to compute.

Every method takes C-contiguous arrays of the engine's dtype, already
checked by the caller (`nnext._checks`); the core checks again that each
buffer is as large as the layout needs, so a wrong call raises instead of
reading past a buffer.

The module also says which kernel variant the core runs
(`kernels`, `use_kernels`) and how it was built (`openmp`, `debug_build`).
"""
import contextlib
import os
import threading

import numpy as np

from . import _checks, _layout

try:
    from . import _core
except ImportError as error:
    here = os.path.dirname(os.path.abspath(__file__))
    if os.path.exists(os.path.join(here, "_core.pyx")) and not any(
            name.startswith("_core.") and name.endswith((".so", ".pyd"))
            for name in os.listdir(here)):
        raise ImportError(
            f"nnext's compiled core is not built in {here}: this is nnext's source tree, "
            f"which Python finds before the installed package when it runs in the checkout. "
            f"Run Python from another directory (the tests: 'pytest', not 'python -m "
            f"pytest', in the checkout), or build the core in place with 'python setup.py "
            f"build_ext --inplace'.") from error
    raise
from .activations import ACTIVATIONS
from .losses import LOSSES
from .optimizers import OPTIMIZERS

if ({name: row.code for name, row in ACTIVATIONS.items()} != _core.ACTIVATIONS
        or {name: row.code for name, row in LOSSES.items()} != _core.LOSSES
        or {name: row.code for name, row in OPTIMIZERS.items()} != _core.OPTIMIZERS):
    raise ImportError("nnext's tables of activations, losses and optimizers do not match its "
                      "compiled core: rebuild nnext")

#: The kernel variants, from the x86-64 baseline to the widest.
KERNELS = _core.KERNELS
#: The variants this CPU can run.
AVAILABLE_KERNELS = _core.AVAILABLE_KERNELS
#: Whether the core was built with OpenMP (else it runs on one thread).
openmp = _core.openmp
#: Whether the core was built with Cython's bounds checks (NNEXT_DEBUG_CYTHON=1).
debug_build = _core.debug_build


def kernels():
    """The kernel variant in use: the widest this CPU runs, unless the
    environment variable NNEXT_KERNELS or `use_kernels` chose a narrower one."""
    return _core.kernels


def use_kernels(name):
    """Use the kernels of variant ``name`` (one of `KERNELS`) or, if this CPU
    cannot run them, the widest below it that it can; return the variant now
    in use.  Results of every variant agree to rounding."""
    return _core.use_kernels(name)


def first_nonfinite_row(X):
    """The index of the first row of the 2-D float32 or float64 C-contiguous
    array X that holds NaN or infinity, or -1 (one pass, nothing allocated)."""
    return _core.first_nonfinite_row(X)


def set_interrupt_probe(probe, check_every=None):
    """For tests: call ``probe()`` (which may raise KeyboardInterrupt, as Ctrl-C
    does) wherever the core looks for Ctrl-C, after every ``check_every``
    multiply-adds; ``probe=None`` restores the default."""
    if check_every is None:
        _core._set_interrupt_probe(probe)
    else:
        _core._set_interrupt_probe(probe, check_every)


class Engine:
    """The compiled core's computations on one network.

    Parameters
    ----------
    shape : tuple of int
        Neurons per layer, checked.
    activations : tuple of str
        The activation of each layer after the input, checked.
    params : numpy.ndarray
        The flat parameters (float32 or float64, laid out as `nnext._layout`
        says); used in place if aligned, else copied.

    Attributes
    ----------
    shape, activations : tuple
    params : numpy.ndarray
        The parameters the engine computes with and trains in place.
    sizes, kinds : numpy.ndarray
        The shape (intp) and the activations' codes (intc) as the core reads
        them.
    optimizer_state : tuple or None
        ``(name, steps, state)`` of the last `train_epoch` optimizer: its
        name, the steps it took, and its state (momentum's velocity; Adam's
        moments, first then second), so that a later epoch continues it.
    """

    def __init__(self, shape, activations, params):
        self.shape = tuple(shape)
        self.activations = tuple(activations)
        self.params = _layout.aligned_copy(params)
        self.sizes = np.array(shape, dtype=np.intp)
        self.kinds = np.array([ACTIVATIONS[name].code for name in activations], np.intc)
        self._lock = threading.Lock()
        self._trainer = None
        self._train_work = _layout.aligned_empty(0, self.params.dtype)
        self._round_start = None
        self.optimizer_state = None

    @property
    def dtype(self):
        return self.params.dtype

    # --- forward passes ----------------------------------------------------------

    def forward_workspace(self, n_rows, threads):
        """Working memory for a forward pass (`forward`, `loss_sum`) of ``n_rows``
        rows on up to ``threads`` threads (with the default, as many as it may
        take), to reuse for the same rows again and again."""
        most = threads.most if isinstance(threads, _checks.DefaultThreads) else threads
        return _layout.aligned_empty(
            _core.forward_workspace_size(self.sizes, n_rows, most), self.dtype)

    def forward(self, X, threads, work=None):
        """The outputs for the rows of X, and the index of the first row that
        holds NaN or infinity (-1 if none; its outputs are then not computed)."""
        out = np.empty((X.shape[0], self.shape[-1]), dtype=self.dtype)
        if work is None:
            work = self.forward_workspace(len(X), threads)
        bad_row = _core.feedforward(self.sizes, self.kinds, self.params, X, out, work,
                                    threads)
        return out, bad_row

    def forward_layers(self, x):
        """The activations of layers 1..L for the one sample x, one after the
        other in a flat array."""
        activations = np.empty(sum(self.shape[1:]), self.dtype)
        _core.forward_layers(self.sizes, self.kinds, self.params, x, activations)
        return activations

    def loss_sum(self, X, Y, loss, threads, work=None):
        """The sum over the rows of the loss called ``loss`` (see `nnext.losses`):
        ||a_L - y||^2 for "squared_error" (the original's cost, unhalved).
        ``work``: a `forward_workspace` for these rows, or None."""
        if work is None:
            work = self.forward_workspace(len(X), threads)
        return _core.loss_sum(self.sizes, self.kinds, LOSSES[loss].code, self.params, X, Y,
                              work, threads)

    # --- gradients and steps -------------------------------------------------------

    def gradient_workspace(self, batch_size):
        """Working memory for `gradient` and the steps on batches this large."""
        return _layout.aligned_empty(_core.train_workspace_size(self.sizes, batch_size),
                                     self.dtype)

    def check_batch_memory(self, batch_size):
        """Raise ValueError, before anything is allocated, if batches of
        ``batch_size`` need more working memory than the machine has."""
        _checks.fits_in_memory(_core.train_workspace_size(self.sizes, batch_size)
                               * self.dtype.itemsize,
                               f"batch_size={batch_size} needs working memory")

    def gradient(self, X, Y, rows, loss, threads, sample_weight=None, work=None):
        """The mean gradient of the loss over X[rows], Y[rows] (laid out like the
        parameters), and the sum of the losses; both weighted by
        ``sample_weight`` (a weight per row of X) when it is given.  ``work``:
        a `gradient_workspace` for batches this large, or None."""
        grad = _layout.aligned_empty(len(self.params), self.dtype)
        if work is None:
            work = self.gradient_workspace(len(rows))
        total = _core.gradient(self.sizes, self.kinds, LOSSES[loss].code, self.params, X, Y,
                               rows, grad, work, threads, sample_weight)
        return grad, total

    def _workspace_for(self, batch_size):
        needed = _core.train_workspace_size(self.sizes, batch_size)
        if len(self._train_work) < needed:
            self._train_work = _layout.aligned_empty(needed, self.dtype)
        return self._train_work

    def sgd_steps(self, X, Y, rows, learning_step, iterations, threads, saved=None):
        """Take ``iterations`` steps of the original's SGD (squared error) on the
        batch X[rows], Y[rows]; return whether every parameter is finite
        afterwards.  ``saved``: None, or an array as large as the parameters
        into which they are copied before the first step."""
        return _core.sgd_steps(self.sizes, self.kinds, self.params, X, Y, rows,
                               learning_step, iterations, self._workspace_for(len(rows)),
                               threads, saved)

    def sgd_round(self, X, Y, rows, learning_step, iterations, threads):
        """`sgd_steps`, made safe: returns None, or the step (counted from 1)
        whose update made a parameter infinite or NaN, when the parameters are
        those of the step before.  On Ctrl-C (KeyboardInterrupt) the
        parameters are those of the last complete step that is finite."""
        if self._round_start is None:
            self._round_start = np.empty_like(self.params)
        start = self._round_start
        try:
            finite = self.sgd_steps(X, Y, rows, learning_step, iterations, threads, start)
        except KeyboardInterrupt:
            if not np.isfinite(self.params).all():
                self.params[...] = start
            raise
        if finite:
            return None
        # Diverged: replay the steps one at a time to find the last finite one.
        self.params[...] = start
        for step in range(1, iterations + 1):
            if not self.sgd_steps(X, Y, rows, learning_step, 1, threads, start):
                self.params[...] = start
                return step
        raise AssertionError("the replay of a diverged batch stayed finite")

    # --- epochs with an optimizer -------------------------------------------------

    def reset_optimizer(self):
        """Forget the optimizer state: the next epoch starts its optimizer afresh."""
        self.optimizer_state = None

    def set_optimizer_state(self, name, steps, state):
        """Continue from the state ``(name, steps, state)`` (see `optimizer_state`),
        after checking it: the optimizer's size of state, its dtype, finite
        values, and a second moment >= 0 for Adam."""
        if name not in OPTIMIZERS or not _checks.is_int(steps) or steps < 0:
            raise ValueError(f"optimizer state must be (name, steps, array) with a name among "
                             f"{', '.join(OPTIMIZERS)} and steps >= 0; got {name!r}, {steps!r}")
        size = OPTIMIZERS[name].state_vectors * len(self.params)
        state = np.asarray(state)
        if state.shape != (size,) or state.dtype != self.dtype:
            raise ValueError(f"the state of optimizer {name!r} must be a 1-D {self.dtype.name} "
                             f"array of {size} values; got {state.dtype} of shape {state.shape}")
        if not np.isfinite(state).all():
            raise ValueError(f"the state of optimizer {name!r} must be finite")
        OPTIMIZERS[name].check_state(state.reshape(-1, len(self.params)))
        self.optimizer_state = (name, int(steps),
                                _layout.aligned_copy(np.ascontiguousarray(state)))

    def _continued_state(self, name):
        """The optimizer state of ``name``: continued from the last epoch if it
        used the same kind of optimizer, else fresh (zeros)."""
        if self.optimizer_state is None or self.optimizer_state[0] != name:
            state = _layout.aligned_empty(OPTIMIZERS[name].state_vectors * len(self.params),
                                          self.dtype)
            state[...] = 0
            self.optimizer_state = (name, 0, state)
        return self.optimizer_state

    def train_epoch(self, X, Y, rows, batch_size, loss, settings, threads, sample_weight=None,
                    learning_rates=None):
        """One pass over X[rows], Y[rows] in batches of ``batch_size`` with one
        optimizer step each; ``settings`` are the optimizer's (its
        ``settings()``), ``sample_weight`` None or a weight per row of X,
        ``learning_rates`` None or a learning rate per batch (float64).

        Returns the statistics of the completed batches (an array of rows:
        the batch's summed loss, its total weight, the sum of the squared
        weights; each at the parameters its step started from), and None,
        or the index of the batch whose step made a parameter infinite or
        NaN: the parameters (and optimizer state) are then those of the step
        before.  On Ctrl-C (KeyboardInterrupt) they are those of the last
        complete step.
        """
        name, steps, state = self._continued_state(settings["name"])
        n_batches = -(-len(rows) // batch_size)
        stats = np.zeros((n_batches, 3))
        completed = np.zeros(1, np.intp)
        work = self._workspace_for(min(batch_size, len(rows)))
        grad = _layout.aligned_empty(len(self.params), self.dtype)
        epoch_start = (self.params.copy(), state.copy())

        def run(rows):
            _core.train_epoch(self.sizes, self.kinds, LOSSES[loss].code, self.params, X, Y,
                              rows, sample_weight, batch_size, settings, steps, state, grad,
                              work, stats, completed, threads, learning_rates)

        try:
            run(rows)
        finally:
            self.optimizer_state = (name, steps + int(completed[0]), state)
        if completed[0] == n_batches:
            return stats, None
        failed = int(completed[0])
        self.params[...], state[...] = epoch_start
        if failed:
            run(rows[:failed * batch_size])
        return stats[:failed], failed

    # --- a training run at a time ---------------------------------------------------

    @contextlib.contextmanager
    def training(self):
        """Hold the engine for one training run, after checking that its
        parameters and optimizer state are finite; RuntimeError if a training
        run already holds it."""
        if not self._lock.acquire(blocking=False):
            if self._trainer == threading.get_ident():
                raise RuntimeError("this network is already being trained by this thread "
                                   "(train or fit was called from inside a training run, "
                                   "e.g. from its progress callback)")
            raise RuntimeError("this network is already being trained in another thread")
        try:
            self._trainer = threading.get_ident()
            _checks.finite_parameters(self.params, self.shape,
                                      "the network's parameters must be finite before "
                                      "training (were they set through a view?)")
            if self.optimizer_state is not None and not np.isfinite(
                    self.optimizer_state[2]).all():
                raise ValueError("the network's optimizer state holds NaN or infinity; "
                                 "network.reset_optimizer() starts it afresh")
            yield self
        finally:
            self._trainer = None
            self._lock.release()

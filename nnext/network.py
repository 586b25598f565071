"""Fully connected networks: the model and the original program's API.

A `NeuralNetwork` is its shape, activations, dtype and parameters; it owns
an `nnext.engine.Engine` (``network.engine``) that holds the parameters and
does every computation in the compiled core.  The original program's
`serialize_neural_network` and `load_from_file` stay importable from here;
they live in `nnext.io`.
"""
import textwrap

import numpy as np

from . import _checks, _layout, losses
from . import activations as _activations
from . import engine
from .engine import Engine
from .layers import NeuralInputLayer, NeuralLayer

#: The ways to draw the initial weights.
INITS = ("uniform", "glorot", "he")


class NeuralNetwork:
    """A fully connected feedforward network.

    Parameters
    ----------
    shape : list of int
        Neurons per layer, input layer first; at least two layers.
    activations : str or list of str, optional
        The activation of each layer after the input: ``"sigmoid"`` (the
        default, as in the original), ``"tanh"``, ``"relu"``,
        ``"leaky_relu"`` (slope 0.01 below 0), ``"elu"``, ``"identity"``,
        or, on the output layer only, ``"softmax"`` or ``"exp"`` (for counts,
        with the Poisson loss); `nnext.activations` defines each.  One name
        means every layer; a list names each.  Keyword only.
    init : {"uniform", "glorot", "he"}, optional
        How the initial parameters are drawn.  ``"uniform"`` (the default):
        weights and biases uniform in [-0.5, 0.5), as in the original.
        ``"glorot"``: weights uniform in [-r, r) with r = sqrt(6 / (n_in +
        n_out)) (Glorot and Bengio), biases 0.  ``"he"``: weights normal with
        standard deviation sqrt(2 / n_in) (He et al., for ReLU layers),
        biases 0.  Keyword only.
    seed : None, int or numpy.random.Generator, optional
        Source of the initial weights and biases.  Keyword only.
    dtype : {numpy.float64, numpy.float32}, optional
        Type of the parameters and of all computation.  Keyword only.

    Attributes
    ----------
    shape : tuple of int
        Neurons per layer.
    activations : tuple of str
        The activation of each layer after the input.
    dtype : numpy.dtype
        Type of the parameters.
    weights : tuple of numpy.ndarray
        ``weights[i]`` connects layer ``i`` to layer ``i + 1`` and has shape
        ``(shape[i + 1], shape[i])``: row ``j`` holds the weights into neuron
        ``j``.  The arrays are views of the network's parameters: change them
        in place (``network.weights[0][...] = w``) to set a layer.
    biases : tuple of numpy.ndarray
        ``biases[i]`` has shape ``(shape[i + 1],)``; views, like ``weights``.
    layers : list
        The original program's object model: a `NeuralInputLayer`, then a
        `NeuralLayer` per weight layer, whose ``weights`` and ``biases`` are
        the same live views (``layers[i + 1].weights is weights[i]``).

    Notes
    -----
    Networks pickle and deep-copy (with their dtype and parameters), so they
    move between processes with `multiprocessing`, `concurrent.futures` or
    joblib.  `copy.copy` gives an independent network too, as `copy` does.

    Examples
    --------
    >>> from nnext.network import NeuralNetwork
    >>> network = NeuralNetwork([784, 20, 10], seed=0)
    >>> network.weights[0].shape
    (20, 784)
    >>> network.feedforward(np.zeros(784)).shape
    (10,)
    >>> modern = NeuralNetwork([784, 256, 10], activations=["relu", "softmax"], init="he")
    """

    def __init__(self, shape, *, activations=None, init="uniform", seed=None,
                 dtype=np.float64):
        dtype = _checks.dtype(dtype)
        shape = _checks.shape(shape, dtype.itemsize)
        activations = _activations.check(activations, len(shape) - 1)
        if init not in INITS:
            raise ValueError(f"init must be one of {', '.join(INITS)}; got {init!r}")
        rng = _checks.generator(seed)
        self._set_up(shape, activations, _initial_parameters(shape, init, rng).astype(
            dtype, copy=False))

    @classmethod
    def from_parameters(cls, shape, params, *, activations=None, dtype=None):
        """Build a network from its parameters in one flat array.

        The layout is that of the ``.npz`` format (`nnext.npzformat`): for
        each layer after the input, its weights row by row, then its biases.

        Parameters
        ----------
        shape : list of int
        params : array_like, 1-D
            The parameters; copied.
        activations : str or list of str, optional
            As for `NeuralNetwork`.
        dtype : {None, numpy.float64, numpy.float32}, optional
            The network's dtype: by default that of ``params`` if it is
            float32 or float64, else float64.

        Returns
        -------
        NeuralNetwork

        Raises
        ------
        ValueError
            If ``params`` does not hold the network's number of parameters,
            or a value is not finite or too large for ``dtype`` (the message
            names the first such parameter).
        """
        params = _checks.numeric_array(params, "params", ndims=(1,))
        if dtype is None:
            dtype = params.dtype if params.dtype in _checks.SUPPORTED_DTYPES else np.float64
        dtype = _checks.dtype(dtype)
        shape = _checks.shape(shape, dtype.itemsize)
        activations = _activations.check(activations, len(shape) - 1)
        if len(params) != _layout.parameter_count(shape):
            raise ValueError(f"params must hold {_layout.parameter_count(shape)} values for "
                             f"shape {list(shape)}; got {len(params)}")
        network = cls.__new__(cls)
        network._set_up(shape, activations, _checks.parameters_as(params, shape, dtype))
        return network

    def _set_up(self, shape, activations, params):
        self._engine = Engine(shape, activations, params)
        self._weights, self._biases = _layout.split(self._engine.params, shape)
        self._layers = [NeuralInputLayer(self)] + [NeuralLayer(self, i)
                                                   for i in range(1, len(shape))]
        self._last_sample = None

    # --- pickling and copying ------------------------------------------------

    def __getstate__(self):
        return {"shape": list(self.shape), "activations": list(self.activations),
                "params": self.parameters, "optimizer": self._engine.optimizer_state}

    def __setstate__(self, state):
        try:
            shape, params = state["shape"], state["params"]
        except (TypeError, KeyError):
            raise ValueError("a pickled NeuralNetwork must hold 'shape' and 'params'") from None
        if not isinstance(params, np.ndarray) or params.ndim != 1:
            raise ValueError("a pickled NeuralNetwork's params must be a 1-D array")
        dtype = _checks.dtype(params.dtype)
        shape = _checks.shape(shape, dtype.itemsize)
        if len(params) != _layout.parameter_count(shape):
            raise ValueError(f"a pickled NeuralNetwork of shape {list(shape)} must hold "
                             f"{_layout.parameter_count(shape)} parameters; got {len(params)}")
        self._set_up(shape, _activations.check(state.get("activations"), len(shape) - 1),
                     _checks.parameters_as(params, shape, dtype))
        optimizer = state.get("optimizer")
        if optimizer is not None:
            self._engine.set_optimizer_state(*optimizer)

    def copy(self):
        """Return an independent network with the same shape, activations, dtype,
        parameters and optimizer state."""
        twin = NeuralNetwork.from_parameters(self.shape, self.parameters,
                                             activations=self.activations)
        if self._engine.optimizer_state is not None:
            name, steps, state = self._engine.optimizer_state
            twin.engine.set_optimizer_state(name, steps, state.copy())
        return twin

    __copy__ = copy

    # --- what the network is -------------------------------------------------

    @property
    def shape(self):
        return self._engine.shape

    @property
    def activations(self):
        return self._engine.activations

    @property
    def dtype(self):
        return self._engine.dtype

    @property
    def engine(self):
        """The `nnext.engine.Engine` that holds the parameters and computes."""
        return self._engine

    @property
    def parameters(self):
        """Every weight and bias in one flat array, a live view (as ``weights``
        and ``biases`` are): for each layer after the input, its weights row
        by row, then its biases (the layout of `from_parameters` and of the
        ``.npz`` format)."""
        return self._engine.params

    @property
    def weights(self):
        return self._weights

    @property
    def biases(self):
        return self._biases

    @property
    def layers(self):
        return self._layers

    def layers_count(self):
        """Return the number of layers, the input layer included (as in the original)."""
        return len(self.shape)

    def __repr__(self):
        activations = ("" if set(self.activations) == {"sigmoid"}
                       else f", activations={list(self.activations)}")
        return f"NeuralNetwork({list(self.shape)}{activations}, dtype={self.dtype.name})"

    def __str__(self):
        """The original program's text form: every layer's weights, biases and output."""
        body = "\n".join(textwrap.indent(str(layer), "  ") for layer in self._layers)
        return f"<NeuralNetwork>\n{body}\n</NeuralNetwork>"

    # --- using it ------------------------------------------------------------

    def feedforward(self, input_values, *, num_threads=None):
        """Return the output layer's activations for one input or many.

        Parameters
        ----------
        input_values : array_like
            One sample, shape ``(shape[0],)``, or many, shape
            ``(n_samples, shape[0])``.  Any real dtype; converted to the
            network's dtype.
        num_threads : int, optional
            Threads to share the samples between (default: all available
            cores; blocks of 72 samples are the unit of sharing, and a
            thread is used only for at least 2^17 multiply-adds).  Keyword
            only.

        Returns
        -------
        numpy.ndarray
            Shape ``(shape[-1],)`` for one sample, ``(n_samples, shape[-1])``
            for many.  For one sample, every layer's activations are also kept
            as the ``output`` of ``network.layers``, as in the original.

        Raises
        ------
        ValueError
            If the input has the wrong number of values or holds NaN or infinity.
        TypeError
            If the input does not hold real numbers.
        """
        array = _checks.numeric_array(input_values, "input_values", ndims=(1, 2))
        if array.ndim == 1:
            return self._forward_one(self._sample(array, "input_values"))
        X = _checks.matrix(array, self.shape[0], "input_values", self.dtype, "sample",
                           check_finite=False)
        out, bad_row = self._engine.forward(X, _checks.num_threads(num_threads))
        if bad_row >= 0:
            raise _checks.nonfinite_row(bad_row, "input_values", "sample")
        self._check_output(out)
        return out

    def _check_output(self, outputs):
        """Raise if the outputs are not finite because the parameters are not (an
        overflow of finite parameters gives infinite outputs, as in NumPy)."""
        if engine.first_nonfinite_row(outputs.reshape(-1, self.shape[-1])) >= 0:
            _checks.finite_parameters(self.parameters, self.shape,
                                      "the network's parameters are not finite")

    def backprop(self, input_values, expected_result):
        """Return the gradient of the cost ``1/2 ||a_L - y||^2`` for one sample.

        (For a network with a softmax output layer, which the squared error
        cannot train, the gradient of the cross-entropy.)

        The original program's per-sample gradient, computed by the compiled
        core: the gradient that `Trainer.train` averages over a batch.

        Parameters
        ----------
        input_values : array_like, shape (shape[0],)
        expected_result : array_like, shape (shape[-1],)

        Returns
        -------
        list of [numpy.ndarray, numpy.ndarray]
            ``[nabla_w, nabla_b]`` per layer, **from the last layer to the
            first** (as in the original): ``nabla_w`` has the shape of that
            layer's weights, ``nabla_b`` of its biases.  Fresh arrays.

        Raises
        ------
        ValueError, TypeError
            If either vector has the wrong length, holds NaN or infinity, or
            does not hold real numbers.
        """
        x = self._sample(input_values, "input_values")
        y = self._sample(expected_result, "expected_result", layer=-1)
        loss = losses.default_for(self.activations[-1]).name
        grad, _ = self._engine.gradient(x[None, :], y[None, :], np.zeros(1, np.intp), loss, 1)
        self._forward_one(x)
        return [[w, b] for w, b in reversed(list(zip(*_layout.split(grad, self.shape))))]

    def dec_weights(self, layer_n, weights_decrement):
        """Subtract ``weights_decrement`` from the weights of layer ``layer_n``.

        ``layer_n`` counts as ``network.layers`` does: 1 is the first layer
        after the input, -1 the output layer.  The decrement broadcasts as in
        NumPy (a number, or an array of the weights' shape).
        """
        index = self._layer_index(layer_n, "layer_n") - 1
        self._subtract(self._weights[index], weights_decrement, "weights_decrement",
                       f"weights[{index}]")

    def dec_biases(self, layer_n, biases_decrement):
        """Subtract ``biases_decrement`` from the biases of layer ``layer_n``
        (counted as in `dec_weights`)."""
        index = self._layer_index(layer_n, "layer_n") - 1
        self._subtract(self._biases[index], biases_decrement, "biases_decrement",
                       f"biases[{index}]")

    def reset_optimizer(self):
        """Forget the optimizer state (velocities, Adam's moments and step count).

        `nnext.fit` keeps that state beside the parameters, so that a second
        call continues where the first stopped; after this call the next
        `fit` starts its optimizer afresh.  A `fit` with another optimizer
        than the last one starts afresh by itself.
        """
        self._engine.reset_optimizer()

    # --- helpers ---------------------------------------------------------------

    def _sample(self, values, name, layer=0):
        """One sample for layer 0 (inputs) or -1 (outputs), checked, as a vector
        of the network's dtype."""
        array = _checks.numeric_array(values, name, ndims=(1,))
        if len(array) != self.shape[layer]:
            which = "input" if layer == 0 else "output"
            raise ValueError(f"{name} must have {self.shape[layer]} values (the network's "
                             f"{which} layer); got {len(array)}")
        array = np.ascontiguousarray(array, dtype=self.dtype)
        if not np.isfinite(array).all():
            raise ValueError(f"{name} must be finite; got NaN or infinity")
        return array

    def _forward_one(self, x):
        activations = self._engine.forward_layers(x)
        self._last_sample = (x.copy(), activations)
        output = activations[-self.shape[-1]:].copy()
        self._check_output(output)
        return output

    def last_output(self, layer):
        """The activations of ``layer`` (0: the inputs) for the last single
        sample given to `feedforward` or `backprop` (zeros before the first):
        what ``layers[layer].output`` shows, as in the original."""
        if self._last_sample is None:
            return np.zeros(self.shape[layer], self.dtype)
        inputs, activations = self._last_sample
        if layer == 0:
            return inputs
        start = sum(self.shape[1:layer])
        return activations[start:start + self.shape[layer]]

    def _layer_index(self, layer_n, name):
        count = len(self.shape)
        if not _checks.is_int(layer_n) or not -count <= layer_n < count:
            raise ValueError(f"{name} must be an integer from 1 to {count - 1} (or -1 to "
                             f"{1 - count}); got {layer_n!r}")
        index = layer_n % count
        if index == 0:
            raise ValueError(f"{name} must be an integer from 1 to {count - 1}; got "
                             f"{layer_n!r}, the input layer, which has no weights or biases")
        return index

    def _subtract(self, target, values, name, what):
        """``target -= values`` (broadcast), unless a result would not be finite."""
        array = _checks.numeric_array(values, name, ndims=range(target.ndim + 1))
        try:
            np.broadcast_shapes(array.shape, target.shape)
        except ValueError:
            raise ValueError(f"{name} must be a number or an array of shape {target.shape}; "
                             f"got shape {array.shape}") from None
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise ValueError(f"{name} must be finite; got NaN or infinity")
        result = target.copy()
        with np.errstate(over="ignore", invalid="ignore"):
            result -= array
        if not np.isfinite(result).all():
            raise ValueError(f"{name} would make {what} infinite (too large for "
                             f"{self.dtype.name}); the network is unchanged")
        target[...] = result


def _initial_parameters(shape, init, rng):
    """Flat float64 parameters drawn as ``init`` says (see `NeuralNetwork`)."""
    if init == "uniform":
        return rng.random(_layout.parameter_count(shape)) - 0.5
    params = np.zeros(_layout.parameter_count(shape))
    for weights, (n_in, n_out) in zip(_layout.split(params, shape)[0], zip(shape, shape[1:])):
        if init == "glorot":
            limit = np.sqrt(6.0 / (n_in + n_out))
            weights[...] = rng.uniform(-limit, limit, weights.shape)
        else:
            weights[...] = rng.normal(0.0, np.sqrt(2.0 / n_in), weights.shape)
    return params


def check_network(network):
    """Raise TypeError unless ``network`` is a `NeuralNetwork`."""
    if not isinstance(network, NeuralNetwork):
        raise TypeError(f"network must be a NeuralNetwork; got {type(network).__name__}")


def __getattr__(name):
    # The original program imported these from its network module.
    if name in ("serialize_neural_network", "load_from_file"):
        from . import io
        return getattr(io, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Fully connected sigmoid networks, and saving and loading them."""
import threading

import numpy as np

from . import _checks, _core, textformat


class NeuralNetwork:
    """A fully connected feedforward network with a sigmoid on every layer.

    Parameters
    ----------
    shape : list of int
        Neurons per layer, input layer first; at least two layers.
    seed : None, int or numpy.random.Generator, optional
        Source of the initial weights and biases, drawn uniformly from
        [-0.5, 0.5) as in the original program.  Keyword only.
    dtype : {numpy.float64, numpy.float32}, optional
        Type of the parameters and of all computation.  Keyword only.

    Attributes
    ----------
    shape : tuple of int
        Neurons per layer.
    dtype : numpy.dtype
        Type of the parameters.
    weights : tuple of numpy.ndarray
        ``weights[i]`` connects layer ``i`` to layer ``i + 1`` and has shape
        ``(shape[i + 1], shape[i])``: row ``j`` holds the weights into neuron
        ``j``.  The arrays are views of the network's parameters: change them
        in place (``network.weights[0][...] = w``) to set a layer.
    biases : tuple of numpy.ndarray
        ``biases[i]`` has shape ``(shape[i + 1],)``; views, like ``weights``.

    Examples
    --------
    >>> from nnext.network import NeuralNetwork
    >>> network = NeuralNetwork([784, 20, 10], seed=0)
    >>> network.weights[0].shape
    (20, 784)
    >>> network.feedforward(np.zeros(784)).shape
    (10,)
    """

    def __init__(self, shape, *, seed=None, dtype=np.float64):
        dtype = _checks.dtype(dtype)
        shape = _checks.shape(shape, dtype.itemsize)
        rng = _checks.generator(seed)
        params = rng.random(_checks.parameter_count(shape)) - 0.5
        self._set_up(shape, params.astype(dtype, copy=False))

    @classmethod
    def _from_parameters(cls, shape, params):
        network = cls.__new__(cls)
        network._set_up(shape, params)
        return network

    def _set_up(self, shape, params):
        self._shape = tuple(shape)
        self._sizes = np.array(shape, dtype=np.intp)
        self._params = params
        weights, biases = [], []
        start = 0
        for n_in, n_out in zip(shape, shape[1:]):
            weights.append(params[start:start + n_out * n_in].reshape(n_out, n_in))
            start += n_out * n_in
            biases.append(params[start:start + n_out])
            start += n_out
        self._weights = tuple(weights)
        self._biases = tuple(biases)
        self._training = threading.Lock()

    @property
    def shape(self):
        return self._shape

    @property
    def dtype(self):
        return self._params.dtype

    @property
    def weights(self):
        return self._weights

    @property
    def biases(self):
        return self._biases

    def copy(self):
        """Return an independent network with the same shape, dtype and parameters."""
        return NeuralNetwork._from_parameters(self._shape, self._params.copy())

    def __repr__(self):
        return f"NeuralNetwork({list(self._shape)}, dtype={self.dtype.name})"

    def feedforward(self, input_values, *, num_threads=None):
        """Return the output layer's activations for one input or many.

        Parameters
        ----------
        input_values : array_like
            One sample, shape ``(shape[0],)``, or many, shape
            ``(n_samples, shape[0])``.  Any real dtype; converted to the
            network's dtype.

        Returns
        -------
        numpy.ndarray
            Shape ``(shape[-1],)`` for one sample, ``(n_samples, shape[-1])``
            for many.
        num_threads : int, optional
            Threads to share the samples between (default: all available
            cores; blocks of 256 samples are the unit of sharing).  Keyword only.

        Raises
        ------
        ValueError
            If the input has the wrong number of values or holds NaN or infinity.
        TypeError
            If the input does not hold real numbers.
        """
        array = _checks.numeric_array(input_values, "input_values", ndims=(1, 2))
        single = array.ndim == 1
        X = _checks.matrix(array.reshape(1, -1) if single else array, self._shape[0],
                           "input_values", self.dtype, "sample", check_finite=False)
        threads = _checks.num_threads(num_threads)
        out = np.empty((X.shape[0], self._shape[-1]), dtype=self.dtype)
        bad_row = _core.feedforward(self._sizes, self._params, X, out,
                                    self._forward_work(len(X), threads), threads)
        if bad_row >= 0:
            raise _checks.nonfinite_row(bad_row, "input_values", "sample")
        return out[0] if single else out

    def _forward_work(self, n_samples, threads):
        size = _core.forward_workspace_size(self._sizes, n_samples, threads)
        return np.empty(size, self.dtype)


def serialize_neural_network(network, file):
    """Write ``network`` to an open text file in the original program's format.

    Float64 parameters are written with Python's shortest round-trip repr, so
    loading the file gives bit-identical weights.

    Parameters
    ----------
    network : NeuralNetwork
    file : file object opened for writing text

    Examples
    --------
    >>> with open("network_setup.txt", "w") as f:       # doctest: +SKIP
    ...     serialize_neural_network(network, f)
    """
    _check_network(network)
    textformat.write(file, network.shape, network._params)


def load_from_file(file, *, dtype=np.float64):
    """Read a network written by `serialize_neural_network` or the original program.

    Parameters
    ----------
    file : file object opened for reading (text or binary)
    dtype : {numpy.float64, numpy.float32}, optional

    Returns
    -------
    NeuralNetwork

    Raises
    ------
    ValueError
        If the file is empty, truncated, malformed, holds non-finite values or
        a shape that cannot be built.  The file is never evaluated as code.
    """
    dtype = _checks.dtype(dtype)
    shape, params = textformat.read(file)
    return NeuralNetwork._from_parameters(shape, params.astype(dtype, copy=False))


def save(network, path):
    """Save ``network`` to ``path`` in the text format, atomically.

    The file is written beside ``path`` and renamed into place, so an error
    half-way leaves any previous file at ``path`` untouched.

    Parameters
    ----------
    network : NeuralNetwork
    path : str or path-like

    Raises
    ------
    OSError
        If the file cannot be written; ``path`` is then as it was.

    Examples
    --------
    >>> nnext.save(network, "digits_recognizer_setup.txt")   # doctest: +SKIP
    """
    _check_network(network)
    textformat.atomic_save(path, lambda file: serialize_neural_network(network, file))


def load(path, *, dtype=np.float64):
    """Load a network from the file at ``path``.

    Parameters
    ----------
    path : str or path-like
    dtype : {numpy.float64, numpy.float32}, optional

    Returns
    -------
    NeuralNetwork

    Raises
    ------
    ValueError
        If the file is not a well-formed network; see `load_from_file`.
    """
    with open(path, "rb") as file:
        return load_from_file(file, dtype=dtype)


def _check_network(network):
    if not isinstance(network, NeuralNetwork):
        raise TypeError(f"network must be a NeuralNetwork; got {type(network).__name__}")

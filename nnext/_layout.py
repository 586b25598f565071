"""The flat parameter layout, described once.

A network of layer sizes n_0, ..., n_L keeps all its parameters in one flat
buffer: for each layer l = 1..L, its weights (n_l rows of n_{l-1} values,
row-major), then its n_l biases.  The compiled core walks the same layout
with pointers; everything in Python asks this module.
"""
import numpy as np

#: Bytes to which every buffer of parameters, optimizer state and work is aligned:
#: a cache line, so that the kernels' 64-byte loads never straddle two.
ALIGNMENT = 64


def aligned_empty(count, dtype):
    """An uninitialised 1-D array of ``count`` values whose data starts on an
    ALIGNMENT-byte boundary."""
    dtype = np.dtype(dtype)
    raw = np.empty(count * dtype.itemsize + ALIGNMENT, np.uint8)
    start = -raw.ctypes.data % ALIGNMENT
    return raw[start:start + count * dtype.itemsize].view(dtype)


def aligned_copy(array):
    """``array`` (1-D) itself if its data is aligned, else an aligned copy."""
    if array.ctypes.data % ALIGNMENT == 0 and array.flags.c_contiguous:
        return array
    copy = aligned_empty(len(array), array.dtype)
    copy[...] = array
    return copy


def parameter_count(shape):
    """Weights and biases of a network of this shape."""
    return sum(n_out * (n_in + 1) for n_in, n_out in zip(shape, shape[1:]))


def split(params, shape):
    """Views of ``params`` as per-layer weights and biases.

    Returns
    -------
    weights : tuple of numpy.ndarray
        ``weights[i]`` has shape ``(shape[i + 1], shape[i])``.
    biases : tuple of numpy.ndarray
        ``biases[i]`` has shape ``(shape[i + 1],)``.
    """
    weights, biases = [], []
    start = 0
    for n_in, n_out in zip(shape, shape[1:]):
        weights.append(params[start:start + n_out * n_in].reshape(n_out, n_in))
        start += n_out * n_in
        biases.append(params[start:start + n_out])
        start += n_out
    return tuple(weights), tuple(biases)


def join(weights, biases):
    """The flat parameters (a new array) of per-layer ``weights`` and ``biases``
    shaped as `split` gives them."""
    return np.concatenate([part for w, b in zip(weights, biases) for part in (w.ravel(), b)])


def location(index, shape):
    """Where the flat parameter ``index`` lives, as ``"weights[i][row, column]"``
    or ``"biases[i][row]"`` (``i`` counts the layers after the input from 0)."""
    start = 0
    for layer, (n_in, n_out) in enumerate(zip(shape, shape[1:])):
        if index < start + n_out * n_in:
            row, column = divmod(index - start, n_in)
            return f"weights[{layer}][{row}, {column}]"
        start += n_out * n_in
        if index < start + n_out:
            return f"biases[{layer}][{index - start}]"
        start += n_out
    raise IndexError(f"parameter {index} is past the end of a network of shape {list(shape)}")

"""The original program's layer objects, as views of a `NeuralNetwork`.

Code written for the original reaches a network's layers through
``network.layers``: the input layer first, then one object per weight layer.
Here those objects hold no data of their own: a layer's ``weights`` and
``biases`` are live views of the network's parameters, and its ``output`` is
the layer's activations for the last single sample the network computed.
"""
import textwrap

import numpy as np


class NeuralInputLayer:
    """The input layer of a network: it has neurons and an output, no weights.

    Attributes
    ----------
    neuron_count : int
        Inputs of the network.
    output : numpy.ndarray
        The last single sample given to `NeuralNetwork.feedforward` or
        `NeuralNetwork.backprop` (zeros before the first).
    """

    def __init__(self, network):
        self._network = network

    @property
    def neuron_count(self):
        return self._network.shape[0]

    @property
    def output(self):
        return self._network.last_output(0)

    def __str__(self):
        return _tagged("NeuralInputLayer", [("Output", self.output)])


class NeuralLayer:
    """A layer after the input layer: its neurons' weights, biases and output.

    Attributes
    ----------
    weights : numpy.ndarray, shape (neuron_count, neurons in the previous layer)
        A live view of the network's parameters.  Assigning an array copies it
        into the network (``layer.weights = w``), as in the original.
    biases : numpy.ndarray, shape (neuron_count,)
        A live view, like ``weights``.
    neuron_count : int
    output : numpy.ndarray, shape (neuron_count,)
        This layer's activations for the last single sample given to
        `NeuralNetwork.feedforward` or `NeuralNetwork.backprop` (zeros before
        the first).
    """

    def __init__(self, network, index):
        self._network = network
        self._index = index

    @property
    def neuron_count(self):
        return self._network.shape[self._index]

    @property
    def weights(self):
        return self._network.weights[self._index - 1]

    @weights.setter
    def weights(self, values):
        _assign(self.weights, values, f"layers[{self._index}].weights")

    @property
    def biases(self):
        return self._network.biases[self._index - 1]

    @biases.setter
    def biases(self, values):
        _assign(self.biases, values, f"layers[{self._index}].biases")

    @property
    def output(self):
        return self._network.last_output(self._index)

    def __str__(self):
        return _tagged("NeuralLayer", [("Weights", self.weights), ("Biases", self.biases),
                                       ("Output", self.output)])


def _assign(view, values, name):
    array = np.asarray(values)
    if array.shape != view.shape:
        raise ValueError(f"{name} must have shape {view.shape}; got {array.shape}")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers; got dtype {array.dtype}")
    with np.errstate(over="ignore", invalid="ignore"):
        converted = array.astype(view.dtype)
    if not np.isfinite(converted).all():
        raise ValueError(f"{name} must be finite numbers that fit {view.dtype.name}; got NaN, "
                         f"infinity or a value too large")
    view[...] = converted


def _tagged(tag, parts):
    """The original's text form: <Tag> <Part> values </Part> ... </Tag>."""
    lines = [f"<{tag}>"]
    for name, values in parts:
        lines += [f"  <{name}>", textwrap.indent(str(values), "    "), f"  </{name}>"]
    lines.append(f"</{tag}>")
    return "\n".join(lines)

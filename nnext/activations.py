"""The activations a layer can have: one table.

Each row says the activation's code in the compiled core, whether only the
output layer may have it, and whether its outputs are probabilities (so that
an accuracy means something).  The core computes each activation and its
derivative from the activation's output a (it does not keep the weighted
input z); `nnext.engine` checks at import that the core knows the same codes.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Activation:
    """One activation of the table.

    Attributes
    ----------
    name : str
    code : int
        Its number in the compiled core.
    formula : str
        a = f(z), and f'(z) in terms of a.
    output_only : bool
        Only the output layer may have it (it acts on the whole layer, or
        only one loss can train it).
    probabilities : bool
        Its outputs are probabilities: of exclusive classes (softmax) or of
        each output (sigmoid).
    """

    name: str
    code: int
    formula: str
    output_only: bool = False
    probabilities: bool = False


ACTIVATIONS = {activation.name: activation for activation in (
    Activation("sigmoid", 0, "a = 1 / (1 + exp(-z)); f' = a (1 - a)", probabilities=True),
    Activation("tanh", 1, "a = tanh z; f' = 1 - a^2"),
    Activation("relu", 2, "a = max(z, 0); f' = 1 where a > 0, else 0"),
    Activation("identity", 3, "a = z; f' = 1"),
    Activation("softmax", 4, "a_i = exp(z_i) / sum_j exp(z_j), over the layer",
               output_only=True, probabilities=True),
    Activation("exp", 5, "a = exp(z), for counts with the Poisson loss", output_only=True),
    Activation("leaky_relu", 6, "a = z where z > 0, else 0.01 z; f' = 1 where a > 0, else 0.01"),
    Activation("elu", 7, "a = z where z > 0, else exp(z) - 1; f' = 1 where a > 0, else a + 1"),
)}


def check(value, n_layers):
    """The activation of each of ``n_layers`` layers, from None (all sigmoid), one
    name (all of them) or a list of names, checked."""
    if value is None:
        return ("sigmoid",) * n_layers
    if isinstance(value, str):
        names = [value] * n_layers
    elif isinstance(value, (list, tuple)):
        names = list(value)
        if len(names) != n_layers:
            raise ValueError(f"activations must name {n_layers} layers (every layer after the "
                             f"input); got {len(names)} names")
    else:
        raise TypeError(f"activations must be a name or a list of names; got {value!r}")
    for i, name in enumerate(names):
        if name not in ACTIVATIONS:
            raise ValueError(f"activations[{i}] must be one of {', '.join(ACTIVATIONS)}; "
                             f"got {name!r}")
        if ACTIVATIONS[name].output_only and i != n_layers - 1:
            raise ValueError(f"activations[{i}] is {name!r}, which only the output layer "
                             f"may have")
    return tuple(names)

"""The losses training can minimise: one table.

Each row says the loss's code in the compiled core, the output activations
it can train, the ones it is the default for, the factor by which a
reported loss scales the core's sum, and what its targets must be.  The
core computes every loss's output delta as a - y (for the squared error,
times the activation's derivative); `nnext.engine` checks at import that
the core knows the same codes.
"""
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Loss:
    """One loss of the table.

    Attributes
    ----------
    name : str
    code : int
        Its number in the compiled core.
    formula : str
        The loss of one sample, as the core sums it.
    outputs : tuple of str
        The output activations it can train.
    default_for : tuple of str
        The output activations for which `nnext.fit` takes it by default.
    scale : float
        A reported loss (`nnext.fit`'s history, scikit-learn's ``loss_``) is
        this factor times the core's sum, over the samples.
    targets : str
        What its targets must be: "any", "probabilities" or "counts".
    """

    name: str
    code: int
    formula: str
    outputs: tuple
    default_for: tuple
    scale: float = 1.0
    targets: str = "any"

    def check_targets(self, Y, output_activation, name):
        """Raise ValueError unless the rows of targets ``Y`` are what this loss
        measures: probabilities (rows summing to 1 for a softmax output) or
        counts >= 0."""
        if self.targets == "counts" and (Y < 0).any():
            row = int(np.flatnonzero((Y < 0).any(axis=1))[0])
            raise ValueError(f"{name} must be counts >= 0 for loss={self.name!r}; row {row} "
                             f"holds {Y[row].min()}")
        if self.targets != "probabilities":
            return
        outside = (Y < 0) | (Y > 1)
        if outside.any():
            row = int(np.flatnonzero(outside.any(axis=1))[0])
            raise ValueError(f"{name} must be probabilities in [0, 1] for loss={self.name!r} "
                             f"(one-hot rows for classes: np.eye(n_classes)[labels]); row "
                             f"{row} holds {Y[row][outside[row]][0]}")
        if output_activation == "softmax":
            sums = Y.sum(axis=1, dtype=np.float64)
            wrong = np.abs(sums - 1) > SUM_TOLERANCE
            if wrong.any():
                row = int(np.flatnonzero(wrong)[0])
                raise ValueError(f"{name} must be rows of probabilities summing to 1 for a "
                                 f"softmax output layer (one-hot rows: "
                                 f"np.eye(n_classes)[labels]); row {row} sums to {sums[row]}")


#: How far from 1 a row of probabilities may sum (float32 probabilities of
#: another model, label smoothing computed in float32).
SUM_TOLERANCE = 1e-4

LOSSES = {loss.name: loss for loss in (
    Loss("squared_error", 0, "||a - y||^2 (reported halved: 1/2 ||a - y||^2)",
         outputs=("sigmoid", "tanh", "relu", "identity"),
         default_for=("sigmoid", "tanh", "relu", "identity"), scale=0.5),
    Loss("cross_entropy", 1, "-sum y log a (softmax); -sum y log a + (1 - y) log(1 - a) "
                             "(sigmoid)",
         outputs=("softmax", "sigmoid"), default_for=("softmax",), targets="probabilities"),
    Loss("poisson", 2, "sum y log(y / a) - y + a (half the Poisson deviance)",
         outputs=("exp",), default_for=("exp",), targets="counts"),
)}


def default_for(output_activation):
    """The loss that trains an output layer of this activation by default."""
    return next(loss for loss in LOSSES.values() if output_activation in loss.default_for)


def check(name, output_activation):
    """The loss called ``name`` (None: the default for the output layer), after
    checking that it can train that output layer."""
    if name is None:
        return default_for(output_activation)
    if not isinstance(name, str) or name not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}; got {name!r}")
    loss = LOSSES[name]
    if output_activation not in loss.outputs:
        able = [other.name for other in LOSSES.values() if output_activation in other.outputs]
        raise ValueError(f"loss={name!r} cannot train a {output_activation!r} output layer "
                         f"(it trains {', '.join(loss.outputs)}); use loss={able[0]!r}")
    return loss

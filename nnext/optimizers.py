"""The optimizers of `nnext.fit`: their settings, checked.

Each step moves the parameters w by their mean gradient g over a batch, with
weight decay ``l2`` on the weights (not the biases): d = g + l2 w.  The steps
themselves run in the compiled core, which keeps each optimizer's state
(velocities, Adam's moments and step count) beside the network's parameters.
"""
from . import _checks


class SGD:
    """Plain stochastic gradient descent: w -= learning_rate * d.

    Parameters
    ----------
    learning_rate : float > 0, optional
    """

    name = "sgd"

    def __init__(self, learning_rate=0.01):
        self.learning_rate = _checks.positive_float(learning_rate, "learning_rate")

    def __repr__(self):
        settings = ", ".join(f"{key}={value!r}" for key, value in vars(self).items())
        return f"{type(self).__name__}({settings})"

    def settings(self, **extra):
        """The settings the core's training loop reads: the name, these
        attributes, and ``extra`` (such as the weight decay ``l2``)."""
        return {"name": self.name, **vars(self), **extra}


class Momentum(SGD):
    """Gradient descent with momentum: v = momentum * v - learning_rate * d,
    then w += v; with ``nesterov``, w += momentum * v - learning_rate * d
    instead (Nesterov's accelerated gradient, as scikit-learn writes it).

    Parameters
    ----------
    learning_rate : float > 0, optional
    momentum : float in [0, 1), optional
    nesterov : bool, optional
    """

    name = "momentum"

    def __init__(self, learning_rate=0.01, momentum=0.9, nesterov=False):
        super().__init__(learning_rate)
        self.momentum = _checks.nonnegative_float(momentum, "momentum")
        if self.momentum >= 1:
            raise ValueError(f"momentum must be a number in [0, 1); got {momentum!r}")
        self.nesterov = _checks.flag(nesterov, "nesterov")


class Adam(SGD):
    """Adam (Kingma and Ba, 2015, Algorithm 1), with bias correction:
    m = beta1 m + (1 - beta1) d, v = beta2 v + (1 - beta2) d^2, and at step t
    w -= learning_rate * m_hat / (sqrt(v_hat) + epsilon), where
    m_hat = m / (1 - beta1^t) and v_hat = v / (1 - beta2^t).

    Parameters
    ----------
    learning_rate : float > 0, optional
    beta1, beta2 : float in [0, 1), optional
    epsilon : float > 0, optional
    """

    name = "adam"

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8):
        super().__init__(learning_rate)
        for name, value in (("beta1", beta1), ("beta2", beta2)):
            checked = _checks.nonnegative_float(value, name)
            if checked >= 1:
                raise ValueError(f"{name} must be a number in [0, 1); got {value!r}")
            setattr(self, name, checked)
        self.epsilon = _checks.positive_float(epsilon, "epsilon")


OPTIMIZERS = {cls.name: cls for cls in (SGD, Momentum, Adam)}


def optimizer(value, learning_rate=None):
    """An optimizer from a name (with ``learning_rate``, or its default) or an
    optimizer object (then ``learning_rate`` must be None)."""
    if isinstance(value, SGD):
        if learning_rate is not None:
            raise ValueError("learning_rate goes into the optimizer object when optimizer is "
                             f"one; got optimizer={value!r} and learning_rate={learning_rate!r}")
        return value
    if isinstance(value, str) and value in OPTIMIZERS:
        cls = OPTIMIZERS[value]
        return cls() if learning_rate is None else cls(learning_rate)
    raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)} or an optimizer "
                     f"object (nnext.SGD, nnext.Momentum, nnext.Adam); got {value!r}")

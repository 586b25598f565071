"""The optimizers of `nnext.fit` and of the scikit-learn estimators.

Each step moves the parameters w by their mean gradient g over a batch, with
weight decay ``l2`` on the weights (not the biases): d = g + l2 w.  An
optimizer object holds its settings, checked, and declares how much state it
keeps: ``state_vectors`` vectors as long as the parameters (momentum's
velocity; Adam's two moments; RMSprop's mean square), which the engine keeps beside the parameters
with the count of steps taken.  The steps themselves run in the compiled
core, which reads the settings (`settings`) and knows each optimizer by its
``code``.
"""
from . import _checks


class SGD:
    """Plain stochastic gradient descent: w -= learning_rate * d.

    Parameters
    ----------
    learning_rate : float > 0, optional
    """

    name = "sgd"
    code = 0
    state_vectors = 0

    def __init__(self, learning_rate=0.01):
        self.learning_rate = _checks.positive_float(learning_rate, "learning_rate")

    def __repr__(self):
        settings = ", ".join(f"{key}={value!r}" for key, value in vars(self).items())
        return f"{type(self).__name__}({settings})"

    def settings(self, l2=0.0, l2_over_weight=False):
        """The settings the core's epoch reads: the name, these attributes, the
        weight decay ``l2``, and whether its gradient l2 w is divided by the
        batch's total sample weight (scikit-learn's alpha)."""
        return {"name": self.name, **vars(self), "l2": float(l2),
                "l2_over_weight": bool(l2_over_weight)}

    @staticmethod
    def check_state(state):
        """Raise ValueError unless ``state`` (one row per state vector) is a state
        this optimizer can reach."""


class Momentum(SGD):
    """Gradient descent with momentum: v = momentum * v - learning_rate * d,
    then w += v; with ``nesterov``, w += momentum * v - learning_rate * d
    instead (Nesterov's accelerated gradient, as scikit-learn writes it).

    Parameters
    ----------
    learning_rate : float > 0, optional
    momentum : float in [0, 1], optional
    nesterov : bool, optional
    """

    name = "momentum"
    code = 1
    state_vectors = 1

    def __init__(self, learning_rate=0.01, momentum=0.9, nesterov=False):
        super().__init__(learning_rate)
        self.momentum = _checks.nonnegative_float(momentum, "momentum")
        if self.momentum > 1:
            raise ValueError(f"momentum must be a number in [0, 1]; got {momentum!r}")
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
    epsilon_hat : bool, optional
        Keyword only.  Add epsilon to sqrt(v) before the bias correction
        instead of after it: w -= learning_rate * sqrt(1 - beta2^t) / (1 -
        beta1^t) * m / (sqrt(v) + epsilon) (Kingma and Ba's "epsilon hat",
        scikit-learn's form).  The steps differ only where sqrt(v_hat) is
        near epsilon.
    """

    name = "adam"
    code = 2
    state_vectors = 2

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8, *,
                 epsilon_hat=False):
        super().__init__(learning_rate)
        for name, value in (("beta1", beta1), ("beta2", beta2)):
            checked = _checks.nonnegative_float(value, name)
            if checked >= 1:
                raise ValueError(f"{name} must be a number in [0, 1); got {value!r}")
            setattr(self, name, checked)
        self.epsilon = _checks.positive_float(epsilon, "epsilon")
        self.epsilon_hat = _checks.flag(epsilon_hat, "epsilon_hat")

    @staticmethod
    def check_state(state):
        if (state[1] < 0).any():
            raise ValueError("the state of optimizer 'adam' must hold a second moment >= 0")


class RMSprop(SGD):
    """RMSprop (Hinton's lecture 6e), as PyTorch defines it: v = rho v +
    (1 - rho) d^2, then w -= learning_rate * d / (sqrt(v) + epsilon).

    (Keras adds epsilon inside the square root and decays with rho = 0.9.)

    Parameters
    ----------
    learning_rate : float > 0, optional
    rho : float in [0, 1), optional
        The decay of the running mean of the squared gradients (PyTorch's
        ``alpha``).
    epsilon : float > 0, optional
    """

    name = "rmsprop"
    code = 3
    state_vectors = 1

    def __init__(self, learning_rate=0.01, rho=0.99, epsilon=1e-8):
        super().__init__(learning_rate)
        self.rho = _checks.nonnegative_float(rho, "rho")
        if self.rho >= 1:
            raise ValueError(f"rho must be a number in [0, 1); got {rho!r}")
        self.epsilon = _checks.positive_float(epsilon, "epsilon")

    @staticmethod
    def check_state(state):
        if (state[0] < 0).any():
            raise ValueError("the state of optimizer 'rmsprop' must hold a mean square >= 0")


#: The optimizers by name.
OPTIMIZERS = {cls.name: cls for cls in (SGD, Momentum, Adam, RMSprop)}


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
                     f"object (nnext.SGD, nnext.Momentum, nnext.Adam, nnext.RMSprop); got "
                     f"{value!r}")

"""Learning-rate schedules for `nnext.fit`.

A schedule scales the optimizer's learning rate (the *base* rate) step by
step: `fit` starts it with the base rate, the steps an epoch takes and the
epochs it may run, asks it before each epoch for the rate of each of that
epoch's steps, and tells it the monitored loss after each epoch (which only
`ReduceOnPlateau` reads).  The rates go to the compiled core with the epoch,
so a schedule costs nothing per step.  Steps are counted from 0 over the
whole run; epochs too.

The definitions follow PyTorch's ``torch.optim.lr_scheduler`` where it has
the same schedule (``StepLR``, ``ExponentialLR``, ``OneCycleLR`` with cosine
annealing, ``ReduceLROnPlateau`` in "min" mode with a relative threshold).
"""
import math

import numpy as np

from . import _checks


class Constant:
    """The base rate at every step (what `fit` does without a schedule)."""

    def start(self, base, steps_per_epoch, epochs):
        """Begin a run at learning rate ``base``, ``steps_per_epoch`` steps an
        epoch, at most ``epochs`` epochs."""
        self.base = float(base)
        self.steps_per_epoch = steps_per_epoch
        self.total_steps = steps_per_epoch * epochs

    def rates(self, first_step, n_steps):
        """The learning rates of steps first_step .. first_step + n_steps - 1."""
        return self.rate_at(np.arange(first_step, first_step + n_steps, dtype=np.float64))

    def rate_at(self, steps):
        return np.full(len(steps), self.base)

    def end_epoch(self, monitored_loss):
        """Told the monitored loss (see `nnext.fit`) after each epoch."""

    def __repr__(self):
        settings = ", ".join(f"{key}={value!r}" for key, value in vars(self).items()
                             if key not in ("base", "steps_per_epoch", "total_steps", "scale",
                                            "best", "bad_epochs"))
        return f"{type(self).__name__}({settings})"


class StepDecay(Constant):
    """The base rate times ``gamma`` once every ``step_size`` epochs:
    base * gamma ** (epoch // step_size) (PyTorch's ``StepLR``).

    Parameters
    ----------
    step_size : int >= 1
        Epochs between two decays.
    gamma : float in (0, 1], optional
    """

    def __init__(self, step_size, gamma=0.1):
        self.step_size = _checks.positive_int(step_size, "step_size")
        self.gamma = _fraction(gamma, "gamma")

    def rate_at(self, steps):
        epochs = steps // self.steps_per_epoch
        return self.base * self.gamma ** (epochs // self.step_size)


class Exponential(Constant):
    """The base rate times ``gamma`` every epoch: base * gamma ** epoch
    (PyTorch's ``ExponentialLR``).

    Parameters
    ----------
    gamma : float in (0, 1]
    """

    def __init__(self, gamma):
        self.gamma = _fraction(gamma, "gamma")

    def rate_at(self, steps):
        return self.base * self.gamma ** (steps // self.steps_per_epoch)


class CosineWithWarmup(Constant):
    """A linear warm-up from base / W to the base rate over the first W steps
    (W = ``warmup_epochs`` epochs' steps), then a cosine decay to
    ``min_rate`` at the run's last step: at step t >= W of T steps,
    min_rate + (base - min_rate) (1 + cos(pi (t - W) / (T - W))) / 2
    (Loshchilov and Hutter's SGDR without restarts, with Goyal et al.'s warm-up).

    Parameters
    ----------
    warmup_epochs : float >= 0, optional
        May be a fraction of an epoch.
    min_rate : float >= 0, optional
    """

    def __init__(self, warmup_epochs=1.0, min_rate=0.0):
        self.warmup_epochs = _checks.nonnegative_float(warmup_epochs, "warmup_epochs")
        self.min_rate = _checks.nonnegative_float(min_rate, "min_rate")

    def rate_at(self, steps):
        warmup = round(self.warmup_epochs * self.steps_per_epoch)
        if warmup >= self.total_steps:
            raise ValueError(f"warmup_epochs={self.warmup_epochs} leaves no step of the "
                             f"{self.total_steps} to decay in")
        decay = np.clip((steps - warmup) / max(1, self.total_steps - 1 - warmup), 0, 1)
        cosine = self.min_rate + (self.base - self.min_rate) * (1 + np.cos(np.pi * decay)) / 2
        return np.where(steps < warmup, self.base * (steps + 1) / max(1, warmup), cosine)


class OneCycle(Constant):
    """Smith's one-cycle policy as PyTorch's ``OneCycleLR`` (cosine
    annealing, two phases): from max_rate / ``div_factor`` up to ``max_rate``
    over the first ``pct_start`` of the run's steps, then down to
    max_rate / (div_factor * final_div_factor) at its last step; each phase
    a cosine: rate = end + (start - end) (1 + cos(pi p)) / 2 at the fraction
    p of the phase.

    Parameters
    ----------
    max_rate : float > 0, optional
        Default: the optimizer's learning rate.
    pct_start : float in (0, 1), optional
    div_factor, final_div_factor : float >= 1, optional
    """

    def __init__(self, max_rate=None, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
        self.max_rate = None if max_rate is None else _checks.positive_float(max_rate,
                                                                             "max_rate")
        self.pct_start = _fraction(pct_start, "pct_start")
        if self.pct_start == 1:
            raise ValueError(f"pct_start must be a number in (0, 1); got {pct_start!r}")
        self.div_factor = _at_least_one(div_factor, "div_factor")
        self.final_div_factor = _at_least_one(final_div_factor, "final_div_factor")

    def rate_at(self, steps):
        peak = self.base if self.max_rate is None else self.max_rate
        initial = peak / self.div_factor
        final = initial / self.final_div_factor
        up_end = float(self.pct_start * self.total_steps) - 1
        down_end = self.total_steps - 1

        def anneal(start, end, fraction):
            return end + (start - end) / 2 * (np.cos(np.pi * fraction) + 1)
        rising = anneal(initial, peak, steps / up_end) if up_end > 0 else np.full(len(steps), peak)
        falling = anneal(peak, final, (steps - up_end) / max(down_end - up_end, 1e-12))
        return np.where(steps <= up_end, rising, falling)


class ReduceOnPlateau(Constant):
    """The base rate, times ``factor`` each time the monitored loss has not
    fallen below best * (1 - threshold) for ``patience`` epochs in a row (and
    never below ``min_rate``), as PyTorch's ``ReduceLROnPlateau`` in "min"
    mode with a relative threshold and no cooldown.  The monitored loss is
    `fit`'s: the validation loss with validation data, else the training loss.

    Parameters
    ----------
    factor : float in (0, 1), optional
    patience : int >= 0, optional
    threshold : float >= 0, optional
    min_rate : float >= 0, optional
    """

    def __init__(self, factor=0.1, patience=10, threshold=1e-4, min_rate=0.0):
        self.factor = _fraction(factor, "factor")
        if self.factor == 1:
            raise ValueError(f"factor must be a number in (0, 1); got {factor!r}")
        self.patience = _checks.positive_int(patience, "patience", minimum=0)
        self.threshold = _checks.nonnegative_float(threshold, "threshold")
        self.min_rate = _checks.nonnegative_float(min_rate, "min_rate")

    def start(self, base, steps_per_epoch, epochs):
        super().start(base, steps_per_epoch, epochs)
        self.scale, self.best, self.bad_epochs = 1.0, math.inf, 0

    def rate_at(self, steps):
        return np.full(len(steps), max(self.base * self.scale, min(self.min_rate, self.base)))

    def end_epoch(self, monitored_loss):
        if monitored_loss < self.best * (1 - self.threshold):
            self.best, self.bad_epochs = monitored_loss, 0
            return
        self.bad_epochs += 1
        if self.bad_epochs > self.patience:
            self.scale *= self.factor
            self.bad_epochs = 0


SCHEDULES = {"constant": Constant, "step": StepDecay, "exponential": Exponential,
             "cosine": CosineWithWarmup, "one_cycle": OneCycle,
             "plateau": ReduceOnPlateau}


def schedule(value):
    """A schedule object from ``value``: None (constant), a schedule object, or
    the name of one that needs no settings ("constant", "cosine",
    "one_cycle", "plateau")."""
    if value is None:
        return Constant()
    if isinstance(value, Constant):
        return value
    if isinstance(value, str) and value in SCHEDULES:
        try:
            return SCHEDULES[value]()
        except TypeError:
            raise ValueError(f"schedule {value!r} needs settings: pass "
                             f"nnext.schedules.{SCHEDULES[value].__name__}(...)") from None
    raise ValueError(f"schedule must be None, one of {', '.join(SCHEDULES)} or a schedule "
                     f"object from nnext.schedules; got {value!r}")


def _fraction(value, name):
    value = _checks.positive_float(value, name)
    if value > 1:
        raise ValueError(f"{name} must be a number in (0, 1]; got {value!r}")
    return value


def _at_least_one(value, name):
    value = _checks.positive_float(value, name)
    if value < 1:
        raise ValueError(f"{name} must be a number of at least 1; got {value!r}")
    return value

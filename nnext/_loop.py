"""What every training loop does around its rounds or epochs.

`Trainer.train` (the original's rounds) and `nnext.fit` (epochs) run inside
`training_run`: it holds the network's engine for the run, times it, shows
and logs each round or epoch, turns Ctrl-C into a warning (the network keeps
the parameters of the last complete step), closes the progress report and
logs a summary.  `diverged` is the error both raise when a step makes the
parameters infinite or NaN.
"""
import contextlib
import time
import warnings


class Run:
    """A training run in progress (what `training_run` yields).

    Attributes
    ----------
    completed : int
        Rounds or epochs completed so far (the loop counts them).
    stopped_because : str
        Why the loop stopped; "interrupted" after Ctrl-C.
    """

    def __init__(self, report, logger):
        self._report = report
        self._logger = logger
        self._started = time.perf_counter()
        self.completed = 0
        self.stopped_because = ""
        self.training_time = 0.0

    def elapsed(self):
        """Seconds since the run started."""
        return time.perf_counter() - self._started

    def done(self, info):
        """A round or epoch is complete: count it, log it, show it."""
        self.completed += 1
        self._logger.debug("%s", info)
        self._report(info)


@contextlib.contextmanager
def training_run(network, report, logger, unit):
    """Run a training loop on ``network``: see the module's docstring.

    ``unit`` names what the loop counts ("round", "epoch"), for the warning
    on Ctrl-C.  The caller logs its own summary from the run's figures.
    """
    with network.engine.training():
        run = Run(report, logger)
        try:
            yield run
        except KeyboardInterrupt:
            run.stopped_because = "interrupted"
            warnings.warn(f"training interrupted after {run.completed} complete {unit}s; the "
                          f"network keeps the parameters of the last complete step",
                          stacklevel=5)
        finally:
            run.training_time = run.elapsed()
            getattr(report, "close", lambda: None)()


def diverged(where, setting, value):
    """The error when a step made a parameter infinite or NaN ``where`` (e.g.
    "at step 3 of round 7"), with the setting (its name and value) to lower."""
    return FloatingPointError(
        f"the parameters became infinite or NaN {where}: {setting}={value} is too large for "
        f"this network and data, try a smaller one. The network keeps the parameters of the "
        f"last finite step.")

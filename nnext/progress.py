"""Showing how training goes while it runs."""
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class RoundInfo:
    """Where training stands after a round of `Trainer.train`.

    Attributes
    ----------
    round : int
        Rounds done, counted from 1.
    cost : float
        Cost of the cost-estimation samples after this round.
    best_cost : float
        Lowest cost so far, the initial cost included.
    rounds_left : int
        Rounds that training will still run if none of them improves (the
        stopping rule's patience left, or the rounds to ``max_rounds``).
    elapsed : float
        Seconds since training started.
    """

    round: int
    cost: float
    best_cost: float
    rounds_left: int
    elapsed: float

    def __str__(self):
        return (f"round {self.round}: cost {self.cost:.6g}, best {self.best_cost:.6g}, "
                f"at most {self.rounds_left} more, {self.elapsed:.1f} s")


class ProgressLine:
    """Shows training progress on a stream: `Trainer.train(..., progress=True)`.

    On a terminal, one line rewritten in place (about ten times a second at
    most); on anything else (a file, a pipe, a CI log), a plain line every
    ``interval`` seconds.  The last round is always shown.

    Parameters
    ----------
    stream : file object, optional
        Where to write (default: standard error).
    interval : float, optional
        Seconds between two lines shown (default 0.1 on a terminal, 2 elsewhere).

    Examples
    --------
    >>> Trainer().train(network, data, 1, 20, 50, progress=ProgressLine(sys.stdout))  # doctest: +SKIP
    """

    def __init__(self, stream=None, *, interval=None):
        self.stream = sys.stderr if stream is None else stream
        isatty = getattr(self.stream, "isatty", None)
        self.live = bool(isatty and isatty())
        self.interval = (0.1 if self.live else 2.0) if interval is None else interval
        self._shown_at = None
        self._unshown = None
        self._width = 0

    def __call__(self, info):
        """Note the state after a round; show it if ``interval`` has passed."""
        if self._shown_at is not None and info.elapsed - self._shown_at < self.interval:
            self._unshown = info
            return
        self._show(info)

    def close(self):
        """Show the last round if it was not shown, and end the line."""
        if self._unshown is not None:
            self._show(self._unshown)
        if self.live and self._width:
            self.stream.write("\n")
            self.stream.flush()
        self._width = 0

    def _show(self, info):
        text = str(info)
        if self.live:
            self.stream.write("\r" + text.ljust(self._width))
            self._width = len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        self._shown_at = info.elapsed
        self._unshown = None


def reporter(progress):
    """What a training loop calls after each round or epoch: a `ProgressLine`
    for True, nothing for False or None, or the given callable."""
    if progress is True:
        return ProgressLine()
    if progress is False or progress is None:
        return lambda info: None
    if callable(progress):
        return progress
    raise TypeError(f"progress must be True, False or a callable; got {progress!r}")

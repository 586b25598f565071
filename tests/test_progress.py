import io

import pytest

from nnext import ProgressLine, RoundInfo


def rounds(*elapsed):
    return [RoundInfo(i, 10.0 / i, 10.0 / i, 100 - i, t) for i, t in enumerate(elapsed, 1)]


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_plain_lines_at_the_interval_and_the_last_round():
    out = io.StringIO()
    line = ProgressLine(out, interval=2.0)
    for info in rounds(0.5, 1.0, 2.5, 3.0, 4.5, 5.0):
        line(info)
    line.close()
    shown = out.getvalue().splitlines()
    # Round 1 at 0.5 s, round 3 (2.5 s), round 5 (4.5 s), then the last at close.
    assert [s.split(":")[0] for s in shown] == ["round 1", "round 3", "round 5", "round 6"]
    assert shown[1] == "round 3: cost 3.33333, best 3.33333, at most 97 more, 2.5 s"
    assert "\r" not in out.getvalue()


def test_a_terminal_gets_one_line_rewritten_in_place():
    out = Terminal()
    line = ProgressLine(out)
    assert line.live and line.interval == 0.1
    for info in rounds(0.0, 0.05, 0.2):
        line(info)
    line.close()
    text = out.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")
    frames = text.rstrip("\n").split("\r")[1:]
    assert [f.split(":")[0] for f in frames] == ["round 1", "round 3"]
    # A shorter line blanks what is left of the longer one before it.
    assert all(len(f) >= len(frames[0]) for f in frames)


def test_close_without_rounds_writes_nothing():
    for out in (io.StringIO(), Terminal()):
        ProgressLine(out).close()
        assert out.getvalue() == ""


@pytest.mark.parametrize("stream, live", [(io.StringIO(), False), (Terminal(), True)])
def test_default_interval_depends_on_the_stream(stream, live):
    line = ProgressLine(stream)
    assert (line.live, line.interval) == (live, 0.1 if live else 2.0)

"""The original program's text format for trained networks, and atomic saving.

The format, line by line::

    3                      number of layers
    784                    size of each layer, one line each
    20
    10
    [0.25, -1.5, ...]      for each layer after the input layer: its weights,
    [0.1, ...]             flattened row-major, then its biases, each a Python
                           list literal of floats

The values appear in the same order as in nnext's flat parameter buffer
(`nnext._layout`), so this module reads and writes ``(shape, params)`` pairs
and knows nothing of networks.  Reading parses numbers with a strict grammar (it never evaluates the
file) and reads every line with a length limit, so a hostile file cannot make
it allocate more than a small multiple of its own size.
"""
import os
import re
import tempfile

import numpy as np

from . import _checks, _layout

MAX_LAYERS = 10_000

# Longer than any float repr (24 characters) plus its ", " separator.
_CHARS_PER_VALUE = 32
_INT_LINE_LIMIT = 64
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_LIST = re.compile(rf"\[\s*(?:{_NUMBER}\s*(?:,\s*{_NUMBER}\s*)*)?\]")


def write(file, shape, params):
    """Write a network given by its shape and flat parameters to an open text file."""
    lines = [str(len(shape))]
    lines += [str(size) for size in shape]
    for weights, biases in zip(*_layout.split(params, shape)):
        lines += [str(weights.ravel().tolist()), str(biases.tolist())]
    file.write("\n".join(lines) + "\n")


class _LineReader:
    """Reads a file line by line, each with a length limit, counting lines."""

    def __init__(self, file):
        self._file = file
        self.number = 0

    def next(self, limit, what):
        self.number += 1
        line = self._file.readline(limit + 2)
        if isinstance(line, bytes):
            try:
                line = line.decode("ascii")
            except UnicodeDecodeError:
                raise ValueError(f"line {self.number} ({what}) is not ASCII text") from None
        if not line:
            raise ValueError(f"the file ends before line {self.number} ({what})")
        if len(line) > limit and not line.endswith("\n"):
            raise ValueError(f"line {self.number} ({what}) is longer than {limit} characters")
        return line.strip()

    def rest(self):
        """Raise unless whatever follows is whitespace."""
        while True:
            chunk = self._file.read(1 << 16)
            if not chunk:
                return
            if chunk.strip():
                raise ValueError(f"unexpected content after line {self.number}")

    def integer(self, what):
        text = self.next(_INT_LINE_LIMIT, what)
        if not re.fullmatch(r"[+-]?\d+", text):
            raise ValueError(f"line {self.number} ({what}) must be an integer; got {text[:40]!r}")
        return int(text)

    def floats(self, count, what):
        text = self.next(_CHARS_PER_VALUE * count + _INT_LINE_LIMIT, what)
        if not _LIST.fullmatch(text):
            raise ValueError(f"line {self.number} ({what}) must be a list of numbers "
                             f"such as [0.25, -1.5]; got {text[:40]!r}")
        inner = text[1:-1].strip()
        parts = inner.split(",") if inner else []
        if len(parts) != count:
            raise ValueError(f"line {self.number} ({what}) must hold {count} values; "
                             f"got {len(parts)}")
        values = np.fromiter(map(float, parts), dtype=np.float64, count=count)
        if not np.isfinite(values).all():
            raise ValueError(f"line {self.number} ({what}) holds a value too large "
                             f"to be a float64")
        return values


def read(file):
    """Read ``(shape, params)`` from an open file in the text format.

    Raises
    ------
    ValueError
        If the file is not a complete, well-formed network in this format.
    """
    reader = _LineReader(file)
    n_layers = reader.integer("the number of layers")
    if not 2 <= n_layers <= MAX_LAYERS:
        raise ValueError(f"the number of layers must be between 2 and {MAX_LAYERS}; "
                         f"got {n_layers}")
    sizes = [reader.integer(f"size of layer {layer}") for layer in range(n_layers)]
    shape = _checks.shape(sizes)
    chunks = []
    for layer, (n_in, n_out) in enumerate(zip(shape, shape[1:]), start=1):
        chunks.append(reader.floats(n_out * n_in, f"weights of layer {layer}"))
        chunks.append(reader.floats(n_out, f"biases of layer {layer}"))
    reader.rest()
    return shape, np.concatenate(chunks)


def atomic_save(path, write_to, binary=False):
    """Call ``write_to(file)`` on a new file beside ``path`` (opened for ASCII
    text, or for bytes if ``binary``), then rename it into place.

    Whatever happens in between (an exception, a full disk, a crash), ``path``
    is either left as it was or replaced by the complete new file.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".nnext-", suffix=".tmp")
    try:
        with (os.fdopen(handle, "wb") if binary
              else os.fdopen(handle, "w", encoding="ascii")) as file:
            write_to(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise

"""The original program's text format for trained networks: a codec.

The format, line by line::

    3                      number of layers
    784                    size of each layer, one line each
    20
    10
    [0.25, -1.5, ...]      for each layer after the input layer: its weights,
    [0.1, ...]             flattened row-major, then its biases, each a Python
                           list literal of floats
    sha256 9f86d0...       optional: the digest line (nnext's own addition)

The values appear in the same order as in nnext's flat parameter buffer
(`nnext._layout`), so this module reads and writes ``(shape, params)`` pairs
and knows nothing of networks or paths (`nnext.io` opens the files).

The digest line holds the SHA-256 of the lines before it, each taken without
its line ending and ended by ``"\\n"`` (so a file whose line endings were
changed still verifies).  The original program reads exactly the lines it
needs and ignores what follows, so it reads files with a digest line; nnext
verifies the digest when it is there and reads files without one (the
original's) as before.

Reading is bounded by the file: every line is read with a length limit, the
numbers are parsed by NumPy from the line's bytes (no Python object per
value, no regular expression), and no array is allocated from the sizes the
file claims before the values are there.  Time is linear in the file's size
and memory a small multiple of it.
"""
import hashlib
import warnings

import numpy as np

from . import _checks, _layout

MAX_LAYERS = 10_000
DIGEST = "sha256"

# Longer than any float repr (24 characters) plus its ", " separator.
_CHARS_PER_VALUE = 32
# The shortest a value can be written: one digit and a comma.
_MIN_CHARS_PER_VALUE = 2
_INT_LINE_LIMIT = 64
_DIGEST_LINE_LIMIT = 128
# The only bytes a list of numbers may hold besides its brackets.
_NUMBER_BYTES = b"0123456789+-.eE, \t"
_DIGITS = frozenset(b"0123456789")


def write(file, shape, params, *, digest=False):
    """Write a network given by its shape and flat parameters to an open text file.

    With ``digest``, a last line holds the SHA-256 of the lines before it.
    """
    lines = [str(len(shape))]
    lines += [str(size) for size in shape]
    for weights, biases in zip(*_layout.split(params, shape)):
        lines += [str(weights.ravel().tolist()), str(biases.tolist())]
    text = "\n".join(lines) + "\n"
    if digest:
        text += f"{DIGEST} {hashlib.sha256(text.encode('ascii')).hexdigest()}\n"
    file.write(text)


class _LineReader:
    """Reads a file line by line, each with a length limit, counting lines and
    hashing what it read."""

    def __init__(self, file):
        self._file = file
        self.number = 0
        self.hash = hashlib.sha256()

    def _raw_line(self, limit, what):
        self.number += 1
        line = self._file.readline(limit + 2)
        if isinstance(line, str):
            try:
                line = line.encode("ascii")
            except UnicodeEncodeError:
                line = None
        elif line and not line.isascii():
            line = None
        if line is None:
            raise ValueError(f"line {self.number} ({what}) is not ASCII text")
        if not line:
            raise ValueError(f"the file ends before line {self.number} ({what})")
        if len(line) > limit and not line.endswith(b"\n"):
            raise ValueError(f"line {self.number} ({what}) is longer than {limit} characters")
        return line.rstrip(b"\r\n")

    def next(self, limit, what):
        line = self._raw_line(limit, what)
        self.hash.update(line)
        self.hash.update(b"\n")
        return line.strip()

    def integer(self, what):
        text = self.next(_INT_LINE_LIMIT, what)
        body = text[1:] if text[:1] in (b"+", b"-") else text
        if not body or not set(body) <= _DIGITS:
            raise ValueError(f"line {self.number} ({what}) must be an integer; got "
                             f"{_shown(text)}")
        return int(text)

    def floats(self, count, what):
        """A line holding a list of exactly ``count`` finite numbers."""
        text = self.next(_CHARS_PER_VALUE * count + _INT_LINE_LIMIT, what)
        inner = text[1:-1].strip()
        if (len(text) < 2 or text[:1] != b"[" or text[-1:] != b"]"
                or inner.translate(None, _NUMBER_BYTES) or not inner or inner.endswith(b",")):
            raise ValueError(f"line {self.number} ({what}) must be a list of numbers "
                             f"such as [0.25, -1.5]; got {_shown(text)}")
        values = _parse_numbers(inner)
        if values is None:
            raise ValueError(f"line {self.number} ({what}) must be a list of numbers "
                             f"such as [0.25, -1.5]; got {_shown(text)}")
        if len(values) != count:
            raise ValueError(f"line {self.number} ({what}) must hold {count} values; "
                             f"got {len(values)}")
        if not np.isfinite(values).all():
            raise ValueError(f"line {self.number} ({what}) holds a value too large "
                             f"to be a float64")
        return values

    def end(self):
        """Check what follows the last line: nothing but white space, or a digest
        line (verified) and white space."""
        expected = self.hash.hexdigest()
        while True:
            line = self._file.readline(_DIGEST_LINE_LIMIT)
            if not line:
                return
            if isinstance(line, str):
                line = line.encode("ascii", "replace")
            if line.strip():
                break
        self.number += 1
        words = line.split()
        if len(words) != 2 or words[0] != DIGEST.encode():
            raise ValueError(f"unexpected content after line {self.number - 1}: "
                             f"{_shown(line.strip())}")
        if words[1] != expected.encode():
            raise ValueError(f"the file's {DIGEST} digest (line {self.number}) does not match "
                             f"its contents: the file was changed or damaged after it was "
                             f"saved")
        while True:
            chunk = self._file.read(1 << 16)
            if not chunk:
                return
            if chunk.strip():
                raise ValueError(f"unexpected content after the digest line {self.number}")


def _parse_numbers(inner):
    """The float64 values of a comma-separated list (bytes holding only
    `_NUMBER_BYTES`), or None if it is not one."""
    with warnings.catch_warnings():
        # NumPy < 2.3 warns instead of raising on a list it cannot read to its end.
        warnings.simplefilter("error", DeprecationWarning)
        try:
            return np.fromstring(inner, dtype=np.float64, sep=",")
        except (ValueError, DeprecationWarning):
            return None


def _shown(text):
    """A short, printable excerpt of a line for an error message."""
    return repr(text[:40].decode("ascii", "replace")) + ("..." if len(text) > 40 else "")


def _bytes_left(file):
    """Bytes from the current position of ``file`` to its end, or None if the
    file cannot tell (a pipe, a stream)."""
    try:
        position = file.tell()
        end = file.seek(0, 2)
        file.seek(position)
    except (OSError, AttributeError, ValueError):
        return None
    return end - position


def read(file):
    """Read ``(shape, params)`` from an open file in the text format.

    Raises
    ------
    ValueError
        If the file is not a complete, well-formed network in this format, or
        its digest line does not match.
    """
    reader = _LineReader(file)
    n_layers = reader.integer("the number of layers")
    if not 2 <= n_layers <= MAX_LAYERS:
        raise ValueError(f"the number of layers must be between 2 and {MAX_LAYERS}; "
                         f"got {n_layers}")
    sizes = [reader.integer(f"size of layer {layer}") for layer in range(n_layers)]
    shape = _checks.shape(sizes)
    needed = _layout.parameter_count(shape) * _MIN_CHARS_PER_VALUE
    left = _bytes_left(file)
    if left is not None and needed > left:
        raise ValueError(f"shape {list(shape)} needs {_layout.parameter_count(shape)} values, "
                         f"at least {needed} characters; the rest of the file holds {left}")
    chunks = []
    for layer, (n_in, n_out) in enumerate(zip(shape, shape[1:]), start=1):
        chunks.append(reader.floats(n_out * n_in, f"weights of layer {layer}"))
        chunks.append(reader.floats(n_out, f"biases of layer {layer}"))
    reader.end()
    return shape, np.concatenate(chunks)

"""Saving and loading networks: the one place where nnext touches files.

`save` and `load` choose the format by the file's suffix: ``.npz`` for nnext's
binary format (`nnext.npzformat`), anything else for the original program's
text format (`nnext.textformat`).  The formats are codecs of ``(shape,
activations, params)``; this module opens the files, checks the network, and
writes atomically.

Saving writes a new file beside the target and renames it into place, so an
error, a full disk, Ctrl-C or a killed process leaves either the old file or
the complete new one.  The new file keeps the old one's permissions (a new
file gets the umask's), a path that is a symbolic link is written through
to its target, and a temporary file that a killed save left behind
(``.NAME.nnext-XXXXXXXX.tmp``) is removed by the next save to the same
directory once no process holds it.
"""
import contextlib
import os
import re
import secrets
import stat
import time

import numpy as np

from . import _checks, _layout, npzformat, textformat
from .network import NeuralNetwork, check_network

try:
    import fcntl
except ImportError:     # Windows: no advisory locks, so stale files are left alone
    fcntl = None

# Temporary files of this version (locked while written) and of nnext 0.3
# (not locked: removed only once they are an hour old).
_TEMPORARY = re.compile(r"\..+\.nnext-[0-9a-z]{8}\.tmp")
_OLD_TEMPORARY = re.compile(r"\.nnext-[0-9a-z_]+\.tmp")
_OLD_TEMPORARY_AGE = 3600


def serialize_neural_network(network, file):
    """Write ``network`` to an open text file in the original program's format.

    Float64 parameters are written with Python's shortest round-trip repr, so
    loading the file gives bit-identical weights.  The format holds only
    sigmoid networks, as the original's did.

    Parameters
    ----------
    network : NeuralNetwork
    file : file object opened for writing text

    Raises
    ------
    ValueError
        If a layer's activation is not the sigmoid (save such a network in
        the ``.npz`` format: ``nnext.save(network, "name.npz")``), or a
        parameter is NaN or infinite.

    Examples
    --------
    >>> with open("network_setup.txt", "w") as f:       # doctest: +SKIP
    ...     serialize_neural_network(network, f)
    """
    _check_text_format(network)
    textformat.write(file, network.shape, _flat_parameters(network))


def load_from_file(file, *, dtype=np.float64):
    """Read a network written by `serialize_neural_network`, `save` or the
    original program.

    Parameters
    ----------
    file : file object opened for reading (text or binary)
    dtype : {numpy.float64, numpy.float32}, optional

    Returns
    -------
    NeuralNetwork

    Raises
    ------
    ValueError
        If the file is empty, truncated, malformed, holds non-finite values,
        values too large for ``dtype``, a shape that cannot be built, or a
        digest line that does not match.  The file is never evaluated as
        code.
    """
    dtype = _checks.dtype(dtype)
    with _naming(getattr(file, "name", None)):
        shape, params = textformat.read(file)
        return NeuralNetwork.from_parameters(shape, params, dtype=dtype)


def save(network, path):
    """Save ``network`` to ``path``, atomically, in the format its suffix names.

    ``.npz``: nnext's versioned binary format (any activations, both dtypes,
    bit-identical round trips; see `nnext.npzformat`).  Any other suffix: the
    original program's text format (sigmoid networks only), with a last line
    holding the SHA-256 digest of the rest, which `load` verifies and the
    original program ignores.

    The file is written beside ``path`` and renamed into place, so an error
    or a killed process leaves any previous file at ``path`` untouched.  It
    keeps the previous file's permissions, and a symbolic link at ``path``
    is written through to its target.

    Parameters
    ----------
    network : NeuralNetwork
    path : str or path-like

    Raises
    ------
    ValueError
        If a parameter is NaN or infinite (the error names the first), or
        the text format cannot hold the network (not all sigmoid); nothing
        is written.
    OSError
        If the file cannot be written (the error names ``path``); ``path``
        is then as it was.

    Examples
    --------
    >>> nnext.save(network, "digits_recognizer_setup.txt")   # doctest: +SKIP
    >>> nnext.save(modern_network, "digits.npz")              # doctest: +SKIP
    """
    check_network(network)
    params = _flat_parameters(network)
    if _is_npz(path):
        _atomic_write(path, lambda file: npzformat.write(
            file, network.shape, network.activations, params), binary=True)
    else:
        _check_text_format(network)
        _atomic_write(path, lambda file: textformat.write(file, network.shape, params,
                                                          digest=True))


def load(path, *, dtype=None):
    """Load a network from the file at ``path``, in the format its suffix names
    (``.npz``, or else the original's text format; see `save`).

    Time and memory are bounded by the file's size: a hostile file is refused
    quickly, without allocating more than a small multiple of its size.

    Parameters
    ----------
    path : str or path-like
    dtype : {None, numpy.float64, numpy.float32}, optional
        The network's dtype: by default the one saved in a ``.npz`` file, and
        float64 for a text file.

    Returns
    -------
    NeuralNetwork

    Raises
    ------
    ValueError
        If the file is not a well-formed network in that format, or holds
        values too large for ``dtype``; the message names the file.
    OSError
        If the file cannot be opened.
    """
    dtype = None if dtype is None else _checks.dtype(dtype)
    with open(path, "rb") as file:
        if not _is_npz(path):
            return load_from_file(file, dtype=dtype or np.float64)
        with _naming(os.fspath(path)):
            shape, activations, params = npzformat.read(file)
            return NeuralNetwork.from_parameters(shape, params, activations=activations,
                                                 dtype=dtype or params.dtype)


def _flat_parameters(network):
    """The network's parameters as one flat array, after checking they are finite."""
    params = _layout.join(network.weights, network.biases)
    _checks.finite_parameters(params, network.shape,
                              "cannot save a network whose parameters are not finite")
    return params


def _is_npz(path):
    return str(os.fspath(path)).lower().endswith(".npz")


def _check_text_format(network):
    check_network(network)
    if set(network.activations) != {"sigmoid"}:
        raise ValueError(f"the original's text format holds only sigmoid networks; this one "
                         f"has {list(network.activations)}: save it as .npz instead "
                         f"(nnext.save(network, 'name.npz'))")


@contextlib.contextmanager
def _naming(name):
    """Put the file's name in front of a ValueError's message."""
    try:
        yield
    except ValueError as error:
        if not isinstance(name, str) or str(error).startswith(name):
            raise
        raise ValueError(f"{name}: {error}") from None


# --- atomic writing ------------------------------------------------------------

def _atomic_write(path, write_to, binary=False):
    """Call ``write_to(file)`` on a new file beside the file ``path`` names (a
    link's target), opened for bytes or for ASCII text, then rename it into
    place: ``path`` is either left as it was or replaced by the whole new
    file.  An OSError names ``path``."""
    path = os.fspath(path)
    with _saving(path):
        target = os.path.realpath(path)
        directory, name = os.path.split(target)
        _remove_stale_temporaries(directory)
        descriptor, temporary = _create_temporary(directory, name)
        try:
            with (os.fdopen(descriptor, "wb") if binary
                  else os.fdopen(descriptor, "w", encoding="ascii", newline="\n")) as file:
                write_to(file)
                file.flush()
                _take_permissions(file.fileno(), target)
                os.fsync(file.fileno())
                os.replace(temporary, target)     # still holding the lock
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        _sync_directory(directory)


@contextlib.contextmanager
def _saving(path):
    """Name ``path`` in an OSError raised while saving to it."""
    try:
        yield
    except OSError as error:
        if error.errno is None:
            raise
        raise OSError(error.errno, f"{error.strerror}: cannot save {path!r}", path) from error


def _create_temporary(directory, name):
    """A new, locked file named ``.NAME.nnext-XXXXXXXX.tmp`` in ``directory``, with
    the umask's permissions; (descriptor, path)."""
    while True:
        temporary = os.path.join(directory, f".{name}.nnext-{_random_suffix()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        if fcntl is None:
            return descriptor, temporary
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        if os.fstat(descriptor).st_nlink > 0:
            return descriptor, temporary
        os.close(descriptor)      # another save took it for stale before we locked it


def _random_suffix():
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    return "".join(secrets.choice(alphabet) for _ in range(8))


def _take_permissions(descriptor, target):
    """Give the new file the permissions (and, where allowed, the owner) of
    the file it replaces."""
    try:
        old = os.stat(target)
    except FileNotFoundError:
        return
    os.fchmod(descriptor, stat.S_IMODE(old.st_mode))
    new = os.fstat(descriptor)
    if (new.st_uid, new.st_gid) != (old.st_uid, old.st_gid):
        with contextlib.suppress(OSError):
            os.fchown(descriptor, old.st_uid, old.st_gid)


def _remove_stale_temporaries(directory):
    """Remove nnext's temporary files that no live save holds (left by killed
    processes).  Files of other programs are never touched."""
    if fcntl is None:
        return
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        if _TEMPORARY.fullmatch(entry.name):
            _remove_if_unlocked(entry.path)
        elif _OLD_TEMPORARY.fullmatch(entry.name):
            with contextlib.suppress(OSError):
                if entry.stat(follow_symlinks=False).st_mtime < time.time() - _OLD_TEMPORARY_AGE:
                    _remove_if_unlocked(entry.path)


def _remove_if_unlocked(path):
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if (stat.S_ISREG(os.fstat(descriptor).st_mode)
                and os.stat(path, follow_symlinks=False).st_ino == os.fstat(descriptor).st_ino):
            os.unlink(path)
    except OSError:
        pass            # held by a live save, gone already, or not ours to remove
    finally:
        os.close(descriptor)


def _sync_directory(directory):
    """Make the rename durable (POSIX; elsewhere a no-op)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)

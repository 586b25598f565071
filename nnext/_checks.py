"""Argument and data validation, with one message style.

Every message names the argument, says what it must be and what it got:
``"batch_size must be a positive integer; got 0"``.
"""
import collections
import math
import numbers
import os
import time

import numpy as np

from ._layout import location, parameter_count

SUPPORTED_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))

# Array kinds accepted as numeric data: bool, signed and unsigned ints, floats.
_NUMERIC_KINDS = "biuf"
# Rows checked for NaN and infinity at a time (bounds the temporary array).
_FINITE_CHUNK = 4096


def is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def positive_int(value, name, minimum=1):
    """Return ``value`` as an int, or raise if it is not an integer >= ``minimum``
    (1, or 0 for a non-negative integer)."""
    what = "a positive integer" if minimum == 1 else "a non-negative integer"
    if not is_int(value):
        raise TypeError(f"{name} must be {what}; got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be {what}; got {value!r}")
    return int(value)


def _real(value, name, what):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {what}; got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be {what}; got {value!r}")
    return value


def flag(value, name):
    """Return ``value`` as a bool, or raise if it is not True or False."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def positive_float(value, name):
    """Return ``value`` as a float, or raise if it is not a finite number > 0."""
    value = _real(value, name, "a finite number > 0")
    if value <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}")
    return value


def nonnegative_float(value, name):
    """Return ``value`` as a float, or raise if it is not a finite number >= 0."""
    value = _real(value, name, "a finite number >= 0")
    if value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    return value


def dtype(value):
    """Return the numpy dtype ``value`` names, or raise if nnext does not compute in it."""
    try:
        result = np.dtype(value)
    except TypeError:
        raise TypeError(f"dtype must be float64 or float32; got {value!r}") from None
    if result not in SUPPORTED_DTYPES:
        raise TypeError(f"dtype must be float64 or float32; got {value!r}")
    return result


def generator(seed):
    """Return a numpy Generator from None, an int or a Generator."""
    if seed is None or is_int(seed) or isinstance(seed, np.random.Generator):
        if is_int(seed) and seed < 0:
            raise ValueError(f"seed must be None, a non-negative integer or a "
                             f"numpy Generator; got {seed!r}")
        return np.random.default_rng(seed)
    raise TypeError(f"seed must be None, a non-negative integer or a numpy Generator; "
                    f"got {seed!r}")


def available_cores():
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# OpenMP (GCC's libgomp) cannot start threads again in a process forked from
# one that used them: it would hang.  A forked child computes on one thread.
_forked_child = False


def _note_fork():
    global _forked_child
    _forked_child = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_note_fork)


def num_threads(value):
    """Return a thread count: ``value``, or for None the `DefaultThreads` of
    all available cores, at most ``OMP_NUM_THREADS`` when that is set (as
    joblib sets it in its workers, so that parallel jobs do not oversubscribe
    the cores); 1 in a forked child process."""
    if isinstance(value, DefaultThreads):
        return value
    if value is None:
        threads = available_cores()
        limit = os.environ.get("OMP_NUM_THREADS", "").strip()
        if limit.isdigit() and int(limit) > 0:
            threads = min(threads, int(limit))
        most = 1 if _forked_child else threads
        if most not in _default_threads:
            _default_threads[most] = DefaultThreads(most)
        return _default_threads[most]
    threads = positive_int(value, "num_threads")
    return 1 if _forked_child else threads


class DefaultThreads:
    """The default thread count: at most ``most`` threads, less the cores that
    other processes keep busy (see `busy_cores`).  It is read afresh, at most
    every ``_BUSY_INTERVAL`` seconds, each time the count is taken: by
    ``int(threads)``, or by a call into the compiled core, which takes it as
    an integer.  Results do not depend on the thread count, so it may change
    from one call to the next: on a machine busy with other work, threads
    that would wait for a core half the time give way."""

    def __init__(self, most):
        self.most = most
        self._count = most
        self._taken = -math.inf

    def __index__(self):
        if self.most == 1 or _forked_child:
            return 1
        now = time.monotonic()
        if now - self._taken >= _BUSY_INTERVAL:
            self._count = max(1, min(self.most, available_cores() - busy_cores(now)))
            self._taken = now
        return self._count

    __int__ = __index__

    def __repr__(self):
        return f"DefaultThreads(most={self.most})"


_default_threads = {}      # DefaultThreads by their most
_BUSY_INTERVAL = 0.02       # seconds between two readings of the machine's load
_busy_readings = collections.deque(maxlen=5)


def busy_cores(now=None):
    """How many cores other processes keep busy: the kernel's count of
    runnable tasks (``/proc/loadavg``) less this process's own running
    threads: the most that two of the last five readings reach (a process
    that runs for a moment does not count, and a reading that misses a busy
    neighbour, as one in three may, does not hide it), read at most every
    ``_BUSY_INTERVAL`` seconds (a reading costs about 0.1 ms).  0 where
    ``/proc`` cannot tell."""
    now = time.monotonic() if now is None else now
    if not _busy_readings or now - _busy_readings[-1][0] >= _BUSY_INTERVAL:
        others = other_running_tasks()
        if others is None:
            return 0
        _busy_readings.append((now, others))
    return sorted(others for _, others in _busy_readings)[-2:][0]


def other_running_tasks():
    """The kernel's count of runnable tasks less this process's own running
    threads, or None where ``/proc`` cannot tell (see `busy_cores`)."""
    try:
        with open("/proc/loadavg", "rb") as f:
            running = int(f.read().split()[3].split(b"/")[0])
        own = 0
        for task in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{task}/stat", "rb") as f:
                    stat = f.read()
            except OSError:         # (the thread has ended)
                continue
            own += stat[stat.rindex(b")") + 2:stat.rindex(b")") + 3] == b"R"
    except (OSError, ValueError, IndexError):
        return None
    return max(0, running - own)


def _physical_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return 1 << 40


def shape(value, itemsize=8):
    """Return a network shape as a tuple of ints, checking that it fits in memory."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise TypeError(f"shape must be a list of at least 2 positive integers; got {value!r}")
    sizes = list(value)
    if len(sizes) < 2:
        raise ValueError(f"shape must be a list of at least 2 positive integers; got {value!r}")
    for i, size in enumerate(sizes):
        if not is_int(size):
            raise TypeError(f"shape[{i}] must be a positive integer; got {size!r}")
        if size < 1:
            raise ValueError(f"shape[{i}] must be a positive integer; got {size!r}")
    sizes = tuple(int(size) for size in sizes)
    fits_in_memory(parameter_count(sizes) * itemsize,
                   f"shape {list(sizes)} needs {parameter_count(sizes)} parameters")
    return sizes


def fits_in_memory(n_bytes, what):
    """Raise, before anything is allocated, if ``n_bytes`` exceeds the machine's memory."""
    if n_bytes > _physical_memory():
        raise ValueError(f"{what} ({n_bytes / 2**30:.1f} GiB), more than this "
                         f"machine's memory")


def numeric_array(value, name, ndims=(2,)):
    """Return ``value`` as an array of real numbers with one of ``ndims`` dimensions."""
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{name} must be an array of numbers; got {error}") from None
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(f"{name} must hold real numbers; got dtype {array.dtype}")
    if array.ndim not in ndims:
        dims = " or ".join(f"{n}-D" for n in ndims)
        raise ValueError(f"{name} must be {dims}; got shape {array.shape}"
                         + _shape_hint(array, ndims))
    return array


def _shape_hint(array, ndims):
    """What to do with an array of the wrong number of dimensions, where the
    usual cause is known: labels instead of one-hot rows, images not flattened."""
    if 2 not in ndims:
        return ""
    if array.ndim == 1 and array.dtype.kind in "iu":
        return ("; for class labels, one-hot encode them: np.eye(n_classes)[labels], or use "
                "nnext.sklearn.MLPClassifier, which takes labels")
    if array.ndim > 2:
        return (f"; flatten each sample: X.reshape(len(X), -1), which gives shape "
                f"{(array.shape[0], int(np.prod(array.shape[1:])))}"
                + (" (and scale pixels to [0, 1]: / 255)" if array.dtype == np.uint8 else ""))
    return ""


def nonfinite_row(row, name, what="row"):
    """The error for a 2-D array whose row ``row`` holds NaN or infinity."""
    return ValueError(f"{name} must be finite; {what} {row} holds NaN or infinity")


def finite_rows(array, name, what="row"):
    """Raise if ``array`` (2-D) holds NaN or infinity, naming the first bad row."""
    if array.dtype.kind != "f":
        return
    for start in range(0, len(array), _FINITE_CHUNK):
        finite = np.isfinite(array[start:start + _FINITE_CHUNK]).all(axis=1)
        if not finite.all():
            raise nonfinite_row(start + int(np.argmin(finite)), name, what)


def finite_parameters(params, shape, what):
    """Raise ValueError, starting with ``what``, if the flat parameters of a network
    of ``shape`` hold NaN or infinity, naming the first such parameter."""
    if not np.isfinite(params).all():
        index = int(np.flatnonzero(~np.isfinite(params))[0])
        raise ValueError(f"{what}: {location(index, shape)} is {params[index]}")


def parameters_as(params, shape, dtype):
    """Flat parameters of a network of ``shape`` as a new C-contiguous array of
    ``dtype``; ValueError, naming the first, if a value is not finite or does
    not fit in ``dtype``."""
    with np.errstate(over="ignore", invalid="ignore"):
        result = np.array(params, dtype=dtype, order="C")
    if not np.isfinite(result).all():
        index = int(np.flatnonzero(~np.isfinite(result))[0])
        value = float(params[index])
        fit = (f", too large for {np.dtype(dtype).name}" if np.isfinite(value) else "")
        raise ValueError(f"parameters must be finite numbers that fit the network's dtype; "
                         f"{location(index, shape)} is {value!r}{fit}")
    return result


def matrix(value, n_columns, name, dtype, what="row", check_finite=True):
    """Return ``value`` as a C-contiguous (n_rows, n_columns) array of ``dtype``,
    finite unless ``check_finite`` is false (for callers that check it themselves)."""
    array = numeric_array(value, name)
    if array.shape[1] != n_columns:
        raise ValueError(f"{name} must have {n_columns} values per {what}; "
                         f"got {array.shape[1]}")
    array = np.ascontiguousarray(array, dtype=dtype)
    if check_finite:
        finite_rows(array, name, what)
    return array


def vector(value, length, name, dtype):
    """Return ``value`` as a C-contiguous 1-D array of ``length`` finite values
    of ``dtype``."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be an array of numbers; got {type(value).__name__}")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be an array of numbers; {error}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be an array of numbers; got dtype {array.dtype}")
    if array.shape != (length,):
        raise ValueError(f"{name} must hold one value per training row ({length}); got shape "
                         f"{array.shape}")
    array = np.ascontiguousarray(array, dtype=dtype)
    if not np.isfinite(array).all():
        bad = int(np.flatnonzero(~np.isfinite(array))[0])
        raise ValueError(f"{name} must be finite; {name}[{bad}] is {array[bad]}")
    return array

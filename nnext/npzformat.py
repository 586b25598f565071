"""nnext's binary format for networks, a versioned NumPy ``.npz`` archive: a codec.

Version 1 holds exactly these arrays (``numpy.savez``: members stored
uncompressed, no pickled objects):

=================  ==========================================================
``format``         the string ``"nnext network"``
``version``        the integer 1
``shape``          int64, the neurons of each layer, input layer first
``activations``    unicode strings, the activation of each layer after the input
``params``         float64 or float32, the flat parameters (see `nnext._layout`):
                   the network's dtype is this array's
=================  ==========================================================

Reading checks every array as strictly as user input: a missing or unknown
member, a wrong version, shape, dtype, size or activation, or a non-finite
parameter is a ValueError naming it.  Reading is bounded by the file before
anything is inflated or allocated: members may be stored or deflated, but a
deflated member may expand at most `MAX_EXPANSION` times, the small members
at most `MAX_SMALL_MEMBER` bytes, and ``params`` no more than its header and
the values that ``shape`` needs.  The zip format's CRC-32 of each member is
checked as it is read, so a damaged member is refused.
"""
import math
import zipfile

import numpy as np

from . import _checks, _layout
from .activations import check as check_activations

FORMAT = "nnext network"
VERSION = 1
KEYS = {"format", "version", "shape", "activations", "params"}

#: The most bytes a deflated member may unpack to per byte it takes in the file.
MAX_EXPANSION = 16
#: The most bytes any member but ``params`` may unpack to.
MAX_SMALL_MEMBER = 1 << 20
# A .npy header is at most a few kB (NumPy refuses headers over 10,000 bytes).
_MAX_HEADER = 1 << 16


def write(file, shape, activations, params):
    """Write a network given by its shape, activations and flat parameters to a
    binary file."""
    np.savez(file, format=np.array(FORMAT), version=np.array(VERSION, np.int64),
             shape=np.array(shape, np.int64), activations=np.array(activations, dtype=str),
             params=params)


def read(file):
    """Read ``(shape, activations, params)`` from a binary file (or path) written
    by `write`.

    Raises
    ------
    ValueError
        If the file is not a complete, well-formed network in this format.
    """
    try:
        with zipfile.ZipFile(file) as archive:
            members = _members(archive)
            arrays = {name: _read_member(archive, members[name], MAX_SMALL_MEMBER)
                      for name in sorted(KEYS - {"params"})}
            shape, activations = _description(arrays)
            params = _read_params(archive, members["params"], shape)
    except ValueError:
        raise
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:  # zipfile, zlib, struct, ast, tokenize, MemoryError, ...
        raise ValueError(f"not a readable .npz archive ({type(error).__name__}: "
                         f"{error})") from None
    return shape, activations, params


def _members(archive):
    """The archive's members by array name, checked before anything is inflated."""
    infos = archive.infolist()
    names = [info.filename[:-4] if info.filename.endswith(".npy") else info.filename
             for info in infos]
    if set(names) != KEYS or len(names) != len(KEYS):
        missing, unknown = sorted(KEYS - set(names)), sorted(set(names) - KEYS)
        repeated = sorted({name for name in names if names.count(name) > 1})
        raise ValueError(f"a network archive holds exactly {sorted(KEYS)}, each once as a .npy "
                         f"member; missing {missing}, unknown {unknown}"
                         + (f", repeated {repeated}" if repeated else ""))
    for info in infos:
        if not info.filename.endswith(".npy"):
            raise ValueError(f"member {info.filename!r} is not a .npy array")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ValueError(f"member {info.filename!r} is compressed with method "
                             f"{info.compress_type}; nnext reads stored or deflated members")
        if (info.compress_type == zipfile.ZIP_DEFLATED
                and info.file_size > MAX_EXPANSION * max(info.compress_size, 1)):
            raise ValueError(f"member {info.filename!r} would expand from {info.compress_size} "
                             f"to {info.file_size} bytes, more than {MAX_EXPANSION} times")
    return dict(zip(names, infos))


def _header(file, info):
    """The (shape, dtype) of a .npy member's header, refusing Python objects."""
    version = np.lib.format.read_magic(file)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(file)
    else:
        shape, _, dtype = np.lib.format.read_array_header_2_0(file)
    if dtype.hasobject:
        raise ValueError(f"member {info.filename!r} holds Python objects")
    if math.prod(shape) * dtype.itemsize > info.file_size:
        raise ValueError(f"member {info.filename!r} declares more data than it holds")
    return shape, dtype


def _read_member(archive, info, limit):
    if info.file_size > limit:
        raise ValueError(f"member {info.filename!r} unpacks to {info.file_size} bytes; at most "
                         f"{limit} are expected")
    with archive.open(info) as file:
        _header(file, info)
    with archive.open(info) as file:
        array = np.lib.format.read_array(file, allow_pickle=False)
        file.read()   # to the end, so that zipfile checks the member's CRC-32
    return array


def _description(arrays):
    """The network's shape and activations from the small members, checked."""
    if _scalar(arrays["format"], "U") != FORMAT:
        raise ValueError(f"format must be {FORMAT!r}; got {arrays['format']!r}")
    version = _scalar(arrays["version"], "iu")
    if version != VERSION:
        raise ValueError(f"version {version!r} is not one this nnext reads "
                         f"(it reads version {VERSION})")
    shape = arrays["shape"]
    if shape.ndim != 1 or shape.dtype.kind not in "iu":
        raise ValueError(f"shape must be a 1-D array of integers; got "
                         f"{shape.dtype} of shape {shape.shape}")
    shape = _checks.shape([int(size) for size in shape])
    activations = arrays["activations"]
    if activations.ndim != 1 or activations.dtype.kind != "U":
        raise ValueError("activations must be a 1-D array of strings")
    activations = check_activations([str(name) for name in activations], len(shape) - 1)
    return shape, activations


def _read_params(archive, info, shape):
    """The flat parameters, after checking their header against ``shape``."""
    count = _layout.parameter_count(shape)
    with archive.open(info) as file:
        header_shape, dtype = _header(file, info)
    if len(header_shape) != 1:
        raise ValueError(f"params must be a 1-D array; got shape {header_shape}")
    try:
        dtype = _checks.dtype(dtype)
    except TypeError:
        raise ValueError(f"params must be float64 or float32; got {dtype}") from None
    if header_shape[0] != count:
        raise ValueError(f"params must hold {count} values for shape {list(shape)}; "
                         f"got {header_shape[0]}")
    if info.file_size > count * dtype.itemsize + _MAX_HEADER:
        raise ValueError(f"member 'params.npy' unpacks to {info.file_size} bytes; "
                         f"{count} values need {count * dtype.itemsize}")
    params = _read_member(archive, info, info.file_size)
    if not np.isfinite(params).all():
        raise ValueError("params must be finite; the file holds NaN or infinity")
    return np.ascontiguousarray(params)


def _scalar(array, kinds):
    """The value of a 0-d array of one of ``kinds``, or None."""
    if array.ndim != 0 or array.dtype.kind not in kinds:
        return None
    return array.item()

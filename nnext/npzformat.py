"""nnext's binary format for networks: a versioned NumPy ``.npz`` archive.

Version 1 holds exactly these arrays (``numpy.savez``, no pickled objects):

=================  ==========================================================
``format``         the string ``"nnext network"``
``version``        the integer 1
``shape``          int64, the neurons of each layer, input layer first
``activations``    unicode strings, the activation of each layer after the input
``params``         float64 or float32, the flat parameters (see `nnext._layout`):
                   the network's dtype is this array's
=================  ==========================================================

Reading loads with ``allow_pickle=False`` and checks every array as strictly
as user input: a missing or unknown key, a wrong version, shape, dtype, size
or activation, or a non-finite parameter is a ValueError naming it.
"""
import math
import struct
import zipfile
import zlib

import numpy as np

from . import _checks, _layout

FORMAT = "nnext network"
VERSION = 1
KEYS = {"format", "version", "shape", "activations", "params"}


def write(file, shape, activations, params):
    """Write a network given by its shape, activations and flat parameters to a
    binary file."""
    np.savez(file, format=np.array(FORMAT), version=np.array(VERSION, np.int64),
             shape=np.array(shape, np.int64), activations=np.array(activations, dtype=str),
             params=params)


def read(path):
    """Read ``(shape, activations, params)`` from a ``.npz`` file written by `write`.

    Raises
    ------
    ValueError
        If the file is not a complete, well-formed network in this format.
    """
    try:
        arrays = _read_arrays(path)
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError,
            EOFError, OSError, ValueError, KeyError, zlib.error, struct.error,
            UnicodeDecodeError) as error:
        raise ValueError(f"{path}: not a readable .npz archive ({error})") from None
    if set(arrays) != KEYS:
        missing, unknown = sorted(KEYS - set(arrays)), sorted(set(arrays) - KEYS)
        raise ValueError(f"{path}: a network archive holds exactly {sorted(KEYS)}; "
                         f"missing {missing}, unknown {unknown}")
    if _scalar(arrays["format"], "U") != FORMAT:
        raise ValueError(f"{path}: format must be {FORMAT!r}; got {arrays['format']!r}")
    version = _scalar(arrays["version"], "iu")
    if version != VERSION:
        raise ValueError(f"{path}: version {version!r} is not one this nnext reads "
                         f"(it reads version {VERSION})")
    shape = arrays["shape"]
    if shape.ndim != 1 or shape.dtype.kind not in "iu":
        raise ValueError(f"{path}: shape must be a 1-D array of integers; got "
                         f"{shape.dtype} of shape {shape.shape}")
    params = arrays["params"]
    if params.ndim != 1:
        raise ValueError(f"{path}: params must be a 1-D array; got shape {params.shape}")
    try:
        dtype = _checks.dtype(params.dtype)
    except TypeError:
        raise ValueError(f"{path}: params must be float64 or float32; got {params.dtype}") from None
    try:
        shape = _checks.shape([int(size) for size in shape], dtype.itemsize)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    activations = arrays["activations"]
    if activations.ndim != 1 or activations.dtype.kind != "U":
        raise ValueError(f"{path}: activations must be a 1-D array of strings")
    try:
        activations = _checks.activations([str(name) for name in activations], len(shape) - 1)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    if len(params) != _layout.parameter_count(shape):
        raise ValueError(f"{path}: params must hold {_layout.parameter_count(shape)} values "
                         f"for shape {list(shape)}; got {len(params)}")
    if not np.isfinite(params).all():
        raise ValueError(f"{path}: params must be finite; the file holds NaN or infinity")
    return shape, activations, np.ascontiguousarray(params)


def _read_arrays(path):
    """The arrays of an .npz archive, by name, after checking that each member's
    header asks for no more memory than the member holds (no pickles)."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        _checks.fits_in_memory(sum(member.file_size for member in members),
                               f"{path}: the archive unpacks")
        for member in members:
            if not member.filename.endswith(".npy"):
                raise ValueError(f"member {member.filename!r} is not a .npy array")
            with archive.open(member) as file:
                version = np.lib.format.read_magic(file)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(file)
                else:
                    shape, _, dtype = np.lib.format.read_array_header_2_0(file)
                if dtype.hasobject:
                    raise ValueError(f"member {member.filename!r} holds Python objects")
                if math.prod(shape) * dtype.itemsize > member.file_size:
                    raise ValueError(f"member {member.filename!r} declares more data than it "
                                     f"holds")
            with archive.open(member) as file:
                arrays[member.filename[:-4]] = np.lib.format.read_array(file, allow_pickle=False)
    return arrays


def _scalar(array, kinds):
    """The value of a 0-d array of one of ``kinds``, or None."""
    if array.ndim != 0 or array.dtype.kind not in kinds:
        return None
    return array.item()

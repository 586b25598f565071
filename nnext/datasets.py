"""Reading the MNIST handwritten digits from their original gzip'd IDX files."""
import gzip
import os
import zlib

import numpy as np

_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 60000),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10000),
}
_IMAGES_MAGIC = 0x803
_LABELS_MAGIC = 0x801
_SIDE = 28


BUNDLED_MNIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mnist")


def load_mnist(directory=None, subset="train"):
    """Read the MNIST images and labels of one subset.

    Parameters
    ----------
    directory : str or path, optional
        Folder holding the four original files (``train-images-idx3-ubyte.gz``
        and so on).  By default, the copy that comes with nnext
        (`BUNDLED_MNIST`: the original files, 11 MB, licensed CC BY-SA 3.0).
    subset : {"train", "test"}

    Returns
    -------
    images : numpy.ndarray of uint8, shape (n, 28, 28)
        Pixel values 0 (background) to 255.
    labels : numpy.ndarray of uint8, shape (n,)
        Digits 0 to 9.

    Raises
    ------
    FileNotFoundError
        If a file is missing.
    ValueError
        If a file is truncated or corrupt; the message names the file.

    Examples
    --------
    >>> images, labels = load_mnist(subset="test")
    >>> images.shape, labels.shape
    ((10000, 28, 28), (10000,))
    """
    if subset not in _FILES:
        raise ValueError(f"subset must be 'train' or 'test'; got {subset!r}")
    if directory is None:
        directory = BUNDLED_MNIST
    images_name, labels_name, count = _FILES[subset]
    images = read_idx(os.path.join(directory, images_name), _IMAGES_MAGIC,
                      (count, _SIDE, _SIDE))
    labels = read_idx(os.path.join(directory, labels_name), _LABELS_MAGIC, (count,))
    if labels.max() > 9:
        raise ValueError(f"{os.path.join(directory, labels_name)}: labels must be digits "
                         f"0 to 9; found {labels.max()}")
    return images, labels


def read_idx(path, magic, shape):
    """Read a gzip'd IDX file of unsigned bytes with the given magic number and shape."""
    try:
        with gzip.open(path, "rb") as file:
            data = file.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"MNIST file not found: {path}") from None
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"{path}: not a complete gzip file ({error})") from None
    header = 4 * (1 + len(shape))
    if len(data) < header:
        raise ValueError(f"{path}: too short for an IDX header ({len(data)} bytes)")
    found_magic, *dims = np.frombuffer(data, dtype=">u4", count=1 + len(shape)).tolist()
    if found_magic != magic:
        raise ValueError(f"{path}: magic number must be {magic:#x}; got {found_magic:#x}")
    if tuple(dims) != shape:
        raise ValueError(f"{path}: dimensions must be {shape}; got {tuple(dims)}")
    expected = header + int(np.prod(shape))
    if len(data) != expected:
        raise ValueError(f"{path}: must hold {expected} bytes; got {len(data)}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)

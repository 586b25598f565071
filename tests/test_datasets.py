import gzip

import numpy as np
import pytest

from nnext import load_mnist
from nnext.datasets import read_idx

from conftest import MNIST, needs_mnist


@needs_mnist
def test_bundled_mnist_matches_its_published_description():
    images, labels = load_mnist(MNIST, "train")
    assert images.shape == (60000, 28, 28) and images.dtype == np.uint8
    assert list(np.bincount(labels)) == [5923, 6742, 5958, 6131, 5842,
                                         5421, 5918, 6265, 5851, 5949]
    images, labels = load_mnist(MNIST, "test")
    assert images.shape == (10000, 28, 28)
    assert list(np.bincount(labels)) == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert images.max() == 255 and images.min() == 0


def test_the_installed_package_carries_the_mnist_files():
    # load_mnist() with no folder reads the package's own copy: the files of
    # datasets/mnist, which the wheel carries, byte for byte.
    import hashlib
    import os

    from nnext.datasets import BUNDLED_MNIST
    published = {"t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
                 "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3"}
    for name, md5 in published.items():
        with open(os.path.join(BUNDLED_MNIST, name), "rb") as f:
            assert hashlib.md5(f.read()).hexdigest() == md5
    images, labels = load_mnist(subset="test")
    assert images.shape == (10000, 28, 28) and labels[:5].tolist() == [7, 2, 1, 0, 4]


def write_idx(path, magic, dims, payload, compress=True):
    header = np.array([magic, *dims], dtype=">u4").tobytes()
    data = header + bytes(payload)
    if compress:
        data = gzip.compress(data)
    with open(path, "wb") as f:
        f.write(data)


def test_reads_a_small_idx_file(tmp_path):
    path = tmp_path / "labels.gz"
    write_idx(path, 0x801, [3], [7, 0, 9])
    assert list(read_idx(path, 0x801, (3,))) == [7, 0, 9]


@pytest.mark.parametrize("magic, dims, payload, message", [
    (0x803, [3], [1, 2, 3], "magic number must be 0x801; got 0x803"),
    (0x801, [4], [1, 2, 3, 4], r"dimensions must be \(3,\); got \(4,\)"),
    (0x801, [3], [1, 2], "must hold 11 bytes; got 10"),
    (0x801, [3], [1, 2, 3, 4], "must hold 11 bytes; got 12"),
])
def test_corrupt_idx_files_are_refused(tmp_path, magic, dims, payload, message):
    path = tmp_path / "labels.gz"
    write_idx(path, magic, dims, payload)
    with pytest.raises(ValueError, match=message) as info:
        read_idx(path, 0x801, (3,))
    assert "labels.gz" in str(info.value)


def test_truncated_and_non_gzip_files_are_refused(tmp_path):
    path = tmp_path / "labels.gz"
    write_idx(path, 0x801, [3], [1, 2, 3])
    path.write_bytes(path.read_bytes()[:-6])
    with pytest.raises(ValueError, match="labels.gz: not a complete gzip file"):
        read_idx(path, 0x801, (3,))
    path.write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="labels.gz: not a complete gzip file"):
        read_idx(path, 0x801, (3,))
    path.write_bytes(gzip.compress(b"\x00\x00"))
    with pytest.raises(ValueError, match="too short for an IDX header"):
        read_idx(path, 0x801, (3,))


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.gz"):
        load_mnist(tmp_path, "train")


def test_labels_out_of_range_are_refused(tmp_path):
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", 0x803, [10000, 28, 28],
              bytes(10000 * 28 * 28))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", 0x801, [10000], [3] * 9999 + [10])
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.gz: labels must be digits"):
        load_mnist(tmp_path, "test")


def test_unknown_subset_is_refused():
    with pytest.raises(ValueError, match="subset must be 'train' or 'test'; got 'validation'"):
        load_mnist(MNIST, "validation")

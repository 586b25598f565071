"""The .npz format: round trips, strict refusals, and save/load by suffix."""
import io
import os
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nnext
from nnext import NeuralNetwork, npzformat


def modern(dtype=np.float64):
    return NeuralNetwork([5, 7, 3, 4], activations=["relu", "tanh", "softmax"], init="he",
                         seed=3, dtype=dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_round_trip_is_bit_identical(tmp_path, dtype):
    network = modern(dtype)
    network.weights[0][0, 0] = 1e-300 if dtype == np.float64 else 1e-38
    path = tmp_path / "net.npz"
    nnext.save(network, path)
    loaded = nnext.load(path)
    assert (loaded.shape, loaded.activations, loaded.dtype) == (network.shape,
                                                                network.activations, dtype)
    np.testing.assert_array_equal(loaded.parameters, network.parameters)
    X = np.random.default_rng(0).random((6, 5))
    np.testing.assert_array_equal(loaded.feedforward(X), network.feedforward(X))
    assert os.listdir(tmp_path) == ["net.npz"]
    assert nnext.load(path, dtype="float32").dtype == np.float32


def test_the_archive_holds_the_documented_arrays(tmp_path):
    path = tmp_path / "net.NPZ"
    nnext.save(modern(), path)
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == sorted(npzformat.KEYS)
        assert archive["format"] == "nnext network" and archive["version"] == 1
        assert archive["shape"].tolist() == [5, 7, 3, 4]
        assert archive["activations"].tolist() == ["relu", "tanh", "softmax"]
        assert archive["params"].dtype == np.float64


def test_text_format_refuses_other_activations(tmp_path):
    path = tmp_path / "net.txt"
    with pytest.raises(ValueError, match="holds only sigmoid networks.*save it as .npz"):
        nnext.save(modern(), path)
    assert not path.exists() and os.listdir(tmp_path) == []
    with pytest.raises(ValueError, match="holds only sigmoid networks"):
        nnext.serialize_neural_network(modern(), io.StringIO())
    sigmoid = NeuralNetwork([2, 3, 1], seed=0)
    nnext.save(sigmoid, tmp_path / "sigmoid.npz")
    assert nnext.load(tmp_path / "sigmoid.npz").activations == ("sigmoid", "sigmoid")


def arrays(**changes):
    network = modern()
    good = dict(format=np.array("nnext network"), version=np.array(1, np.int64),
                shape=np.array(network.shape, np.int64),
                activations=np.array(network.activations), params=network.parameters.copy())
    good.update(changes)
    return {key: value for key, value in good.items() if value is not None}


def write(tmp_path, contents):
    path = tmp_path / "bad.npz"
    np.savez(path, **contents)
    return path


@pytest.mark.parametrize("changes, message", [
    (dict(format=None), r"missing \['format'\]"),
    (dict(extra=np.zeros(1)), r"unknown \['extra'\]"),
    (dict(format=np.array("other")), "format must be 'nnext network'"),
    (dict(format=np.array([1, 2])), "format must be"),
    (dict(version=np.array(2)), "version 2 is not one this nnext reads"),
    (dict(version=np.array(1.0)), "version None is not one"),
    (dict(shape=np.array([5, 7, 3])), "activations must name 2 layers"),
    (dict(shape=np.array([5.0, 7, 3, 4])), "shape must be a 1-D array of integers"),
    (dict(shape=np.array([5, 0, 3, 4])), r"shape\[1\] must be a positive integer"),
    (dict(shape=np.array([5, 7, 3, 5])), r"params must hold 86 values for shape \[5, 7, 3, 5\]; got 82"),
    (dict(activations=np.array(["relu", "softmax", "softmax"])), "only the output layer"),
    (dict(activations=np.array(["relu", "tanh", "swish"])), r"activations\[2\] must be one of"),
    (dict(activations=np.array([1, 2, 3])), "activations must be a 1-D array of strings"),
    (dict(params=np.zeros(82, np.int32)), "params must be float64 or float32; got int32"),
    (dict(params=np.zeros((2, 41))), "params must be a 1-D array"),
    (dict(params=np.full(82, np.nan)), "params must be finite"),
])
def test_bad_archives_are_refused(tmp_path, changes, message):
    with pytest.raises(ValueError, match=message):
        nnext.load(write(tmp_path, arrays(**changes)))


def test_pickled_objects_are_refused(tmp_path):
    path = write(tmp_path, arrays(activations=np.array(["relu", "tanh", "softmax"], object)))
    with pytest.raises(ValueError, match="member 'activations.npy' holds Python objects"):
        nnext.load(path)


def test_a_header_that_asks_for_more_than_the_member_holds_is_refused(tmp_path):
    # A hostile header could make a reader allocate terabytes; this one is refused first.
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (10**12,)})
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for name, array in arrays().items():
            if name != "params":
                with archive.open(name + ".npy", "w") as member:
                    np.lib.format.write_array(member, array)
        archive.writestr("params.npy", buffer.getvalue() + b"\0" * 64)
    with pytest.raises(ValueError, match="'params.npy' declares more data than it holds"):
        nnext.load(path)


@pytest.mark.parametrize("contents", [b"", b"PK\x03\x04garbage", b"not a zip at all"])
def test_files_that_are_not_archives_are_refused(tmp_path, contents):
    path = tmp_path / "broken.npz"
    path.write_bytes(contents)
    with pytest.raises(ValueError, match="not a readable .npz archive|broken.npz"):
        nnext.load(path)


def test_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        nnext.load(tmp_path / "absent.npz")


def test_failing_save_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "net.npz"
    nnext.save(modern(), path)
    old = path.read_bytes()

    def fail(file, *args):
        file.write(b"PK half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(npzformat, "write", fail)
    with pytest.raises(OSError, match="No space left"):
        nnext.save(modern(np.float32), path)
    assert path.read_bytes() == old and os.listdir(tmp_path) == ["net.npz"]


@pytest.fixture(scope="module")
def valid_archive():
    buffer = io.BytesIO()
    np.savez(buffer, **arrays())
    return buffer.getvalue()


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_archives_load_or_raise_value_error(tmp_path, valid_archive, data):
    blob = bytearray(valid_archive)
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(blob) - 1))
        if data.draw(st.booleans()):
            blob[position] = data.draw(st.integers(0, 255))
        else:
            del blob[position:position + data.draw(st.integers(1, 64))]
    path = tmp_path / "mutated.npz"
    path.write_bytes(bytes(blob))
    try:
        network = nnext.load(path)
    except ValueError:
        return
    assert np.isfinite(network.parameters).all()
    assert len(network.activations) == len(network.shape) - 1

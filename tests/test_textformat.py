import io
import math
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nnext
from nnext import textformat
from nnext.network import NeuralNetwork, load_from_file, serialize_neural_network

SEED_FILE = Path(__file__).parent / "data" / "simple_example_config.txt"


def test_file_written_by_the_original_loads():
    with open(SEED_FILE) as f:
        network = load_from_file(f)
    assert network.shape == (2, 1)
    z = 9.329354559454856 * 0.9 - 9.522933608519864 * 0.1 - 0.48917965261930874
    assert network.feedforward([0.9, 0.1])[0] == pytest.approx(1 / (1 + math.exp(-z)),
                                                               rel=1e-15)


def test_writes_exactly_the_original_format():
    network = NeuralNetwork([2, 1])
    network.weights[0][...] = [[9.329354559454856, -9.522933608519864]]
    network.biases[0][...] = [-0.48917965261930874]
    out = io.StringIO()
    serialize_neural_network(network, out)
    assert out.getvalue() == SEED_FILE.read_text()


def test_layout_of_a_three_layer_file():
    network = NeuralNetwork([2, 2, 1])
    network.weights[0][...] = [[0.25, -1.5], [1.0, 2.0]]
    network.biases[0][...] = [0.1, 0.2]
    network.weights[1][...] = [[3.0, 4.0]]
    network.biases[1][...] = [-1e-05]
    out = io.StringIO()
    serialize_neural_network(network, out)
    assert out.getvalue() == ("3\n2\n2\n1\n[0.25, -1.5, 1.0, 2.0]\n[0.1, 0.2]\n"
                              "[3.0, 4.0]\n[-1e-05]\n")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_round_trip_is_bit_identical(dtype):
    network = NeuralNetwork([5, 7, 3, 2], seed=3, dtype=dtype)
    network.weights[0][0, 0] = 1e-300
    network.weights[0][0, 1] = -123456789.123
    out = io.StringIO()
    serialize_neural_network(network, out)
    loaded = load_from_file(io.StringIO(out.getvalue()), dtype=dtype)
    assert loaded.shape == network.shape
    np.testing.assert_array_equal(loaded.parameters, network.parameters)


def test_binary_files_and_crlf_load(tmp_path):
    text = SEED_FILE.read_text().replace("\n", "\r\n").encode()
    network = load_from_file(io.BytesIO(text))
    assert network.weights[0][0, 0] == 9.329354559454856


def test_save_and_load_a_path(tmp_path):
    network = NeuralNetwork([3, 4, 2], seed=0)
    path = tmp_path / "net.txt"
    nnext.save(network, path)
    np.testing.assert_array_equal(nnext.load(path).parameters, network.parameters)
    assert os.listdir(tmp_path) == ["net.txt"]


def test_failing_save_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "net.txt"
    nnext.save(NeuralNetwork([2, 1], seed=0), path)
    old = path.read_bytes()

    def write_half_then_fail(file, shape, params, **options):
        file.write("3\n784\n")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(textformat, "write", write_half_then_fail)
    with pytest.raises(OSError, match="No space left"):
        nnext.save(NeuralNetwork([784, 20, 10], seed=1), path)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["net.txt"]


VALID = "3\n2\n2\n1\n[0.25, -1.5, 1.0, 2.0]\n[0.1, 0.2]\n[3.0, 4.0]\n[-1e-05]\n"


@pytest.mark.parametrize("text, message", [
    ("", "ends before line 1"),
    ("\n", "line 1 .* must be an integer"),
    ("3\n2\n2\n", "ends before line 4"),
    (VALID[:VALID.index("[3.0")], "ends before line 7"),
    (VALID.replace("[3.0, 4.0]", "[3.0]"), "must hold 2 values; got 1"),
    (VALID.replace("[3.0, 4.0]", "[3.0, 4.0, 5.0]"), "must hold 2 values; got 3"),
    (VALID.replace("[3.0, 4.0]", "[3.0, abc]"), "must be a list of numbers"),
    (VALID.replace("[3.0, 4.0]", "[3.0, __import__('os')]"), "must be a list of numbers"),
    (VALID.replace("[3.0, 4.0]", "[3.0, nan]"), "must be a list of numbers"),
    (VALID.replace("[3.0, 4.0]", "[3.0, inf]"), "must be a list of numbers"),
    (VALID.replace("[3.0, 4.0]", "[3.0, 1e999]"), "too large"),
    (VALID.replace("[3.0, 4.0]", "3.0, 4.0"), "must be a list of numbers"),
    (VALID.replace("[3.0, 4.0]", "[3.0,, 4.0]"), "must be a list of numbers"),
    (VALID.replace("[3.0, 4.0]", "[3_0, 4.0]"), "must be a list of numbers"),
    ("-3\n2\n2\n1\n", "number of layers must be between 2 and"),
    ("1\n2\n", "number of layers must be between 2 and"),
    ("99999999999999999999\n", "number of layers must be between 2 and"),
    ("3\n2\n-2\n1\n", r"shape\[1\] must be a positive integer; got -2"),
    ("3\n2\n0\n1\n", r"shape\[1\] must be a positive integer; got 0"),
    ("2\n100000000\n100000000\n", "more than this machine's memory"),
    ("3\n2.5\n2\n1\n", "must be an integer"),
    (VALID + "[1.0]\n", "unexpected content after line 8"),
    ("3\n2\n2\n1\n[" + "1.0, " * 10**6, "longer than"),
    ("3\n" + "9" * 10**6, "longer than"),
])
def test_bad_files_are_refused(text, message):
    with pytest.raises(ValueError, match=message):
        load_from_file(io.StringIO(text))


def test_trailing_whitespace_is_accepted():
    network = load_from_file(io.StringIO(VALID + "\n  \n"))
    assert network.shape == (2, 2, 1)
    np.testing.assert_array_equal(network.weights[1], [[3.0, 4.0]])


def test_non_ascii_binary_is_refused():
    with pytest.raises(ValueError, match="not ASCII"):
        load_from_file(io.BytesIO(b"\xff\xfe3\n"))


def check_outcome(data):
    """Every input either loads as a consistent network or raises ValueError."""
    try:
        network = load_from_file(io.BytesIO(data))
    except ValueError:
        return
    assert np.isfinite(network.parameters).all()
    assert len(network.weights) == len(network.shape) - 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_files_load_or_raise_value_error(data):
    text = bytearray(VALID.encode())
    for _ in range(data.draw(st.integers(1, 5))):
        position = data.draw(st.integers(0, len(text)))
        action = data.draw(st.sampled_from(["insert", "delete", "replace", "truncate"]))
        byte = data.draw(st.sampled_from(list(b"0123456789[],.-+eE \n\r\tx\x00\xff")))
        if action == "insert":
            text.insert(position, byte)
        elif action == "delete" and position < len(text):
            del text[position]
        elif action == "replace" and position < len(text):
            text[position] = byte
        elif action == "truncate":
            del text[position:]
    check_outcome(bytes(text))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_load_or_raise_value_error(data):
    check_outcome(data)

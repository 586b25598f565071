"""Saving and loading against hostile files, killed saves and odd paths."""
import errno
import io
import json
import os
import pickle
import signal
import stat
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

import nnext
from nnext import NeuralNetwork
from peak_memory import load_in_fresh_process

FUZZ = Path(__file__).parent / "fuzz_loaders.py"


def run_python(code, *args, timeout=60):
    """Run ``code`` in a fresh interpreter, outside the source tree (whose nnext
    has no compiled core)."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout,
                          cwd=os.path.dirname(os.path.abspath(args[0])))


def peak_memory_of_load(path):
    """Peak memory (bytes) that loading ``path`` adds to a fresh process, and
    the outcome."""
    _, added, outcome = load_in_fresh_process(path)
    return added, outcome


# --- the text loader: time and memory bounded by the file ---------------------

def test_a_long_list_ending_in_garbage_is_refused_at_once(tmp_path):
    # The old number-list regular expression took 53 s on 40 kB and grew quadratically.
    path = tmp_path / "slow.txt"
    path.write_text("2\n100\n100\n[" + "1" * 1_000_000 + "x]\n")
    started = time.perf_counter()
    with pytest.raises(ValueError, match="slow.txt: line 4"):
        nnext.load(path)
    assert time.perf_counter() - started < 1.0


def test_a_small_file_claiming_a_huge_network_is_refused_without_allocating(tmp_path):
    path = tmp_path / "claims.txt"
    path.write_text("2\n40000\n40000\n[" + "0, " * 300_000 + "0]\n")
    added, outcome = peak_memory_of_load(path)
    assert "needs 1600040000 values" in outcome
    assert added < 8 * path.stat().st_size + (16 << 20)


def test_a_valid_text_file_loads_within_a_few_times_its_size(tmp_path):
    path = tmp_path / "valid.txt"
    nnext.save(NeuralNetwork([300, 400, 10], seed=0), path)
    added, outcome = peak_memory_of_load(path)
    assert outcome == "loaded"
    assert added < 4 * path.stat().st_size + (16 << 20)


class Stream:
    """A file that can only be read forwards, like a pipe."""

    def __init__(self, text):
        self._buffer = io.StringIO(text)
        self.readline, self.read = self._buffer.readline, self._buffer.read


def test_a_stream_of_unknown_length_is_still_bounded_by_its_lines():
    text = "2\n40000\n40000\n[" + "0, " * 1000 + "0]\n"
    with pytest.raises(ValueError, match="must hold 1600000000 values; got 1001"):
        nnext.load_from_file(Stream(text))


# --- the digest line ------------------------------------------------------------

def original_reader(lines):
    """The original program's load_from_file, on a list of lines: it reads the
    lines it needs and ignores the rest."""
    lines = iter(lines)
    shape = [int(next(lines)) for _ in range(int(next(lines)))]
    values = []
    for _ in shape[1:]:
        for _ in ("weights", "biases"):
            text = next(lines)
            values.append(np.fromiter(map(float, text.replace("[", "").replace("]", "")
                                          .split(", ")), dtype=float))
    return shape, np.concatenate(values)


def test_save_adds_a_digest_line_that_the_original_reader_ignores(tmp_path):
    network = NeuralNetwork([4, 3, 2], seed=0)
    path = tmp_path / "net.txt"
    nnext.save(network, path)
    lines = path.read_text().splitlines()
    assert lines[-1].startswith("sha256 ") and len(lines[-1]) == 7 + 64
    shape, params = original_reader(lines)
    assert shape == [4, 3, 2]
    np.testing.assert_array_equal(params, nnext.load(path).weights[0].ravel().tolist()
                                  + nnext.load(path).biases[0].tolist()
                                  + nnext.load(path).weights[1].ravel().tolist()
                                  + nnext.load(path).biases[1].tolist())


def test_a_changed_value_under_a_digest_is_refused(tmp_path):
    path = tmp_path / "net.txt"
    nnext.save(NeuralNetwork([2, 2, 1], seed=0), path)
    lines = path.read_text().splitlines(keepends=True)
    lines[4] = lines[4].replace("0.", "1.", 1)
    path.write_text("".join(lines))
    with pytest.raises(ValueError, match="net.txt: the file's sha256 digest .* does not match"):
        nnext.load(path)


def test_a_digest_survives_a_change_of_line_endings(tmp_path):
    path = tmp_path / "net.txt"
    network = NeuralNetwork([2, 2, 1], seed=0)
    nnext.save(network, path)
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    np.testing.assert_array_equal(nnext.load(path).weights[0], network.weights[0])


@pytest.mark.parametrize("last_line, message", [
    ("sha256 " + "0" * 64, "does not match"),
    ("sha256", "unexpected content after line 8"),
    ("md5 " + "0" * 32, "unexpected content after line 8"),
])
def test_bad_digest_lines_are_refused(last_line, message):
    text = "3\n2\n2\n1\n[0.25, -1.5, 1.0, 2.0]\n[0.1, 0.2]\n[3.0, 4.0]\n[-1e-05]\n"
    with pytest.raises(ValueError, match=message):
        nnext.load_from_file(io.StringIO(text + last_line + "\n"))


# --- the npz loader: compression, headers ----------------------------------------

def npz_members(network):
    return {"format": np.array("nnext network"), "version": np.array(1, np.int64),
            "shape": np.array(network.shape, np.int64),
            "activations": np.array(network.activations),
            "params": np.concatenate([part for w, b in zip(network.weights, network.biases)
                                      for part in (w.ravel(), b)])}


def write_archive(path, members, method=zipfile.ZIP_DEFLATED, raw=None):
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, array in members.items():
            buffer = io.BytesIO()
            np.save(buffer, array)
            archive.writestr(name + ".npy", buffer.getvalue())
        for name, blob in (raw or {}).items():
            archive.writestr(name, blob)
    return path


def test_a_deflate_bomb_is_refused_before_it_is_inflated(tmp_path):
    members = npz_members(NeuralNetwork([2, 1], seed=0))
    members["shape"] = np.array([5_000_000, 1])
    members["params"] = np.zeros(5_000_001)
    path = write_archive(tmp_path / "bomb.npz", members)
    assert path.stat().st_size < 60_000
    added, outcome = peak_memory_of_load(path)
    assert "would expand from" in outcome and "more than 16 times" in outcome
    assert added < 16 << 20


def test_a_moderately_deflated_archive_loads(tmp_path):
    network = NeuralNetwork([20, 30, 5], activations=["tanh", "softmax"], seed=0)
    path = tmp_path / "compressed.npz"
    np.savez_compressed(path, **npz_members(network))
    np.testing.assert_array_equal(nnext.load(path).weights[1], network.weights[1])


@pytest.mark.parametrize("header", [
    b"{'descr': '<f8', 'fortran_order': False, 'shape': (3,",
    b"{'descr': '<f8', 'fortran_order': False, 'shape': (3,)} )",
    b"{'descr': '<f8' 'fortran_order': False}",
    b"\xff\xfe",
])
def test_malformed_npy_headers_are_one_value_error_naming_the_file(tmp_path, header):
    padded = header + b" " * (-(len(header) + 11) % 64) + b"\n"
    blob = b"\x93NUMPY\x01\x00" + len(padded).to_bytes(2, "little") + padded + b"\0" * 64
    members = npz_members(NeuralNetwork([2, 1], seed=0))
    del members["params"]
    path = write_archive(tmp_path / "header.npz", members, raw={"params.npy": blob})
    with pytest.raises(ValueError, match="header.npz: "):
        nnext.load(path)


def test_a_member_damaged_inside_is_refused_by_its_crc(tmp_path):
    path = tmp_path / "net.npz"
    nnext.save(NeuralNetwork([4, 3, 2], seed=0), path)
    blob = bytearray(path.read_bytes())
    position = blob.index(b"params.npy") + 200     # inside params' values
    blob[position] ^= 0x40
    path.write_bytes(bytes(blob))
    with pytest.raises(ValueError, match="net.npz: .*(CRC|Bad)"):
        nnext.load(path)


def test_an_archive_with_a_member_twice_is_refused(tmp_path):
    members = npz_members(NeuralNetwork([2, 1], seed=0))
    buffer = io.BytesIO()
    np.save(buffer, members["params"])
    path = tmp_path / "twice.npz"
    with pytest.warns(UserWarning, match="Duplicate name"):
        write_archive(path, members, raw={"params.npy": buffer.getvalue()})
    with pytest.raises(ValueError, match=r"repeated \['params'\]"):
        nnext.load(path)


# --- the fuzz tests ----------------------------------------------------------------

@pytest.mark.parametrize("kind", ["txt", "npz"])
def test_fuzzed_files_only_raise_value_error_quickly_and_within_memory(tmp_path, kind):
    result = subprocess.run([sys.executable, str(FUZZ), kind, "2000", "20261204", str(tmp_path)],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["cases"] == 2000
    assert summary["escaped"] == []
    assert summary["loaded_hostile"] == 0
    assert summary["slowest_seconds"] < 0.25, summary
    # At most 16 times the largest file, plus 1 MiB for what the interpreter
    # itself keeps over 2,000 cases (a debug build's run grew 331 kB); a file
    # that could make the loader allocate what it claims would take far more.
    assert (summary["peak_after"] - summary["peak_before"]
            <= 16 * summary["largest_file"] + (1 << 20)), summary
    if kind == "txt":      # under a digest line, a mutation that still parses is caught
        with_digest_loads = summary["loaded_by_seed"][1]
        assert with_digest_loads <= 0.01 * summary["loaded_by_seed"][0] + 5, summary


# --- saving: what is refused, what is kept -------------------------------------------

def test_save_refuses_non_finite_parameters_and_keeps_the_old_file(tmp_path):
    path = tmp_path / "net.npz"
    network = NeuralNetwork([3, 4, 2], seed=0)
    nnext.save(network, path)
    old = path.read_bytes()
    network.weights[1][1, 2] = np.nan
    for name in (path, tmp_path / "net.txt"):
        with pytest.raises(ValueError, match=r"not finite: weights\[1\]\[1, 2\] is nan"):
            nnext.save(network, name)
    assert path.read_bytes() == old
    assert sorted(os.listdir(tmp_path)) == ["net.npz"]


def test_dec_weights_refuses_to_make_a_weight_infinite():
    network = NeuralNetwork([2, 2, 1], seed=0)
    network.dec_weights(1, -1e308)
    before = network.weights[0].copy()
    with pytest.raises(ValueError, match=r"would make weights\[0\] infinite.*unchanged"):
        network.dec_weights(1, -1e308)
    np.testing.assert_array_equal(network.weights[0], before)
    network.biases[0][...] = [-1e308, 0.0]
    with pytest.raises(ValueError, match=r"would make biases\[0\] infinite"):
        network.dec_biases(1, 1e308)
    np.testing.assert_array_equal(network.biases[0], [-1e308, 0.0])


def test_feedforward_names_a_non_finite_parameter_set_through_a_view():
    network = NeuralNetwork([2, 3, 1], seed=0)
    network.biases[0][2] = np.nan
    with pytest.raises(ValueError, match=r"not finite: biases\[0\]\[2\] is nan"):
        network.feedforward(np.zeros((5, 2)))
    with pytest.raises(ValueError, match=r"biases\[0\]\[2\]"):
        network.feedforward(np.zeros(2))


def test_finite_parameters_that_overflow_give_infinite_outputs_as_numpy_does():
    network = NeuralNetwork([1, 1], activations="identity", seed=0)
    network.weights[0][...] = 1e308
    assert network.feedforward(np.array([[10.0]]))[0, 0] == np.inf


def test_values_too_large_for_float32_are_refused(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("2\n1\n1\n[1e+300]\n[0.5]\n")
    assert nnext.load(path).weights[0][0, 0] == 1e300
    with pytest.raises(ValueError,
                       match=r"weights\[0\]\[0, 0\] is 1e\+300, too large for float32"):
        nnext.load(path, dtype="float32")
    network = NeuralNetwork([1, 1], dtype="float32")
    with pytest.raises(ValueError, match="fit float32"):
        network.layers[1].weights = np.array([[1e300]])


def test_the_saved_file_keeps_the_old_files_permissions(tmp_path):
    path = tmp_path / "net.npz"
    network = NeuralNetwork([2, 1], seed=0)
    for mode in (0o644, 0o640, 0o600):
        path.touch()
        path.chmod(mode)
        nnext.save(network, path)
        assert stat.S_IMODE(path.stat().st_mode) == mode


def test_a_new_file_gets_the_umasks_permissions(tmp_path):
    old = os.umask(0o027)
    try:
        nnext.save(NeuralNetwork([2, 1], seed=0), tmp_path / "new.txt")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640


def test_saving_to_a_symbolic_link_writes_its_target(tmp_path):
    (tmp_path / "models").mkdir()
    target = tmp_path / "models" / "v1.npz"
    link = tmp_path / "current.npz"
    nnext.save(NeuralNetwork([2, 1], seed=0), target)
    link.symlink_to(target)
    network = NeuralNetwork([2, 1], seed=1)
    nnext.save(network, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    np.testing.assert_array_equal(nnext.load(target).weights[0], network.weights[0])
    assert sorted(os.listdir(tmp_path / "models")) == ["v1.npz"]


SLOW_SAVE = """
    import sys, time
    import nnext
    from nnext import textformat

    def write_slowly(file, *args, **options):
        file.write("2\\n")
        file.flush()
        print("writing", flush=True)
        time.sleep(60)

    textformat.write = write_slowly
    nnext.save(nnext.NeuralNetwork([2, 1], seed=0), sys.argv[1])
"""


def start_slow_save(path):
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(SLOW_SAVE), str(path)],
                             stdout=subprocess.PIPE, text=True, cwd=path.parent)
    assert child.stdout.readline() == "writing\n"
    return child


def temporaries(directory):
    return sorted(name for name in os.listdir(directory) if name.endswith(".tmp"))


def test_a_killed_saves_temporary_file_is_removed_by_the_next_save(tmp_path):
    path = tmp_path / "net.txt"
    nnext.save(NeuralNetwork([2, 1], seed=0), path)
    (tmp_path / ".other.tmp").write_text("not nnext's")
    child = start_slow_save(path)
    try:
        [temporary] = [name for name in temporaries(tmp_path) if name != ".other.tmp"]
        assert temporary.startswith(".net.txt.nnext-")
        nnext.save(NeuralNetwork([2, 1], seed=1), tmp_path / "other.txt")
        assert temporary in temporaries(tmp_path)          # a live save keeps its file
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert temporary in temporaries(tmp_path)
    nnext.save(NeuralNetwork([2, 1], seed=2), tmp_path / "other.txt")
    assert temporaries(tmp_path) == [".other.tmp"]
    assert nnext.load(path).shape == (2, 1)                 # the killed save changed nothing


def test_a_missing_directory_names_the_target_not_a_temporary_file(tmp_path):
    target = tmp_path / "absent" / "net.npz"
    with pytest.raises(FileNotFoundError, match=f"cannot save '{target}'") as caught:
        nnext.save(NeuralNetwork([2, 1], seed=0), target)
    assert caught.value.filename == str(target)
    assert "nnext-" not in str(caught.value)


def test_a_file_size_limit_names_the_target(tmp_path):
    path = tmp_path / "net.npz"
    result = run_python("""
        import resource, signal, sys
        import nnext
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        try:
            nnext.save(nnext.NeuralNetwork([100, 20, 10], seed=0), sys.argv[1])
        except OSError as error:
            print(error.errno, error)
        """, path)
    number, message = result.stdout.strip().split(" ", 1)
    assert int(number) == errno.EFBIG and f"cannot save '{path}'" in message
    assert os.listdir(tmp_path) == []


# --- training inputs and state ------------------------------------------------------

@pytest.mark.parametrize("activations, loss, targets, message", [
    (["relu", "softmax"], "cross_entropy", np.eye(3)[[0, 1, 2, 1]] * 5 - 3,
     r"probabilities in \[0, 1\] .* row 0 holds 2.0"),
    (["relu", "softmax"], "cross_entropy", np.full((4, 3), 0.5), r"row 0 sums to 1.5"),
    (["relu", "sigmoid"], "cross_entropy", np.full((4, 3), 1.5), r"probabilities in \[0, 1\]"),
    (["relu", "exp"], "poisson", -np.ones((4, 3)), r"counts >= 0 .* row 0 holds -1.0"),
])
def test_targets_outside_the_losss_range_are_refused(activations, loss, targets, message):
    network = NeuralNetwork([2, 4, 3], activations=activations, seed=0)
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match="training targets must be " + message.split()[0]
                       if message.startswith("counts") else message):
        nnext.fit(network, X, targets, loss=loss, epochs=1)
    with pytest.raises(ValueError, match="validation targets"):
        nnext.fit(network, X, np.clip(np.eye(3)[[0, 1, 2, 1]], 0, 1), loss=loss, epochs=1,
                  validation_data=(X, targets))


def test_probabilities_that_are_not_one_hot_are_accepted():
    network = NeuralNetwork([2, 4, 3], activations=["relu", "softmax"], seed=0)
    smoothed = np.full((4, 3), 0.1 / 3) + 0.9 * np.eye(3)[[0, 1, 2, 1]]
    nnext.fit(network, np.zeros((4, 2), np.float32), smoothed.astype(np.float32), epochs=1)


def test_training_a_network_that_is_already_non_finite_says_so():
    network = NeuralNetwork([2, 3, 1], seed=0)
    network.weights[0][1, 0] = np.nan
    data = (np.zeros((4, 2)), np.zeros((4, 1)))
    with pytest.raises(ValueError, match=r"must be finite before training.*weights\[0\]\[1, 0\]"):
        nnext.fit(network, *data, epochs=1)
    with pytest.raises(ValueError, match=r"must be finite before training"):
        nnext.Trainer().train(network, data, 1, 1, 2, 0.0, 1)


def pickled_network(**changes):
    network = NeuralNetwork([2, 3, 1], seed=0)
    nnext.fit(network, np.zeros((4, 2)), np.zeros((4, 1)), epochs=1, optimizer="adam")
    state = network.__getstate__()
    state.update(changes)
    return state


@pytest.mark.parametrize("changes, message", [
    (dict(params=np.full(13, np.nan)), r"weights\[0\]\[0, 0\] is nan"),
    (dict(optimizer=("adam", 1, np.zeros(13))), "must be a 1-D float64 array of 26 values"),
    (dict(optimizer=("adam", 1, np.r_[np.zeros(13), -np.ones(13)])), "second moment >= 0"),
    (dict(optimizer=("adam", 1, np.full(26, np.inf))), "must be finite"),
    (dict(optimizer=("adagrad", 1, np.zeros(13))), "with a name among"),
    (dict(optimizer=("rmsprop", 1, -np.ones(13))), "mean square >= 0"),
])
def test_unpickling_checks_parameters_and_optimizer_state(changes, message):
    state = pickled_network(**changes)
    network = NeuralNetwork.__new__(NeuralNetwork)
    with pytest.raises(ValueError, match=message):
        network.__setstate__(state)


def test_a_pickled_network_with_adam_state_round_trips():
    network = NeuralNetwork.__new__(NeuralNetwork)
    network.__setstate__(pickled_network())
    assert pickle.loads(pickle.dumps(network)).shape == (2, 3, 1)


def test_fit_from_its_own_progress_callback_says_it_is_the_same_thread():
    network = NeuralNetwork([2, 3, 1], seed=0)
    data = (np.zeros((4, 2)), np.zeros((4, 1)))
    errors = []

    def progress(info):
        try:
            nnext.fit(network, *data, epochs=1)
        except RuntimeError as error:
            errors.append(str(error))

    nnext.fit(network, *data, epochs=1, progress=progress)
    assert errors and "already being trained by this thread" in errors[0]

"""The seed's examples, run as a user runs them: as scripts of the checkout."""
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import nnext
from conftest import MNIST, needs_mnist

EXAMPLES = os.path.join(os.path.dirname(__file__), os.pardir, "examples")


def run(script, *args, cwd, stderr=False):
    completed = subprocess.run([sys.executable, os.path.join(EXAMPLES, script), *args],
                               cwd=cwd, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    return (completed.stdout, completed.stderr) if stderr else completed.stdout


def test_simple_example_classifies_new_points(tmp_path):
    out = run("simple_example.py", "--seed", "0", cwd=tmp_path)
    lines = out.splitlines()
    assert lines[:3] == ["Generating training data", "Training", "Training ready"]
    results = [line.split() for line in lines[lines.index("Result Expected Diff") + 1:-1]]
    assert len(results) == 20
    assert all(abs(int(r) - int(e)) == int(d) for r, e, d in results)
    rate = float(lines[-1].split(": ")[1])
    assert rate == sum(d == "0" for _, _, d in results) / 20
    assert rate >= 0.85


@needs_mnist
def test_digits_recogniser_train_and_test_on_a_short_run(tmp_path):
    out, progress = run("digits_recognizer_train.py", "--max-rounds", "60", "--plot", "p",
                        cwd=tmp_path, stderr=True)
    assert sorted(os.listdir(tmp_path / "p")) == ["hidden_units.png", "learning_curve.png"]
    assert re.match(r"Trained in [\d.]+ s: 60 rounds, best cost [\d.]+, stopped: max_rounds",
                    out)
    # Not a terminal: a few plain progress lines, the last one for round 60.
    lines = progress.splitlines()
    assert 1 <= len(lines) < 60 and lines[-1].startswith("round 60: cost ")
    network_file = tmp_path / "digits_recognizer_setup.txt"
    assert network_file.read_text().startswith("3\n784\n20\n10\n[")
    out = run("digits_recognizer_test.py", "--cases", "--plot", "q", cwd=tmp_path)
    assert sorted(os.listdir(tmp_path / "q")) == ["confusion_matrix.png", "mistakes.png"]
    lines = [line for line in out.splitlines() if not line.startswith("Wrote ")]
    assert len(lines) == 10001 and lines[0].startswith("Case 0: ")
    match = re.fullmatch(r"Good: (\d+) Bad: (\d+) Success Rate: ([\d.]+)", lines[-1])
    good, bad, rate = match.groups()
    assert int(good) + int(bad) == 10000
    assert float(rate) == int(good) / 10000
    assert float(rate) > 0.6


@needs_mnist
def test_seed_sweep_reports_each_seed_and_the_median(tmp_path):
    out = run("digits_recognizer_seeds.py", "--seeds", "0,1", "--max-rounds", "20", cwd=tmp_path)
    lines = out.splitlines()
    assert lines[0] == "| seed | rounds | training time | test success rate |"
    rows = [re.fullmatch(r"\| (\d) \| (\d+) \| [\d.]+ s \| ([\d.]+)% \|", line)
            for line in lines[2:4]]
    assert [row.group(1) for row in rows] == ["0", "1"]
    assert [row.group(2) for row in rows] == ["20", "20"]
    rates = sorted(float(row.group(3)) for row in rows)
    summary = re.search(r"median ([\d.]+)% \(range ([\d.]+)% to ([\d.]+)%\)", lines[-1])
    assert [float(x) for x in summary.groups()] == pytest.approx(
        [(rates[0] + rates[1]) / 2, rates[0], rates[1]], abs=0.006)


@needs_mnist
def test_modern_digits_recogniser_on_a_short_run(tmp_path):
    out, progress = run("digits_modern.py", "--epochs", "2", "--plot", "pictures",
                        cwd=tmp_path, stderr=True)
    for name in ("learning_curve", "confusion_matrix", "mistakes", "hidden_units"):
        picture = (tmp_path / "pictures" / f"{name}.png").read_bytes()
        assert picture.startswith(b"\x89PNG\r\n\x1a\n") and 1000 < len(picture) < 1_000_000
    lines = out.splitlines()[:2]
    assert re.fullmatch(r"Trained in [\d.]+ s: 2 epochs \(stopped: epochs\), best epoch \d "
                        r"with validation accuracy [\d.]+%", lines[0])
    accuracy = float(re.fullmatch(r"Test accuracy: ([\d.]+)%", lines[1]).group(1))
    assert accuracy > 95
    assert progress.splitlines()[-1].startswith("epoch 2: loss ")
    network = nnext.load(tmp_path / "digits_modern.npz")
    assert network.activations == ("relu", "softmax") and network.dtype == np.float32
    images, labels = nnext.load_mnist(MNIST, "test")
    X = images.reshape(len(images), -1).astype(np.float32) / 255
    assert np.mean(network.feedforward(X).argmax(1) == labels) == pytest.approx(accuracy / 100,
                                                                                abs=5e-5)

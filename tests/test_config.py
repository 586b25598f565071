"""nnext.show_config and python -m nnext; the errors a newcomer meets first."""
import io
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nnext
from nnext import engine


def test_show_config_reports_the_build_and_what_it_runs_on():
    out = io.StringIO()
    nnext.show_config(file=out)
    lines = dict(line.split(None, 1) for line in out.getvalue().splitlines()
                 if not line.startswith(("available", "default", "debug", "OMP", "cores busy")))
    assert lines["nnext"] == nnext.__version__
    assert lines["kernels"] == engine.kernels()
    assert lines["numpy"] == np.__version__
    facts = nnext.config.config()
    assert facts["available kernels"] == ", ".join(engine.AVAILABLE_KERNELS)
    assert facts["openmp"] is engine.openmp and facts["default threads"] >= 1


def test_python_m_nnext_prints_the_same(tmp_path):
    result = subprocess.run([sys.executable, "-m", "nnext"], capture_output=True, text=True,
                            timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert ["nnext", nnext.__version__] in [line.split() for line in result.stdout.splitlines()]
    assert "kernels" in result.stdout and "blas" in result.stdout


@pytest.mark.parametrize("X, Y, hint", [
    (np.zeros((5, 784)), np.arange(5), r"one-hot encode them: np.eye\(n_classes\)\[labels\]"),
    (np.zeros((5, 28, 28), np.uint8), np.zeros((5, 10)),
     r"X.reshape\(len\(X\), -1\), which gives shape \(5, 784\) \(and scale pixels"),
])
def test_the_first_errors_a_newcomer_meets_say_what_to_do(X, Y, hint):
    network = nnext.NeuralNetwork([784, 10, 10])
    with pytest.raises(ValueError, match=hint):
        nnext.fit(network, X, Y, epochs=1)
    with pytest.raises(ValueError, match=hint):
        nnext.Trainer().train(network, (X, Y), 1.0, 1, 2, max_rounds=1)


def test_importing_the_unbuilt_source_tree_says_what_is_happening(tmp_path):
    # A checkout without the compiled core, as Python sees it from inside it.
    package = tmp_path / "nnext"
    package.mkdir()
    installed = Path(nnext.__file__).parent
    for source in list(installed.glob("*.py")) + [installed / "_core.pyx"]:
        shutil.copy(source, package)
    result = subprocess.run([sys.executable, "-c", "import nnext"], capture_output=True,
                            text=True, timeout=60, cwd=tmp_path)
    assert result.returncode != 0
    assert "nnext's compiled core is not built in" in result.stderr
    assert "Run Python from another directory" in result.stderr

"""Run scikit-learn's own MLP tests against nnext's estimators.

Takes ``sklearn/neural_network/tests/test_mlp.py`` from the installed
scikit-learn, changes only its import of ``MLPClassifier`` and
``MLPRegressor`` to ``nnext.sklearn``, and runs it with pytest (with
scikit-learn's own test fixtures), deselecting the tests listed in
``sklearn_mlp_deselected.txt`` beside this file (each with its reason).  A test that
scikit-learn adds in a new release runs too, so a difference shows up as a
failure.  Arguments go to pytest; the exit code is pytest's.

    python tests/sklearn_mlp_suite.py [-q]

The test suite runs it (``tests/test_sklearn.py``).
"""
import importlib.util
import os
import subprocess
import sys
import tempfile

IMPORT = "from sklearn.neural_network import MLPClassifier, MLPRegressor\n"
DESELECTED = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "sklearn_mlp_deselected.txt")


def scikit_learn_test_file():
    tests = importlib.util.find_spec("sklearn.neural_network.tests")
    if tests is None or not tests.submodule_search_locations:
        sys.exit("scikit-learn's tests are not installed (sklearn.neural_network.tests)")
    return os.path.join(list(tests.submodule_search_locations)[0], "test_mlp.py")


def redirected(source):
    """The test file with its estimator import moved to nnext.sklearn."""
    if source.count(IMPORT) != 1:
        sys.exit(f"scikit-learn's test_mlp.py no longer imports its estimators as "
                 f"{IMPORT.strip()!r}: update this script")
    return source.replace(IMPORT, "from nnext.sklearn import MLPClassifier, MLPRegressor\n")


def deselected():
    """The test ids to leave out: the first word of each line not a comment."""
    with open(DESELECTED) as file:
        return [line.split()[0] for line in file if line.strip() and not line.startswith("#")]


def main(pytest_arguments):
    with open(scikit_learn_test_file()) as file:
        source = redirected(file.read())
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "test_mlp_against_nnext.py")
        with open(path, "w") as file:
            file.write(source)
        command = [sys.executable, "-m", "pytest", "-p", "sklearn.conftest",
                   "-p", "no:cacheprovider", path]
        command += [f"--deselect={path}::{test}" for test in deselected()]
        return subprocess.call(command + pytest_arguments, cwd=directory)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

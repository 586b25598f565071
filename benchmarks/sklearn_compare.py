"""nnext.sklearn against scikit-learn's own MLPClassifier and MLPRegressor.

Quality and speed on scikit-learn's bundled data sets: load_digits,
load_breast_cancer and load_iris (classifier: test accuracy), load_diabetes
and make_friedman1 (regressor: test R^2).  Each set is split once
(train_test_split, random_state=0, a quarter held out) and standardised
(StandardScaler fitted on the training part; the regression targets too,
with the training part's mean and deviation); both estimators run with their
default hyperparameters but for the solver, for every solver and for the
random_states 0 to 4, fixed before the first run.  Reported per set and
solver: the median test score of each library (and the range), and the
median fit time.  Fits alternate between the libraries, with a pause of
0.2 s before each (OpenBLAS's threads spin for a while after scikit-learn's
last product, and took a core from nnext's next fit: a 2-thread lbfgs fit on
diabetes ran in 111 ms right after scikit-learn's, 54 ms after a pause).

Then MNIST through the estimators: the modern recipe
(MLPClassifier(hidden_layer_sizes=(256,), batch_size=128, alpha=0), Adam,
learning rate 1e-3) for a fixed number of epochs in float32 and in float64,
each library's fit timed side by side, medians of the repeats.

    python benchmarks/sklearn_compare.py                  # both parts
    python benchmarks/sklearn_compare.py --part small     # the bundled sets only
    python benchmarks/sklearn_compare.py --part mnist --epochs 3 --repeats 3
"""
import argparse
import os
import statistics
import time
import warnings

import numpy as np
from sklearn import datasets, neural_network
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import nnext
import nnext.sklearn

HERE = os.path.dirname(os.path.abspath(__file__))
MNIST = os.path.join(HERE, os.pardir, "datasets", "mnist")
SEEDS = range(5)
SOLVERS = ("lbfgs", "sgd", "adam")
PAUSE = 0.2     # seconds between fits


def small_sets():
    friedman = datasets.make_friedman1(n_samples=1000, random_state=0)
    return {"digits": ("classifier", datasets.load_digits(return_X_y=True)),
            "breast_cancer": ("classifier", datasets.load_breast_cancer(return_X_y=True)),
            "iris": ("classifier", datasets.load_iris(return_X_y=True)),
            "diabetes": ("regressor", datasets.load_diabetes(return_X_y=True)),
            "friedman1": ("regressor", friedman)}


def estimators(kind):
    name = "MLPClassifier" if kind == "classifier" else "MLPRegressor"
    return {"nnext": getattr(nnext.sklearn, name), "scikit-learn": getattr(neural_network, name)}


def timed_fit(estimator, X, y):
    # Idle BLAS and OpenMP threads spin for a while after a library's last
    # product and would take a core from the next fit: let them settle.
    time.sleep(PAUSE)
    started = time.perf_counter()
    estimator.fit(X, y)
    return time.perf_counter() - started


def compare_small_sets():
    print("| data set | solver | nnext score | scikit-learn score | nnext fit | "
          "scikit-learn fit | speed-up |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for set_name, (kind, (X, y)) in small_sets().items():
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25,
                                                            random_state=0)
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
        if kind == "regressor":      # the targets too (R^2 does not change with their scale)
            mean, std = y_train.mean(), y_train.std()
            y_train, y_test = (y_train - mean) / std, (y_test - mean) / std
        for solver in SOLVERS:
            scores = {library: [] for library in ("nnext", "scikit-learn")}
            times = {library: [] for library in scores}
            for seed in SEEDS:
                for library, cls in estimators(kind).items():
                    estimator = cls(solver=solver, random_state=seed)
                    times[library].append(timed_fit(estimator, X_train, y_train))
                    scores[library].append(estimator.score(X_test, y_test))
            cells = [f"{statistics.median(scores[lib]):.4f} ({min(scores[lib]):.4f} to "
                     f"{max(scores[lib]):.4f})" for lib in scores]
            fit = {lib: statistics.median(times[lib]) for lib in times}
            print(f"| {set_name} | {solver} | {cells[0]} | {cells[1]} | "
                  f"{fit['nnext'] * 1e3:.0f} ms | {fit['scikit-learn'] * 1e3:.0f} ms | "
                  f"{fit['scikit-learn'] / fit['nnext']:.1f}x |", flush=True)


def compare_mnist(epochs, repeats):
    images, labels = nnext.load_mnist(MNIST, "train")
    X = images.reshape(len(images), -1) / 255.0
    recipe = dict(hidden_layer_sizes=(256,), batch_size=128, alpha=0.0, max_iter=epochs,
                  n_iter_no_change=epochs + 1, random_state=0)
    print(f"\nMNIST, 60,000 digits, {epochs} epochs of the modern recipe through the "
          f"estimators; medians of {repeats}")
    print("| dtype | nnext fit | scikit-learn fit | speed-up | nnext per epoch | "
          "scikit-learn per epoch |")
    print("| --- | --- | --- | --- | --- | --- |")
    for dtype in (np.float32, np.float64):
        data = X.astype(dtype)
        times = {"nnext": [], "scikit-learn": []}
        for _ in range(repeats):
            times["nnext"].append(timed_fit(       # the data's dtype, as scikit-learn's
                nnext.sklearn.MLPClassifier(**recipe), data, labels))
            times["scikit-learn"].append(timed_fit(
                neural_network.MLPClassifier(**recipe), data, labels))
        ours, theirs = statistics.median(times["nnext"]), statistics.median(times["scikit-learn"])
        print(f"| {np.dtype(dtype).name} | {ours:.2f} s | {theirs:.2f} s | {theirs / ours:.2f}x "
              f"| {ours / epochs:.2f} s | {theirs / epochs:.2f} s |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("small", "mnist", "both"), default="both")
    parser.add_argument("--epochs", type=int, default=5, help="epochs of the MNIST fits")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the MNIST fits")
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    import sklearn
    print(f"nnext {nnext.__version__} ({nnext.engine.kernels()} kernels), scikit-learn "
          f"{sklearn.__version__}, NumPy {np.__version__}")
    if args.part in ("small", "both"):
        compare_small_sets()
    if args.part in ("mnist", "both"):
        compare_mnist(args.epochs, args.repeats)


if __name__ == "__main__":
    main()

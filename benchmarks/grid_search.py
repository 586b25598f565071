"""A grid search over MLP classifiers on scikit-learn's digits, with one job
and with two: nnext's estimators against scikit-learn's own, side by side.

    python benchmarks/grid_search.py [--repeats 3]

The grid: alpha in (1e-4, 1e-2), hidden_layer_sizes in ((64,), (128,)),
5-fold cross-validation, max_iter=100 and early stopping off (each fit runs
its epochs to the end or to its tolerance, as scikit-learn's default does);
the digits scaled to [0, 1].  Median seconds of the repeats.
"""
import argparse
import statistics
import time
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier as SklearnMLP

from nnext.sklearn import MLPClassifier as NnextMLP

GRID = {"alpha": [1e-4, 1e-2], "hidden_layer_sizes": [(64,), (128,)]}


def search_time(estimator, X, y, n_jobs):
    search = GridSearchCV(estimator, GRID, cv=5, n_jobs=n_jobs)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    return time.perf_counter() - started


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    X, y = load_digits(return_X_y=True)
    X = X / 16
    print("| estimator | n_jobs=1 (s) | n_jobs=2 (s) |")
    print("| --- | ---: | ---: |")
    for name, make in [("nnext.sklearn.MLPClassifier", NnextMLP),
                       ("sklearn.neural_network.MLPClassifier", SklearnMLP)]:
        times = {1: [], 2: []}
        for _ in range(args.repeats):
            for n_jobs in (1, 2):
                times[n_jobs].append(search_time(make(max_iter=100, random_state=0), X, y,
                                                 n_jobs))
        print(f"| {name} | {statistics.median(times[1]):.2f} | "
              f"{statistics.median(times[2]):.2f} |", flush=True)


if __name__ == "__main__":
    main()

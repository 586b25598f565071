"""Past one machine: nnext's estimators in a grid search on a Dask cluster
(joblib's Dask backend) and trained incrementally over chunks, on a
distributed.LocalCluster of two worker processes started here."""
import numpy as np
import pytest

pytest.importorskip("sklearn")
distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")
wrappers = pytest.importorskip("dask_ml.wrappers")

import dask                                                    # noqa: E402
import joblib                                                  # noqa: E402
from sklearn.datasets import load_digits                      # noqa: E402
from sklearn.model_selection import GridSearchCV               # noqa: E402

from conftest import MNIST, needs_mnist                        # noqa: E402
from nnext.datasets import load_mnist                          # noqa: E402
from nnext.sklearn import MLPClassifier                        # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        yield client


def test_grid_search_on_a_dask_cluster_finds_what_it_finds_here(client):
    X, y = load_digits(return_X_y=True)
    grid = {"hidden_layer_sizes": [(8,), (32,)], "alpha": [1e-4, 1.0]}

    def search():
        return GridSearchCV(MLPClassifier(max_iter=40, random_state=0, num_threads=1), grid,
                            cv=3, n_jobs=-1).fit(X / 16, y)

    here = search()
    with joblib.parallel_config(backend="dask"), distributed.get_task_stream(client) as tasks:
        there = search()
    # The fits ran on both of the cluster's workers, and found the same.
    assert len({task["worker"] for task in tasks.data}) == 2
    assert there.best_params_ == here.best_params_
    np.testing.assert_array_equal(there.cv_results_["mean_test_score"],
                                  here.cv_results_["mean_test_score"])


@needs_mnist
def test_incremental_training_over_chunks_matches_training_in_memory(client, tmp_path):
    images, labels = load_mnist(MNIST, "train")
    X, y = images[:12000].reshape(12000, -1) / 255.0, labels[:12000]
    X_test, y_test = load_mnist(MNIST, "test")
    X_test = X_test.reshape(len(X_test), -1) / 255.0
    chunk = 3000

    def estimator():
        return MLPClassifier(hidden_layer_sizes=(64,), random_state=0, num_threads=1)

    in_memory = estimator()
    for start in range(0, len(X), chunk):
        in_memory.partial_fit(X[start:start + chunk], y[start:start + chunk],
                              classes=np.arange(10))
    expected = in_memory.score(X_test, y_test)
    assert expected > 0.85

    # A memory-mapped array, by hand.
    np.save(tmp_path / "X.npy", X)
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r")
    by_hand = estimator()
    for start in range(0, len(mapped), chunk):
        by_hand.partial_fit(mapped[start:start + chunk], y[start:start + chunk],
                            classes=np.arange(10))
    assert by_hand.score(X_test, y_test) == expected

    # A dask array whose chunks the workers read from files, with dask-ml.
    with dask.config.set(scheduler="synchronous"):      # written here, not by the cluster
        da.to_npy_stack(tmp_path / "X", da.from_array(X, chunks=(chunk, X.shape[1])))
        da.to_npy_stack(tmp_path / "y", da.from_array(y, chunks=chunk))
    X_dask = da.from_npy_stack(tmp_path / "X", mmap_mode="r")
    y_dask = da.from_npy_stack(tmp_path / "y", mmap_mode="r")
    incremental = wrappers.Incremental(estimator(), shuffle_blocks=False)
    incremental.fit(X_dask, y_dask, classes=np.arange(10))
    assert incremental.estimator_.score(X_test, y_test) == expected
    np.testing.assert_array_equal(incremental.estimator_.coefs_[0], in_memory.coefs_[0])

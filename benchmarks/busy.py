"""nnext on a busy machine: its default threads against one thread, beside
N CPU-bound neighbour processes.

Each row runs the same work with nnext's default thread count and with
``num_threads=1`` (and a peer: the original's algorithm in vectorised NumPy,
benchmarks/numpy_sgd.py, and the modern epoch in PyTorch when it is
installed), taking turns, while N other processes (N = 0, 1, 2 by
default) spin on the CPU, as a laptop with other work, a CI runner or a
notebook beside a grid search would.  Medians of the repeats.

    python benchmarks/busy.py [--neighbours 0,1,2] [--repeats 3]

Workloads: a forward pass of 200 rows through a [2, 1] network (p50 of 300
calls); the original's SGD on [2, 1], batch 10, 20 steps a round with a
100-sample cost estimate (W4); and the original recipe on random
digit-shaped data ([784, 20, 10], batch 50, 20 steps a round, a 5,000-sample
cost estimate), 30 rounds; W3 ([784, 256, 128, 10], batch 128, a 1,000-sample
cost estimate), 5 rounds; and an epoch of the modern recipe ([784, 256, 10],
ReLU and softmax, Adam, batches of 128, float32) over 10,000 random rows.
"""
import argparse
import multiprocessing
import statistics
import time

import numpy as np

import nnext
import numpy_sgd
from small_batches import torch_epoch


def spin(stop):
    while not stop.is_set():
        pass


def p50_feedforward(threads):
    network = nnext.NeuralNetwork([2, 1], seed=0)
    X = np.random.default_rng(0).random((200, 2))
    times = []
    for _ in range(300):
        started = time.perf_counter()
        network.feedforward(X, num_threads=threads)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e6


def per_round(shape, n_rows, batch_size, cost_rows, rounds, threads):
    """Microseconds a round of the original's algorithm takes in nnext, or with
    threads="peer" in its vectorised NumPy form (benchmarks/numpy_sgd.py)."""
    rng = np.random.default_rng(0)
    X = rng.random((n_rows, shape[0]))
    Y = rng.random((n_rows, shape[-1]))
    network = nnext.NeuralNetwork(shape, seed=0)
    if threads == "peer":
        weights, biases = [w.copy() for w in network.weights], list(network.biases)
        X_cost, Y_cost = X[:cost_rows], Y[:cost_rows]
        started = time.perf_counter()
        for _ in range(rounds):
            rows = rng.integers(0, n_rows, batch_size)
            numpy_sgd.sgd_steps(weights, biases, X[rows], Y[rows], 0.1, 20)
            float(((numpy_sgd.feedforward(weights, biases, X_cost) - Y_cost) ** 2).sum())
        return (time.perf_counter() - started) / rounds * 1e6
    started = time.perf_counter()
    nnext.Trainer().train(network, (X, Y), 0.1, 20, batch_size, 0, 10**9, cost_rows, seed=0,
                          max_rounds=rounds, num_threads=threads)
    return (time.perf_counter() - started) / rounds * 1e6


def modern_epoch(threads):
    """An epoch of the modern recipe's network (Adam, batches of 128, float32)
    over 10,000 random digit-shaped rows, in milliseconds; with
    threads="peer", PyTorch's usual loop on 2 threads (None without PyTorch)."""
    rng = np.random.default_rng(0)
    X = rng.random((10000, 784)).astype(np.float32)
    labels = rng.integers(0, 10, 10000)
    Y = np.eye(10, dtype=np.float32)[labels]
    if threads == "peer":
        try:
            import torch
        except ImportError:
            return None
        torch.set_num_threads(2)
        return torch_epoch(torch, X, labels, 128, 0) * 1e3
    network = nnext.NeuralNetwork([784, 256, 10], activations=["relu", "softmax"], init="he",
                                  dtype="float32", seed=0)
    started = time.perf_counter()
    nnext.fit(network, X, Y, batch_size=128, epochs=1, seed=0, num_threads=threads)
    return (time.perf_counter() - started) * 1e3


WORKLOADS = {
    "feedforward [2, 1], 200 rows (p50, us)": p50_feedforward,
    "W4 [2, 1] round (us)": lambda threads: per_round([2, 1], 1000, 10, 100, 2000, threads),
    "original recipe round (us)": lambda threads: per_round([784, 20, 10], 20000, 50, 5000, 30,
                                                            threads),
    "W3 [784, 256, 128, 10] round, batch 128 (us)": lambda threads: per_round(
        [784, 256, 128, 10], 5000, 128, 1000, 5, threads),
    "modern recipe epoch, 10,000 rows (ms)": modern_epoch,
}
PEERS = {"original recipe round (us)": "NumPy",
         "W3 [784, 256, 128, 10] round, batch 128 (us)": "NumPy",
         "modern recipe epoch, 10,000 rows (ms)": "PyTorch"}


def paused(workload, threads):
    time.sleep(0.1)
    return workload(threads)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neighbours", default="0,1,2")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"nnext {nnext.__version__}, {nnext.engine.kernels()} kernels, default threads "
          f"{nnext.config.config()['default threads']}, CPU {nnext.config.config()['cpu']}")
    print("| neighbours | workload | default threads | num_threads=1 | default / one "
          "| peer | peer's time | peer / default | peer / one |")
    print("|---|---|---|---|---|---|---|---|---|")
    for count in map(int, args.neighbours.split(",")):
        stop = multiprocessing.Event()
        neighbours = [multiprocessing.Process(target=spin, args=(stop,), daemon=True)
                      for _ in range(count)]
        for process in neighbours:
            process.start()
        try:
            time.sleep(0.5)
            for name, workload in WORKLOADS.items():
                default, single, peer = [], [], []
                for _ in range(args.repeats):
                    # (a pause before each run lets the threads that the last
                    # one left spinning, nnext's or OpenBLAS's, fall asleep)
                    default.append(paused(workload, None))
                    single.append(paused(workload, 1))
                    if name in PEERS:
                        peer.append(paused(workload, "peer"))
                d, s = statistics.median(default), statistics.median(single)
                row = f"| {count} | {name} | {d:.1f} | {s:.1f} | {d / s:.2f} |"
                if peer and None not in peer:
                    n = statistics.median(peer)
                    row += f" {PEERS[name]} | {n:.1f} | {n / d:.2f} | {n / s:.2f} |"
                else:
                    row += " - | - | - | - |"
                print(row, flush=True)
        finally:
            stop.set()
            for process in neighbours:
                process.join(5)
                if process.is_alive():
                    process.terminate()


if __name__ == "__main__":
    main()

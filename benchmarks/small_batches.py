"""Prediction latency at small batch sizes: nnext against NumPy and PyTorch,
side by side in one process.

For each network, dtype and number of rows, each library predicts the same
rows ``--calls`` times, the libraries taking turns in five rounds (so a busy
moment of the machine hits all of them alike); the table gives each one's
p50 and p99 in microseconds and nnext's p50 as a ratio to each peer's
(below 1: nnext is faster).  PyTorch's columns appear when it is installed;
every library uses 2 threads (``--threads``).

    python benchmarks/small_batches.py [--rows 1,8,64,256] [--calls 300]
    python benchmarks/small_batches.py --steps 16,32     # training steps instead

Networks: W1 [784, 20, 10] and W3 [784, 256, 128, 10] (sigmoid, the
original's kind), and M [784, 256, 10] (ReLU and softmax, the modern recipe's).

With ``--steps``, the time of a training step of M (Adam, cross-entropy,
float32) at each batch size instead: an epoch over 8,192 random digit-shaped
rows, nnext's `fit` against PyTorch's usual loop, taking turns, the median of
three epochs each.
"""
import argparse
import time

import numpy as np

import nnext

NETWORKS = {
    "W1": ([784, 20, 10], ["sigmoid", "sigmoid"]),
    "W3": ([784, 256, 128, 10], ["sigmoid", "sigmoid", "sigmoid"]),
    "M": ([784, 256, 10], ["relu", "softmax"]),
}


def numpy_predictor(network):
    """The network's forward pass in NumPy: one matrix product a layer."""
    layers = list(zip([w.T.copy() for w in network.weights], network.biases,
                      network.activations))

    def predict(X):
        a = X
        for weights_t, bias, kind in layers:
            z = a @ weights_t + bias
            if kind == "sigmoid":
                a = 1 / (1 + np.exp(-z))
            elif kind == "relu":
                a = np.maximum(z, 0)
            else:
                e = np.exp(z - z.max(axis=1, keepdims=True))
                a = e / e.sum(axis=1, keepdims=True)
        return a
    return predict


def torch_predictor(network, threads):
    """The same network as a torch.nn.Sequential, or None without PyTorch."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    dtype = torch.float32 if network.dtype == np.float32 else torch.float64
    modules = []
    for weights, bias, kind in zip(network.weights, network.biases, network.activations):
        linear = torch.nn.Linear(weights.shape[1], weights.shape[0], dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(weights))
            linear.bias.copy_(torch.from_numpy(bias))
        activation = {"sigmoid": torch.nn.Sigmoid(), "relu": torch.nn.ReLU(),
                      "softmax": torch.nn.Softmax(dim=1)}[kind]
        modules += [linear, activation]
    model = torch.nn.Sequential(*modules).eval()

    def predict(X):
        with torch.inference_mode():
            return model(torch.from_numpy(X)).numpy()
    return predict


def latencies(predictors, X, calls, rounds=5):
    """Each predictor's call times (microseconds): ``rounds`` turns of
    calls // rounds calls each, the libraries taking turns.  Each library's
    worker threads keep spinning for a while after its last call, which would
    slow the next library if they took turns call by call; a pause before
    each turn lets them fall asleep first."""
    times = {name: [] for name in predictors}
    for _ in range(rounds):
        for name, predict in predictors.items():
            time.sleep(0.05)
            for _ in range(5):
                predict(X)
            for _ in range(max(1, calls // rounds)):
                started = time.perf_counter()
                predict(X)
                times[name].append(time.perf_counter() - started)
    return {name: np.array(t) * 1e6 for name, t in times.items()}


def step_times(batch_sizes, threads, repeats=3, n_rows=8192):
    """Microseconds per training step of M, per library and batch size."""
    rng = np.random.default_rng(0)
    X = rng.random((n_rows, 784)).astype(np.float32)
    labels = rng.integers(0, 10, n_rows)
    Y = np.eye(10, dtype=np.float32)[labels]
    try:
        import torch
        torch.set_num_threads(threads)
    except ImportError:
        torch = None
    print("| batch size | nnext (us a step) | PyTorch (us a step) | nnext / PyTorch |")
    print("| ---: | ---: | ---: | ---: |")
    for batch_size in batch_sizes:
        times = {"nnext": [], "PyTorch": []}
        for repeat in range(repeats):
            network = nnext.NeuralNetwork([784, 256, 10], activations=["relu", "softmax"],
                                          init="he", dtype="float32", seed=repeat)
            started = time.perf_counter()
            nnext.fit(network, X, Y, optimizer="adam", batch_size=batch_size, epochs=1,
                      seed=repeat, num_threads=threads)
            times["nnext"].append(time.perf_counter() - started)
            if torch is not None:
                times["PyTorch"].append(torch_epoch(torch, X, labels, batch_size, repeat))
        steps = -(-n_rows // batch_size)
        mine = np.median(times["nnext"]) / steps * 1e6
        theirs = np.median(times["PyTorch"]) / steps * 1e6 if times["PyTorch"] else float("nan")
        print(f"| {batch_size} | {mine:.1f} | {theirs:.1f} | {mine / theirs:.2f} |", flush=True)


def torch_epoch(torch, X, labels, batch_size, seed):
    """Seconds of one epoch of PyTorch's usual training loop for M."""
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                torch.nn.Linear(256, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_function = torch.nn.CrossEntropyLoss()
    inputs, targets = torch.from_numpy(X), torch.from_numpy(labels)
    order = torch.randperm(len(X))
    started = time.perf_counter()
    for start in range(0, len(X), batch_size):
        rows = order[start:start + batch_size]
        optimizer.zero_grad()
        loss_function(model(inputs[rows]), targets[rows]).backward()
        optimizer.step()
    return time.perf_counter() - started


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="1,8,64,256")
    parser.add_argument("--networks", default="W1,W3,M")
    parser.add_argument("--dtypes", default="float64,float32")
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", default=None, metavar="BATCH_SIZES",
                        help="time training steps at these batch sizes (as 16,32) instead")
    args = parser.parse_args(argv)
    if args.steps:
        step_times([int(size) for size in args.steps.split(",")], args.threads)
        return
    rng = np.random.default_rng(0)
    header = None
    for name in args.networks.split(","):
        shape, activations = NETWORKS[name]
        for dtype in args.dtypes.split(","):
            network = nnext.NeuralNetwork(shape, activations=activations, init="he",
                                          dtype=dtype, seed=0)
            predictors = {
                "nnext": lambda X, n=network: n.feedforward(X, num_threads=args.threads),
                "NumPy": numpy_predictor(network),
            }
            torch_predict = torch_predictor(network, args.threads)
            if torch_predict is not None:
                predictors["PyTorch"] = torch_predict
            if header is None:
                peers = [peer for peer in predictors if peer != "nnext"]
                header = (["network", "rows"] + [f"{p} p50 / p99 (us)" for p in predictors]
                          + [f"nnext / {p}" for p in peers])
                print("| " + " | ".join(header) + " |")
                print("|" + " --- |" * 2 + " ---: |" * (len(header) - 2))
            for rows in [int(r) for r in args.rows.split(",")]:
                X = rng.random((rows, shape[0])).astype(dtype)
                times = latencies(predictors, X, args.calls)
                p50 = {lib: np.percentile(t, 50) for lib, t in times.items()}
                cells = [f"{name} {dtype}", str(rows)]
                cells += [f"{p50[lib]:.1f} / {np.percentile(times[lib], 99):.1f}"
                          for lib in predictors]
                cells += [f"{p50['nnext'] / p50[peer]:.2f}" for peer in peers]
                print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()

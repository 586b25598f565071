"""Prediction latency at small batch sizes: nnext against NumPy and PyTorch,
side by side in one process.

For each network, dtype and number of rows, each library predicts the same
rows ``--calls`` times, the libraries taking turns in five rounds (so a busy
moment of the machine hits all of them alike); the table gives each one's
p50 and p99 in microseconds and nnext's p50 as a ratio to each peer's
(below 1: nnext is faster).  PyTorch's columns appear when it is installed;
every library uses 2 threads (``--threads``).

    python benchmarks/small_batches.py [--rows 1,8,64,256] [--calls 300]

Networks: W1 [784, 20, 10] and W3 [784, 256, 128, 10] (sigmoid, the
original's kind), and M [784, 256, 10] (ReLU and softmax, the modern recipe's).
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="1,8,64,256")
    parser.add_argument("--networks", default="W1,W3,M")
    parser.add_argument("--dtypes", default="float64,float32")
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
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

"""Training and inference speed of nnext against vectorised NumPy, side by side.

Every runner trains the same network on the same kind of batches with plain
mini-batch SGD (the seed's mathematics); the runners take turns, each repeat
measures all of them once, and the table shows medians.  PyTorch and
scikit-learn rows appear when those packages happen to be installed.

    python benchmarks/bench.py                 # W1-W4 and inference (W1, W3, and M: [784, 256, 10] relu/softmax)
    python benchmarks/bench.py --main-job      # also the digits recogniser, end to end
    python benchmarks/bench.py --kernels avx2,avx512   # nnext's kernel variants side by side
    python benchmarks/bench.py --workloads none --widths 16,64,256,1024 --no-inference
                                               # training [784, h, 10], batch 128, by width

Columns: median sample-gradients (or, for inference, samples) per second; the
ratio to vectorised NumPy in the same dtype; the fraction of the machine's
limit, which is the FLOPs a sample needs against the float64 or float32
matrix-product peak that numpy reaches on a 2048 x 2048 product, measured here
before each workload (the highest so far counts, so that a moment when the
machine is busy cannot lower the limit).
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

import nnext
from nnext import engine
from nnext.training import Trainer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy_sgd  # noqa: E402

WORKLOADS = {
    "W1": ([784, 20, 10], 50),
    "W2": ([784, 100, 10], 50),
    "W3": ([784, 256, 128, 10], 128),
    "W4": ([2, 1], 10),
}
# Inference: the original's sigmoid networks, and M, the modern recipe's network.
INFERENCE = {"W1": ([784, 20, 10], None), "W3": ([784, 256, 128, 10], None),
             "M": ([784, 256, 10], ["relu", "softmax"])}
BATCH_ITERATIONS = 20
LEARNING_STEP = 0.1


def matmul_peak(dtype, n=2048, repeats=3):
    a = np.random.default_rng(0).random((n, n)).astype(dtype)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - started)
    return 2 * n ** 3 / best


def inference_flops(shape):
    """FLOPs of one sample's forward pass: 2 W."""
    return 2 * sum(n_in * n_out for n_in, n_out in zip(shape, shape[1:]))


def training_flops(shape):
    """FLOPs of one sample's forward, backward and update: 2 W each for the
    forward pass and the gradient, 2 W for the deltas of every layer after the first."""
    weights = [n_in * n_out for n_in, n_out in zip(shape, shape[1:])]
    return 4 * sum(weights) + 2 * sum(weights[1:])


def problem(shape, dtype, n_samples=2000):
    rng = np.random.default_rng(0)
    X = rng.random((n_samples, shape[0])).astype(dtype)
    Y = np.eye(shape[-1], dtype=dtype)[rng.integers(0, shape[-1], n_samples)]
    return X, Y


# --- runners: each returns a function run(rounds) -> samples processed --------

def nnext_training(shape, batch_size, dtype, kernels):
    X, Y = problem(shape, dtype)
    network = nnext.NeuralNetwork(shape, seed=0, dtype=dtype)

    def run(rounds):
        engine.use_kernels(kernels)
        Trainer().train(network, (X, Y), LEARNING_STEP, BATCH_ITERATIONS, batch_size,
                        max_batches_without_improvement=rounds + 1,
                        cost_estimator_batch_size=1, max_rounds=rounds, seed=0)
        return rounds * BATCH_ITERATIONS * batch_size
    return run


def numpy_training(shape, batch_size, dtype):
    X, Y = problem(shape, dtype)
    network = nnext.NeuralNetwork(shape, seed=0, dtype=dtype)
    weights = [w.copy() for w in network.weights]
    biases = [b.copy() for b in network.biases]
    rng = np.random.default_rng(0)

    def run(rounds):
        for _ in range(rounds):
            rows = rng.integers(0, len(X), batch_size)
            numpy_sgd.sgd_steps(weights, biases, X[rows], Y[rows], LEARNING_STEP,
                                BATCH_ITERATIONS)
        return rounds * BATCH_ITERATIONS * batch_size
    return run


def torch_training(shape, batch_size, dtype):
    import torch
    torch_dtype = torch.float64 if dtype == np.float64 else torch.float32
    X, Y = (torch.from_numpy(a) for a in problem(shape, dtype))
    layers = []
    for n_in, n_out in zip(shape, shape[1:]):
        layers += [torch.nn.Linear(n_in, n_out, dtype=torch_dtype), torch.nn.Sigmoid()]
    model = torch.nn.Sequential(*layers)
    optimiser = torch.optim.SGD(model.parameters(), lr=LEARNING_STEP)
    generator = torch.Generator().manual_seed(0)

    def run(rounds):
        for _ in range(rounds):
            rows = torch.randint(0, len(X), (batch_size,), generator=generator)
            xb, yb = X[rows], Y[rows]
            for _ in range(BATCH_ITERATIONS):
                optimiser.zero_grad()
                loss = 0.5 * ((model(xb) - yb) ** 2).sum(dim=1).mean()
                loss.backward()
                optimiser.step()
        return rounds * BATCH_ITERATIONS * batch_size
    return run


def sklearn_training(shape, batch_size, dtype):
    """scikit-learn's MLPClassifier: logistic units, plain SGD, no momentum.  Its
    loss is the log-loss, not the quadratic cost, but the work per sample has
    the same shape; each partial_fit call on a batch is one step."""
    import warnings

    from sklearn.neural_network import MLPClassifier
    X, Y = problem(shape, dtype)
    labels = Y.argmax(axis=1) if shape[-1] > 1 else Y[:, 0].astype(int)
    classes = np.arange(max(2, shape[-1]))
    model = MLPClassifier(hidden_layer_sizes=shape[1:-1], activation="logistic",
                          solver="sgd", learning_rate_init=LEARNING_STEP, momentum=0,
                          alpha=0, batch_size=batch_size, shuffle=False)
    rng = np.random.default_rng(0)

    def run(rounds):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(rounds):
                rows = rng.integers(0, len(X), batch_size)
                for _ in range(BATCH_ITERATIONS):
                    model.partial_fit(X[rows], labels[rows], classes=classes)
        return rounds * BATCH_ITERATIONS * batch_size
    return run


def nnext_inference(shape, activations, dtype, kernels):
    X, _ = problem(shape, dtype, n_samples=10000)
    network = nnext.NeuralNetwork(shape, activations=activations, seed=0, dtype=dtype)

    def run(rounds):
        engine.use_kernels(kernels)
        for _ in range(rounds):
            network.feedforward(X)
        return rounds * len(X)
    return run


def numpy_inference(shape, activations, dtype):
    X, _ = problem(shape, dtype, n_samples=10000)
    network = nnext.NeuralNetwork(shape, seed=0, dtype=dtype)

    def run(rounds):
        for _ in range(rounds):
            numpy_sgd.feedforward(network.weights, network.biases, X, activations)
        return rounds * len(X)
    return run


def torch_inference(shape, activations, dtype):
    import torch
    torch_dtype = torch.float64 if dtype == np.float64 else torch.float32
    X = torch.from_numpy(problem(shape, dtype, n_samples=10000)[0])
    modules = {"sigmoid": torch.nn.Sigmoid, "relu": torch.nn.ReLU,
               "softmax": lambda: torch.nn.Softmax(dim=1)}
    layers = []
    for layer, (n_in, n_out) in enumerate(zip(shape, shape[1:])):
        kind = activations[layer] if activations else "sigmoid"
        layers += [torch.nn.Linear(n_in, n_out, dtype=torch_dtype), modules[kind]()]
    model = torch.nn.Sequential(*layers)

    def run(rounds):
        with torch.no_grad():
            for _ in range(rounds):
                model(X)
        return rounds * len(X)
    return run


# --- measuring ---------------------------------------------------------------

def rate(run, seconds):
    """Samples per second of one timed run lasting about ``seconds``."""
    started = time.perf_counter()
    run(1)
    per_round = time.perf_counter() - started
    rounds = max(1, int(seconds / max(per_round, 1e-7)))
    time.sleep(PAUSE)
    started = time.perf_counter()
    samples = run(rounds)
    return samples / (time.perf_counter() - started)


# Idle time before each timed run: OpenBLAS's threads spin for about 0.1 s
# after a product and OpenMP's for a moment after a parallel region, and a
# runner should not pay for the previous runner's spinning threads.
PAUSE = 0.2


def compare(runners, repeats, seconds):
    """Median rate of every runner, the runners taking turns within each repeat."""
    rates = {name: [] for name in runners}
    for _ in range(repeats):
        for name, run in runners.items():
            time.sleep(PAUSE)
            rates[name].append(rate(run, seconds))
    return {name: statistics.median(values) for name, values in rates.items()}


def optional_runners(shape, batch_size, dtype, names):
    runners = {}
    for name, make in (("pytorch", torch_training), ("scikit-learn", sklearn_training)):
        if name in names:
            try:
                runners[name] = make(shape, batch_size, dtype)
            except ImportError:
                pass
    return runners


def print_row(label, median, reference, flops, peak):
    print(f"  {label:<20} {median:>12,.0f}/s  {median / reference:6.2f}x numpy  "
          f"{median * flops / peak:6.1%} of limit")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=0.4, help="length of one timed run")
    parser.add_argument("--workloads", default="W1,W2,W3,W4", help='W1 to W4, or "none"')
    parser.add_argument("--widths", default="",
                        help="also train [784, h, 10] with batches of 128 for these h")
    parser.add_argument("--no-inference", action="store_true", help="skip the inference rows")
    parser.add_argument("--others", default="pytorch,scikit-learn",
                        help="optional competitors, when installed")
    parser.add_argument("--kernels", default=engine.kernels(),
                        help="nnext's kernel variants to run side by side, e.g. avx2,avx512 "
                             f"(this CPU runs {', '.join(engine.AVAILABLE_KERNELS)})")
    parser.add_argument("--main-job", action="store_true",
                        help="also time the digits recogniser's training, end to end")
    args = parser.parse_args(argv)

    peaks = {np.float64: 0.0, np.float32: 0.0}

    def measure_peaks():
        """Measure the peak again and keep the highest so far: a moment when
        another tenant holds a core must not lower the limit."""
        for dtype in peaks:
            peaks[dtype] = max(peaks[dtype], matmul_peak(dtype))
        print(f"matmul peak (highest so far): {peaks[np.float64] / 1e9:.1f} GFLOP/s "
              f"float64, {peaks[np.float32] / 1e9:.1f} GFLOP/s float32")
    measure_peaks()
    print(f"training: {BATCH_ITERATIONS} steps per batch; median of {args.repeats} "
          f"interleaved runs of about {args.seconds} s")
    others = args.others.split(",")
    variants = args.kernels.split(",")
    for variant in variants:
        if variant not in engine.AVAILABLE_KERNELS:
            parser.error(f"this CPU runs the kernels {', '.join(engine.AVAILABLE_KERNELS)}; "
                         f"got {variant!r}")

    def nnext_name(variant):
        return "nnext" if len(variants) == 1 else f"nnext {variant}"
    names = [name for name in args.workloads.split(",") if name != "none"]
    for name in names:
        if name not in WORKLOADS:
            parser.error(f"workloads are {', '.join(WORKLOADS)} or none; got {name!r}")
    workloads = {name: WORKLOADS[name] for name in names}
    for width in filter(None, args.widths.split(",")):
        workloads[f"h={width}"] = ([784, int(width), 10], 128)
    for name, (shape, batch_size) in workloads.items():
        if name != next(iter(workloads)):
            measure_peaks()
        flops = training_flops(shape)
        print(f"{name} {shape}, batch {batch_size}: {flops:,} FLOP/sample")
        for dtype in (np.float64, np.float32):
            runners = {nnext_name(k): nnext_training(shape, batch_size, dtype, k)
                       for k in variants}
            runners["numpy"] = numpy_training(shape, batch_size, dtype)
            runners.update(optional_runners(shape, batch_size, dtype, others))
            medians = compare(runners, args.repeats, args.seconds)
            for runner, median in medians.items():
                print_row(f"{runner} {np.dtype(dtype).name}", median, medians["numpy"],
                          flops, peaks[dtype])

    print("inference, feedforward of 10,000 samples:")
    for name, (shape, activations) in ({} if args.no_inference else INFERENCE).items():
        measure_peaks()
        flops = inference_flops(shape)
        for dtype in (np.float64, np.float32):
            runners = {nnext_name(k): nnext_inference(shape, activations, dtype, k)
                       for k in variants}
            runners["numpy"] = numpy_inference(shape, activations, dtype)
            if "pytorch" in others:
                try:
                    runners["pytorch"] = torch_inference(shape, activations, dtype)
                except ImportError:
                    pass
            medians = compare(runners, args.repeats, args.seconds)
            for runner, median in medians.items():
                print_row(f"{name} {runner} {np.dtype(dtype).name}", median,
                          medians["numpy"], flops, peaks[dtype])

    if args.main_job:
        measure_peaks()
        engine.use_kernels(variants[-1])
        main_job(args.repeats, peaks[np.float64])


def main_job(repeats, peak):
    """The digits recogniser's training with the seed's settings, nnext against numpy."""
    here = os.path.dirname(os.path.abspath(__file__))
    images, labels = nnext.load_mnist(os.path.join(here, os.pardir, "datasets", "mnist"))
    X, Y = images.reshape(len(images), -1) / 255.0, np.eye(10)[labels]
    settings = dict(learning_step=1, batch_iterations=20, batch_size=50,
                    min_improvement_per_batch=0.000001, max_batches_without_improvement=100,
                    cost_estimator_batch_size=5000)
    times = {"nnext": [], "numpy": []}
    for repeat in range(repeats):
        network = nnext.NeuralNetwork([784, 20, 10], seed=repeat)
        weights = [w.copy() for w in network.weights]
        biases = [b.copy() for b in network.biases]
        started = time.perf_counter()
        result = Trainer().train(network, (X, Y), **settings, seed=repeat)
        times["nnext"].append((time.perf_counter() - started) / result.rounds)
        time.sleep(PAUSE)
        started = time.perf_counter()
        rounds = numpy_sgd.train(weights, biases, X, Y, **settings,
                                 rng=np.random.default_rng(repeat))
        times["numpy"].append((time.perf_counter() - started) / rounds)
        print(f"  run {repeat}: nnext {result.rounds} rounds, numpy {rounds} rounds")
    nnext_round, numpy_round = (statistics.median(times[k]) for k in ("nnext", "numpy"))
    print(f"main job, median time per round: nnext {nnext_round * 1e3:.2f} ms, "
          f"numpy {numpy_round * 1e3:.2f} ms: {numpy_round / nnext_round:.2f}x; "
          f"for 700 rounds: nnext {700 * nnext_round:.1f} s, numpy {700 * numpy_round:.1f} s")
    # A round: batch_iterations steps on a batch, then the cost of a forward
    # pass over the cost-estimation batch.
    shape = [784, 20, 10]
    flops = (settings["batch_iterations"] * settings["batch_size"] * training_flops(shape)
             + settings["cost_estimator_batch_size"] * inference_flops(shape))
    print(f"main job, a round is {flops / 1e6:.0f} MFLOP: {flops / peak * 1e3:.2f} ms at the "
          f"float64 peak, so nnext runs at {flops / peak / nnext_round:.0%} of it and numpy "
          f"at {flops / peak / numpy_round:.0%}")


if __name__ == "__main__":
    main()

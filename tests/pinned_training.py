"""The weights that tests/data/pinned_training.npz pins, and how they were made.

A [6, 5, 4, 3] sigmoid network trained by `Trainer.train` with the original's
algorithm on fixed data, in float64 and float32, with each kernel variant the
recording machine had (``python tests/pinned_training.py``), and, as
``nnext01_baseline_*``, the weights nnext 0.1 reached with its baseline
kernels, which every variant must stay within rounding of.  The variants'
weights were recorded again when the kernels made their fused multiply-adds
explicit, when exp's polynomial came to multiply by 1/k! instead of
dividing by k, and when short dot products in the forward product came to be
summed along the neurons (gemm_nt's small-k way); re-record only for a change
meant to change them.
"""
import os

import numpy as np

import nnext
from nnext import engine

PINNED = os.path.join(os.path.dirname(__file__), "data", "pinned_training.npz")
PROBLEM = dict(shape=[6, 5, 4, 3], n_samples=200, seed=11, rounds=25)


def problem():
    rng = np.random.default_rng(PROBLEM["seed"])
    X = rng.random((PROBLEM["n_samples"], PROBLEM["shape"][0]))
    Y = (rng.random((PROBLEM["n_samples"], PROBLEM["shape"][-1])) > 0.5).astype(float)
    return X, Y


def trained(dtype):
    X, Y = problem()
    network = nnext.NeuralNetwork(PROBLEM["shape"], seed=PROBLEM["seed"], dtype=dtype)
    nnext.Trainer().train(network, (X, Y), 2.0, 10, 16, 0.0001, 5, 50,
                          seed=PROBLEM["seed"], max_rounds=PROBLEM["rounds"])
    return np.concatenate([a.ravel() for pair in zip(network.weights, network.biases)
                           for a in pair])


def main():
    """Record the weights of every variant this CPU runs (keeping the others)."""
    with np.load(PINNED) as old:
        arrays = dict(old)
    initial = engine.kernels()
    for variant in engine.AVAILABLE_KERNELS:
        engine.use_kernels(variant)
        for dtype in ("float64", "float32"):
            arrays[f"{variant}_{dtype}"] = trained(dtype)
    engine.use_kernels(initial)
    np.savez(PINNED, **arrays)
    print(sorted(arrays))


if __name__ == "__main__":
    main()

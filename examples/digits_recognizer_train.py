#!/usr/bin/env python3
"""
Train the original digits recogniser
====================================

Train a [784, 20, 10] network to recognise the MNIST handwritten digits,
with the original program's settings, and save it in the text format.
"""
import argparse
import logging

import numpy as np

import nnext
from nnext.network import NeuralNetwork
from nnext.training import Trainer
from pictures import save_pictures



def digit_arrays(images, labels):
    """Inputs scaled to [0, 1], one row per image, and one-hot targets."""
    X = images.reshape(len(images), -1) / 255.0
    Y = np.eye(10)[labels]
    return X, Y


def train_recogniser(X, Y, seed, max_rounds=None, progress=False):
    """Train a new [784, 20, 10] network on (X, Y) with the original's settings."""
    network = NeuralNetwork([784, 20, 10], seed=seed)
    result = Trainer().train(
        network=network,
        training_data=(X, Y),
        learning_step=1,
        batch_iterations=20,
        batch_size=50,
        min_improvement_per_batch=0.000001,
        max_batches_without_improvement=100,
        cost_estimator_batch_size=5000,
        seed=seed,
        max_rounds=max_rounds,
        progress=progress,
    )
    return network, result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None,
                        help="folder of the MNIST .gz files (default: the copy that comes "
                             "with nnext)")
    parser.add_argument("--output", default="digits_recognizer_setup.txt")
    parser.add_argument("--seed", type=int, default=0, help="seed of weights and batches")
    parser.add_argument("--max-rounds", type=int, default=None,
                        help="stop after this many rounds at the latest (for a quick run)")
    parser.add_argument("--verbose", action="store_true", help="log every round")
    parser.add_argument("--plot", metavar="DIR", default=None,
                        help="write learning_curve.png and hidden_units.png to DIR "
                             "(needs matplotlib; the test script writes the other two)")
    args = parser.parse_args(argv)
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG, format="%(message)s")

    X, Y = digit_arrays(*nnext.load_mnist(args.data, "train"))
    network, result = train_recogniser(X, Y, args.seed, args.max_rounds, progress=True)
    print(f"Trained in {result.training_time:.1f} s: {result.rounds} rounds, "
          f"best cost {result.best_cost:.1f}, stopped: {result.stopped_because}")
    nnext.save(network, args.output)
    print(f"Network saved to {args.output}")
    if args.plot:
        from nnext import plot
        save_pictures(args.plot, [
            ("learning_curve", lambda ax: plot.learning_curve(result, ax=ax), (6, 4)),
            ("hidden_units", lambda ax: plot.hidden_units(network, ax=ax), (6, 5)),
        ])


if __name__ == "__main__":
    main()

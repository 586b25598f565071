#!/usr/bin/env python3
"""
Points above or below the diagonal
==================================

Mini example: classify points of the unit square in two teams,
team 1 if x > y, team 0 otherwise.
"""
import argparse

import numpy as np

from nnext.network import NeuralNetwork
from nnext.training import Trainer, TrainingDataSample


def team(p):
    """The correct answer for a point."""
    return 1 if p[0] > p[1] else 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=None, help="seed for reproducible runs")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)

    # Two input neurons (x, y), one output neuron (the team).
    network = NeuralNetwork([2, 1], seed=rng)

    print("Generating training data")
    training_data = []
    for _ in range(500):
        p = rng.random(2)
        training_data.append(TrainingDataSample(p, np.array([team(p)])))

    print("Training")
    # The original trained on batches of 5 for 1000 steps and stopped after 3
    # rounds without improvement; batches of 50 and more patience classify
    # better (about 98% of new points instead of about 86%).
    Trainer().train(network, training_data, 0.5, 100, 50,
                    max_batches_without_improvement=10, seed=rng, progress=True)
    print("Training ready")

    print("Testing:")
    print("Result Expected Diff")
    good = 0
    for _ in range(20):
        p = rng.random(2)
        result = 0 if network.feedforward(p)[0] < 0.5 else 1
        print(result, team(p), abs(result - team(p)))
        good += result == team(p)
    print("Success Rate: %f" % (good / 20))
    return good / 20


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""
Test the original digits recogniser
===================================

Test a trained digits recogniser on the 10,000 MNIST test digits.
"""
import argparse

import numpy as np

import nnext
from nnext.network import load_from_file
from pictures import save_pictures



def predictions(network, images):
    """The digit each image is recognised as: the most active output neuron."""
    return network.feedforward(images.reshape(len(images), -1) / 255.0).argmax(axis=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None,
                        help="folder of the MNIST .gz files (default: the copy that comes "
                             "with nnext)")
    parser.add_argument("--network", default="digits_recognizer_setup.txt")
    parser.add_argument("--cases", action="store_true", help="print a line per test digit")
    parser.add_argument("--plot", metavar="DIR", default=None,
                        help="write confusion_matrix.png and mistakes.png to DIR "
                             "(needs matplotlib)")
    args = parser.parse_args(argv)

    with open(args.network) as f:
        network = load_from_file(f)
    images, labels = nnext.load_mnist(args.data, "test")
    predicted = predictions(network, images)
    if args.cases:
        for case, (actual, expected) in enumerate(zip(predicted, labels)):
            print("Case %d: %d %d %d" % (case, actual, expected, actual == expected))
    good = int(np.sum(predicted == labels))
    bad = len(labels) - good
    print("Good: %d Bad: %d Success Rate: %f" % (good, bad, good / (good + bad)))
    if args.plot:
        from nnext import plot
        save_pictures(args.plot, [
            ("confusion_matrix", lambda ax: plot.confusion_matrix(labels, predicted, ax=ax),
             (6, 6)),
            ("mistakes", lambda ax: plot.mistakes(images, labels, predicted, ax=ax), (7, 8)),
        ])
    return good / (good + bad)


if __name__ == "__main__":
    main()

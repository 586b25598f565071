#!/usr/bin/env python3
"""
Train and test the modern digits recogniser
===========================================

Train the modern digits recogniser: [784, 256, 10] with a ReLU hidden layer
and a softmax output, the cross-entropy loss and Adam, on batches of 128 in
float32, stopping early on a validation split of the training digits; then
test it on the 10,000 test digits and save it in the .npz format.
"""
import argparse
import statistics

import numpy as np

import nnext
from digits_recognizer_seeds import seed_list
from pictures import save_pictures



def digit_arrays(images, labels, dtype=np.float32):
    """Inputs scaled to [0, 1], one row per image, and one-hot targets."""
    X = images.reshape(len(images), -1).astype(dtype) / 255
    return X, np.eye(10, dtype=dtype)[labels]


def train_modern(X, Y, seed, epochs=30, progress=False):
    """A new [784, 256, 10] ReLU/softmax network trained on (X, Y) with the modern recipe."""
    network = nnext.NeuralNetwork([784, 256, 10], activations=["relu", "softmax"], init="he",
                                  dtype="float32", seed=seed)
    history = nnext.fit(network, X, Y, loss="cross_entropy", optimizer="adam",
                        learning_rate=1e-3, batch_size=128, epochs=epochs,
                        validation_fraction=0.1, patience=5, restore_best=True, seed=seed,
                        progress=progress)
    return network, history


def test_accuracy(network, images, labels):
    X, _ = digit_arrays(images, labels)
    return float(np.mean(network.feedforward(X).argmax(axis=1) == labels))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None,
                        help="folder of the MNIST .gz files (default: the copy that comes "
                             "with nnext)")
    parser.add_argument("--output", default="digits_modern.npz")
    parser.add_argument("--seed", type=int, default=0, help="seed of weights, split and batches")
    parser.add_argument("--epochs", type=int, default=30, help="the most epochs to train")
    parser.add_argument("--plot", metavar="DIR", default=None,
                        help="write learning_curve.png, confusion_matrix.png, mistakes.png and "
                             "hidden_units.png to DIR (needs matplotlib)")
    parser.add_argument("--seeds", type=seed_list, default=None,
                        help="train once per seed (as 0-4 or 0,3) and report each run and "
                             "the median and range, instead of one run")
    args = parser.parse_args(argv)

    if args.seeds is not None:
        return sweep(args)
    X, Y = digit_arrays(*nnext.load_mnist(args.data, "train"))
    network, history = train_modern(X, Y, args.seed, args.epochs, progress=True)
    print(f"Trained in {history.training_time:.1f} s: {history.epochs} epochs "
          f"(stopped: {history.stopped_because}), best epoch {history.best_epoch} with "
          f"validation accuracy {100 * history.val_accuracy[history.best_epoch - 1]:.2f}%")
    images, labels = nnext.load_mnist(args.data, "test")
    accuracy = test_accuracy(network, images, labels)
    print(f"Test accuracy: {100 * accuracy:.2f}%")
    nnext.save(network, args.output)
    print(f"Network saved to {args.output}")
    if args.plot:
        plot_digits(args.plot, network, history, images, labels)
    return accuracy


def plot_digits(directory, network, history, images, labels):
    """The four pictures of what the network learned, in directory."""
    from nnext import plot

    predicted = network.feedforward(digit_arrays(images, labels)[0]).argmax(axis=1)
    save_pictures(directory, [
        ("learning_curve", lambda ax: plot.learning_curve(history, ax=ax), (6, 4)),
        ("confusion_matrix", lambda ax: plot.confusion_matrix(labels, predicted, ax=ax), (6, 6)),
        ("mistakes", lambda ax: plot.mistakes(images, labels, predicted, ax=ax), (7, 8)),
        ("hidden_units", lambda ax: plot.hidden_units(network, n=64, ax=ax), (6, 5)),
    ])


def sweep(args):
    """One run per seed, fixed in advance: a table, then the median and range."""
    X, Y = digit_arrays(*nnext.load_mnist(args.data, "train"))
    images, labels = nnext.load_mnist(args.data, "test")
    print("| seed | epochs | best epoch | training time | test accuracy |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    runs = []
    for seed in args.seeds:
        network, history = train_modern(X, Y, seed, args.epochs)
        accuracy = test_accuracy(network, images, labels)
        runs.append((accuracy, history.training_time))
        print(f"| {seed} | {history.epochs} | {history.best_epoch} | "
              f"{history.training_time:.1f} s | {100 * accuracy:.2f}% |", flush=True)
    accuracies, times = zip(*runs)
    print(f"\nOver {len(runs)} seeds: test accuracy median {100 * statistics.median(accuracies):.2f}% "
          f"(range {100 * min(accuracies):.2f}% to {100 * max(accuracies):.2f}%); training time "
          f"median {statistics.median(times):.1f} s ({min(times):.1f} to {max(times):.1f} s)")
    return runs


if __name__ == "__main__":
    main()

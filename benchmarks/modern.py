"""The modern recipe on MNIST in nnext, PyTorch and scikit-learn, side by side.

[784, 256, 10] with a ReLU hidden layer and a softmax output, the
cross-entropy loss, Adam with learning rate 1e-3, batches of 128 drawn from a
new shuffle of the 60,000 training digits each epoch, float32, no weight
decay.  Every library trains for up to 15 epochs per seed; after each epoch
the test accuracy is measured (outside the timed training).  Reported per
library, over the seeds: the training time until the test accuracy first
reaches 98.0% (median; "-" when a run never does), the epochs that took, the
time per epoch, and the best test accuracy within the 15 epochs.

    python benchmarks/modern.py                   # seeds 0, 1, 2; PyTorch and scikit-learn when installed
    python benchmarks/modern.py --libraries nnext --seeds 0

These figures read the test set after every epoch, as the peers' published
numbers do: they compare speed, they are not a model-selection procedure
(examples/digits_modern.py is the honest recipe, selecting on a validation
split).
"""
import argparse
import os
import statistics
import time

import numpy as np

import nnext

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, os.pardir, "datasets", "mnist")
TARGET = 0.98
EPOCHS = 15
BATCH = 128
THREADS = 2


def mnist():
    images, labels = nnext.load_mnist(DATA, "train")
    test_images, test_labels = nnext.load_mnist(DATA, "test")
    scale = np.float32(1 / 255)
    return (images.reshape(len(images), -1).astype(np.float32) * scale, labels,
            test_images.reshape(len(test_images), -1).astype(np.float32) * scale, test_labels)


def nnext_trainer(X, y, seed):
    network = nnext.NeuralNetwork([784, 256, 10], activations=["relu", "softmax"], init="he",
                                  dtype="float32", seed=seed)
    Y = np.eye(10, dtype=np.float32)[y]
    rng = np.random.default_rng(seed)

    def epoch():
        nnext.fit(network, X, Y, loss="cross_entropy", optimizer="adam", learning_rate=1e-3,
                  batch_size=BATCH, epochs=1, patience=None, seed=rng, num_threads=THREADS)

    def predict(X_test):
        return network.feedforward(X_test, num_threads=THREADS).argmax(axis=1)
    return epoch, predict


def pytorch_trainer(X, y, seed):
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(THREADS)
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                torch.nn.Linear(256, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss = torch.nn.CrossEntropyLoss()
    inputs, targets = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))

    def epoch():
        order = torch.randperm(len(inputs))
        for start in range(0, len(inputs), BATCH):
            batch = order[start:start + BATCH]
            optimizer.zero_grad()
            loss(model(inputs[batch]), targets[batch]).backward()
            optimizer.step()

    def predict(X_test):
        with torch.no_grad():
            return model(torch.from_numpy(X_test)).argmax(dim=1).numpy()
    return epoch, predict


def sklearn_trainer(X, y, seed):
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(hidden_layer_sizes=(256,), activation="relu", solver="adam",
                          learning_rate_init=1e-3, batch_size=BATCH, alpha=0.0,
                          random_state=seed, shuffle=True)
    classes = np.arange(10)

    def epoch():
        model.partial_fit(X, y, classes=classes)

    def predict(X_test):
        return model.predict(X_test)
    return epoch, predict


LIBRARIES = {"nnext": nnext_trainer, "pytorch": pytorch_trainer, "scikit-learn": sklearn_trainer}


def run(make, X, y, X_test, y_test, seed):
    """Train for EPOCHS epochs; return per-epoch (cumulative training time, test accuracy)."""
    epoch, predict = make(X, y, seed)
    elapsed, curve = 0.0, []
    for _ in range(EPOCHS):
        started = time.perf_counter()
        epoch()
        elapsed += time.perf_counter() - started
        curve.append((elapsed, float(np.mean(predict(X_test) == y_test))))
    return curve


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--libraries", default=",".join(LIBRARIES))
    args = parser.parse_args(argv)
    seeds = [int(seed) for seed in args.seeds.split(",")]
    X, y, X_test, y_test = mnist()

    curves = {}
    for seed in seeds:                     # the libraries take turns within each seed
        for name in args.libraries.split(","):
            try:
                curves.setdefault(name, []).append(run(LIBRARIES[name], X, y, X_test, y_test,
                                                       seed))
            except ImportError:
                curves.pop(name, None)
                print(f"{name}: not installed, left out")
                break
            reached = next((i + 1 for i, (_, a) in enumerate(curves[name][-1]) if a >= TARGET),
                           None)
            print(f"  seed {seed} {name}: reached {100 * TARGET:.1f}% at epoch {reached}, "
                  f"best {100 * max(a for _, a in curves[name][-1]):.2f}%", flush=True)

    print(f"\n| library | epochs to {100 * TARGET:.1f}% | training time to {100 * TARGET:.1f}% "
          f"(median) | time per epoch | best accuracy in {EPOCHS} epochs |")
    print("| --- | --- | ---: | --- | --- |")
    for name, runs in curves.items():
        hits = [next(((i + 1, t) for i, (t, a) in enumerate(curve) if a >= TARGET), None)
                for curve in runs]
        reached = [hit for hit in hits if hit is not None]
        per_epoch = [curve[-1][0] / EPOCHS for curve in runs]
        best = [max(a for _, a in curve) for curve in runs]
        time_to = (f"{statistics.median(t for _, t in reached):.1f} s"
                   if len(reached) > len(runs) / 2 else "-")
        epochs_to = (f"{min(e for e, _ in reached)} to {max(e for e, _ in reached)}"
                     if reached else "-")
        print(f"| {name} | {epochs_to} ({len(reached)} of {len(runs)} runs) | {time_to} | "
              f"{min(per_epoch):.2f} to {max(per_epoch):.2f} s | "
              f"{100 * min(best):.2f} to {100 * max(best):.2f}% |")


if __name__ == "__main__":
    main()

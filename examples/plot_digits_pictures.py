"""
Pictures of what a network learned
==================================

Train the modern digits recogniser ([784, 256, 10], ReLU and softmax, Adam
on batches of 128 in float32, stopping early on a validation split of the
training digits), then draw with `nnext.plot` how training went, which
digits it confuses, the test digits it gets wrong, and the hidden units
that matter most.  Needs matplotlib (``pip install "nnext[plot]"``).
"""
import argparse

import matplotlib.pyplot as plt
import numpy as np

import nnext
from nnext import plot

parser = argparse.ArgumentParser(description="Train the modern recipe and draw what it learned.")
parser.add_argument("--epochs", type=int, default=30, help="the most epochs to train")
parser.add_argument("--seed", type=int, default=0, help="seed of weights, split and batches")
args = parser.parse_args()

images, labels = nnext.load_mnist(subset="train")
X = images.reshape(len(images), -1).astype(np.float32) / 255
Y = np.eye(10, dtype=np.float32)[labels]
network = nnext.NeuralNetwork([784, 256, 10], activations=["relu", "softmax"], init="he",
                              dtype="float32", seed=args.seed)
history = nnext.fit(network, X, Y, optimizer="adam", batch_size=128, epochs=args.epochs,
                    validation_fraction=0.1, patience=5, restore_best=True, seed=args.seed)

test_images, test_labels = nnext.load_mnist(subset="test")
predicted = network.feedforward(test_images.reshape(-1, 784) / 255).argmax(axis=1)
print(f"{history.epochs} epochs (best: {history.best_epoch}), "
      f"test accuracy {np.mean(predicted == test_labels):.2%}")

# %%
# How training went: the loss per epoch on the training digits and on the
# held-out tenth, the validation accuracy, and the epoch whose weights were
# kept.
plot.learning_curve(history, ax=plt.subplots(figsize=(7, 4.5))[1])

# %%
# Which digits are taken for which: each row is a true digit, each column a
# predicted one (the diagonal holds the digits it gets right).
plot.confusion_matrix(test_labels, predicted, ax=plt.subplots(figsize=(7, 7))[1])

# %%
# The first test digits it gets wrong, each titled "true -> predicted".
plot.mistakes(test_images, test_labels, predicted, n=25, ax=plt.subplots(figsize=(7, 7))[1])

# %%
# The incoming weights of the 36 hidden units with the largest outgoing
# weights (the units the output layer listens to most), red positive and
# blue negative.
plot.hidden_units(network, n=36, order="outgoing", ax=plt.subplots(figsize=(8, 8))[1])
plt.show()

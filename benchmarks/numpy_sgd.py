"""The vectorised NumPy form of nnext's mathematics: one matrix product per layer
per batch.  It is the reference the benchmarks compare nnext against, and a
complete implementation of the original training algorithm for the main job."""
import numpy as np


def sigmoid(z):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def activate(kind, z):
    if kind == "relu":
        return np.maximum(z, 0, out=z)
    if kind == "softmax":
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        return z / z.sum(axis=1, keepdims=True)
    return sigmoid(z)


def feedforward(weights, biases, X, activations=None):
    a = X
    for layer, (w, b) in enumerate(zip(weights, biases)):
        a = activate(activations[layer] if activations else "sigmoid", a @ w.T + b)
    return a


def sgd_steps(weights, biases, X, Y, learning_step, iterations):
    """``iterations`` steps of mini-batch SGD on the batch (X, Y), in place."""
    scale = learning_step / len(X)
    for _ in range(iterations):
        activations = [X]
        for w, b in zip(weights, biases):
            activations.append(sigmoid(activations[-1] @ w.T + b))
        a = activations[-1]
        delta = (a - Y) * a * (1 - a)
        for layer in range(len(weights) - 1, -1, -1):
            grad_w = delta.T @ activations[layer]
            grad_b = delta.sum(axis=0)
            if layer > 0:
                a = activations[layer]
                delta = (delta @ weights[layer]) * a * (1 - a)
            weights[layer] -= scale * grad_w
            biases[layer] -= scale * grad_b


def train(weights, biases, X, Y, learning_step, batch_iterations, batch_size,
          min_improvement_per_batch, max_batches_without_improvement,
          cost_estimator_batch_size, rng):
    """The original training algorithm (see nnext.training.Trainer), vectorised."""
    rows = rng.integers(0, len(X), cost_estimator_batch_size)
    X_cost, Y_cost = X[rows], Y[rows]

    def cost():
        return float(((feedforward(weights, biases, X_cost) - Y_cost) ** 2).sum())

    lowest = cost()
    pending = max_batches_without_improvement
    rounds = 0
    while pending > 0:
        rows = rng.integers(0, len(X), batch_size)
        sgd_steps(weights, biases, X[rows], Y[rows], learning_step, batch_iterations)
        new_cost = cost()
        rounds += 1
        if new_cost < lowest * (1 - min_improvement_per_batch):
            pending = max_batches_without_improvement
        else:
            pending -= 1
        lowest = min(lowest, new_cost)
    return rounds

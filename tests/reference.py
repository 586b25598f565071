"""Plain NumPy versions of nnext's mathematics, written for clarity, to test the
compiled core against.  Weights are lists of (n_out, n_in) matrices, biases
lists of vectors, as in the original program."""
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def feedforward(weights, biases, X):
    """Outputs for the rows of X."""
    a = X
    for w, b in zip(weights, biases):
        a = sigmoid(a @ w.T + b)
    return a


def cost(weights, biases, X, Y):
    return float(((feedforward(weights, biases, X) - Y) ** 2).sum())


def backprop(weights, biases, x, y):
    """Gradients of 1/2 ||a_L - y||^2 for one sample, as the original computes them."""
    activations = [x]
    for w, b in zip(weights, biases):
        activations.append(sigmoid(w @ activations[-1] + b))
    nabla_w = [None] * len(weights)
    nabla_b = [None] * len(weights)
    a = activations[-1]
    delta = (a - y) * a * (1 - a)
    for layer in range(len(weights) - 1, -1, -1):
        nabla_w[layer] = np.outer(delta, activations[layer])
        nabla_b[layer] = delta
        if layer > 0:
            a = activations[layer]
            delta = (weights[layer].T @ delta) * a * (1 - a)
    return nabla_w, nabla_b


def sgd_step(weights, biases, X, Y, learning_step):
    """One step of the original: average per-sample gradients, scale, subtract."""
    sum_w = [np.zeros_like(w) for w in weights]
    sum_b = [np.zeros_like(b) for b in biases]
    for x, y in zip(X, Y):
        nabla_w, nabla_b = backprop(weights, biases, x, y)
        for layer in range(len(weights)):
            sum_w[layer] += nabla_w[layer]
            sum_b[layer] += nabla_b[layer]
    weights = [w - learning_step * (g / len(X)) for w, g in zip(weights, sum_w)]
    biases = [b - learning_step * (g / len(X)) for b, g in zip(biases, sum_b)]
    return weights, biases

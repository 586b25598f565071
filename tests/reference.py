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


# --- modern networks: activations, losses, optimizers ------------------------------

def activate(kind, z):
    if kind == "sigmoid":
        return sigmoid(z)
    if kind == "tanh":
        return np.tanh(z)
    if kind == "relu":
        return np.maximum(z, 0)
    if kind == "identity":
        return z
    if kind == "exp":
        return np.exp(z)
    if kind == "leaky_relu":
        return np.where(z > 0, z, 0.01 * z)
    if kind == "elu":
        return np.where(z > 0, z, np.expm1(np.minimum(z, 0)))
    shifted = np.exp(z - z.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def derivative(kind, a):
    """f'(z) from a = f(z), for every activation but softmax."""
    return {"sigmoid": a * (1 - a), "tanh": 1 - a * a, "relu": (a > 0).astype(a.dtype),
            "identity": np.ones_like(a), "exp": a, "leaky_relu": np.where(a > 0, 1.0, 0.01),
            "elu": np.where(a > 0, 1.0, a + 1)}[kind]


def forward_all(weights, biases, kinds, X):
    """The activations of every layer, the inputs first."""
    activations = [X]
    for w, b, kind in zip(weights, biases, kinds):
        activations.append(activate(kind, activations[-1] @ w.T + b))
    return activations


def sample_losses(kinds, loss, A, Y, eps):
    """Each row's loss: 1/2 ||a - y||^2, the cross-entropy with a clipped at eps,
    or half the Poisson deviance, sum y log(y / a) - y + a."""
    if loss == "squared_error":
        return 0.5 * ((A - Y) ** 2).sum(axis=1)
    if loss == "poisson":
        return (np.where(Y > 0, Y * np.log(np.where(Y > 0, Y, 1) / A), 0) - Y + A).sum(axis=1)
    if kinds[-1] == "softmax":
        return -(Y * np.log(np.maximum(A, eps))).sum(axis=1)
    return -(Y * np.log(np.maximum(A, eps)) + (1 - Y) * np.log(np.maximum(1 - A, eps))).sum(axis=1)


def mean_gradient(weights, biases, kinds, loss, X, Y, sample_weight=None):
    """The mean over the rows of the gradient of the per-sample loss (weighted by
    sample_weight, when given: sum w_s g_s / sum w_s)."""
    w_s = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, np.float64)
    activations = forward_all(weights, biases, kinds, X)
    a = activations[-1]
    delta = a - Y
    if loss == "squared_error":
        delta = delta * derivative(kinds[-1], a)
    delta = delta * w_s[:, None]
    grads_w, grads_b = [None] * len(weights), [None] * len(weights)
    for layer in range(len(weights) - 1, -1, -1):
        grads_w[layer] = delta.T @ activations[layer] / w_s.sum()
        grads_b[layer] = delta.sum(axis=0) / w_s.sum()
        if layer > 0:
            delta = (delta @ weights[layer]) * derivative(kinds[layer - 1], activations[layer])
    return grads_w, grads_b


class Optimizer:
    """The optimizers of nnext.fit, written out for one flat array of parameters."""

    def __init__(self, name, learning_rate, momentum=0.9, nesterov=False, beta1=0.9,
                 beta2=0.999, epsilon=1e-8, epsilon_hat=False, rho=0.99):
        self.name, self.lr = name, learning_rate
        self.mu, self.nesterov = momentum, nesterov
        self.b1, self.b2, self.eps, self.eps_hat = beta1, beta2, epsilon, epsilon_hat
        self.rho = rho
        self.t, self.v, self.m = 0, 0.0, 0.0

    def step(self, w, g):
        self.t += 1
        if self.name == "sgd":
            return w - self.lr * g
        if self.name == "momentum":
            self.v = self.mu * self.v - self.lr * g
            return w + (self.mu * self.v - self.lr * g if self.nesterov else self.v)
        if self.name == "rmsprop":     # as PyTorch's torch.optim.RMSprop
            self.v = self.rho * self.v + (1 - self.rho) * g * g
            return w - self.lr * g / (np.sqrt(self.v) + self.eps)
        self.m = self.b1 * self.m + (1 - self.b1) * g
        self.v = self.b2 * self.v + (1 - self.b2) * g * g
        if self.eps_hat:   # scikit-learn's AdamOptimizer, as it writes it
            lr = self.lr * np.sqrt(1 - self.b2 ** self.t) / (1 - self.b1 ** self.t)
            return w - lr * self.m / (np.sqrt(self.v) + self.eps)
        m_hat = self.m / (1 - self.b1 ** self.t)
        v_hat = self.v / (1 - self.b2 ** self.t)
        return w - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def epoch(weights, biases, kinds, loss, X, Y, rows, batch_size, optimizer, l2=0.0,
          sample_weight=None, l2_over_weight=False):
    """One epoch of nnext.fit: batches of X[rows] in order, a step each.  Returns
    the new weights and biases and, per batch, its (weighted) summed loss, its
    total weight and the sum of its starting squared weights."""
    weights, biases = [w.copy() for w in weights], [b.copy() for b in biases]
    w_all = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, np.float64)
    stats = []
    for start in range(0, len(rows), batch_size):
        batch = rows[start:start + batch_size]
        A = forward_all(weights, biases, kinds, X[batch])[-1]
        losses = sample_losses(kinds, loss, A, Y[batch], np.finfo(X.dtype).eps)
        stats.append([(losses * w_all[batch]).sum(), w_all[batch].sum(),
                      sum((w ** 2).sum() for w in weights) if l2 else 0.0])
        grads_w, grads_b = mean_gradient(weights, biases, kinds, loss, X[batch], Y[batch],
                                         w_all[batch])
        decay = l2 / w_all[batch].sum() if l2_over_weight else l2
        flat_w = np.concatenate([np.concatenate([w.ravel(), b]) for w, b in zip(weights, biases)])
        flat_g = np.concatenate([np.concatenate([(g + decay * w).ravel(), gb])
                                 for g, gb, w in zip(grads_w, grads_b, weights)])
        flat_w = optimizer.step(flat_w, flat_g)
        start_index = 0
        for layer, w in enumerate(weights):
            weights[layer] = flat_w[start_index:start_index + w.size].reshape(w.shape)
            start_index += w.size
            biases[layer] = flat_w[start_index:start_index + w.shape[0]]
            start_index += w.shape[0]
    return weights, biases, np.array(stats)

"""Compiled kernels of nnext: batched forward pass, cost and the SGD batch update.

A network with layer sizes n_0, ..., n_L keeps all its parameters in one flat
buffer ``params``: for each layer l = 1..L its weights (n_l rows of n_{l-1}
values, row-major) followed by its n_l biases.  The kernels walk that buffer
with pointers.  Every ``def`` driver first checks, with the GIL, that each
buffer is as large as that layout needs, so the pointer arithmetic inside the
``nogil`` sections stays within the buffers.

Samples are rows: a block of ``nb`` samples of layer l is an (nb, n_l)
row-major array.
"""
from cpython.exc cimport PyErr_CheckSignals
from cython cimport floating
from libc.math cimport exp
from libc.string cimport memcpy, memset

ctypedef Py_ssize_t intp

cdef extern from *:
    int NNEXT_DEBUG   # set by setup.py

#: True in a build with Cython's bounds checks on (NNEXT_DEBUG_CYTHON=1).
debug_build = bool(NNEXT_DEBUG)

cdef enum:
    # Samples pushed through the network at once when only outputs are needed.
    FORWARD_BLOCK = 256
    # Multiply-adds between two looks for Ctrl-C (a few milliseconds of work).
    SIGNAL_CHECK_WORK = 1 << 24


# ---------------------------------------------------------------------------
# Layout

cdef intp parameter_count(const intp[::1] sizes) noexcept nogil:
    cdef intp l, total = 0
    for l in range(1, sizes.shape[0]):
        total += sizes[l] * (sizes[l - 1] + 1)
    return total


cdef intp activation_count(const intp[::1] sizes) noexcept nogil:
    """Activations of one sample in layers 1..L."""
    cdef intp l, total = 0
    for l in range(1, sizes.shape[0]):
        total += sizes[l]
    return total


cdef intp widest(const intp[::1] sizes, intp first, intp stop) noexcept nogil:
    cdef intp l, width = 0
    for l in range(first, stop):
        width = max(width, sizes[l])
    return width


def forward_workspace_size(const intp[::1] sizes, intp n_samples):
    """Length of the ``work`` buffer that `feedforward` and `sum_squared_error` need."""
    return min(n_samples, FORWARD_BLOCK) * activation_count(sizes)


def train_workspace_size(const intp[::1] sizes, intp batch_size):
    """Length of the ``work`` buffer that `sgd_steps` needs for a batch of this size."""
    cdef intp n_layers = sizes.shape[0]
    return (batch_size * (sizes[0] + sizes[n_layers - 1])       # the gathered batch
            + batch_size * activation_count(sizes)              # activations
            + 2 * batch_size * widest(sizes, 1, n_layers)       # deltas of two layers
            + widest(sizes, 0, n_layers - 1))                   # one gradient row


cdef check_layout(const intp[::1] sizes, intp n_params):
    cdef intp l
    if sizes.shape[0] < 2:
        raise ValueError(f"a network needs at least 2 layers; got {sizes.shape[0]}")
    for l in range(sizes.shape[0]):
        if sizes[l] < 1:
            raise ValueError(f"layer {l} must have at least 1 neuron; got {sizes[l]}")
    if n_params != parameter_count(sizes):
        raise ValueError(f"params must hold {parameter_count(sizes)} values for shape "
                         f"{list(sizes)}; got {n_params}")


cdef check_samples(const intp[::1] sizes, intp n_rows, intp n_inputs,
                   intp n_target_rows, intp n_targets):
    cdef intp n_out = sizes[sizes.shape[0] - 1]
    if n_inputs != sizes[0]:
        raise ValueError(f"inputs must have {sizes[0]} columns; got {n_inputs}")
    if n_targets != n_out:
        raise ValueError(f"targets must have {n_out} columns; got {n_targets}")
    if n_target_rows != n_rows:
        raise ValueError(f"inputs and targets must have as many rows; "
                         f"got {n_rows} and {n_target_rows}")


cdef check_workspace(intp have, intp need):
    if have < need:
        raise ValueError(f"work must hold at least {need} values; got {have}")


# ---------------------------------------------------------------------------
# Per-sample arithmetic

cdef inline floating sigmoid(floating z) noexcept nogil:
    # exp is only ever taken of a non-positive number, so it cannot overflow.
    cdef floating e
    if z >= 0:
        return 1 / (1 + exp(-z))
    e = exp(z)
    return e / (1 + e)


cdef inline floating dot(const floating* a, const floating* b, intp n) noexcept nogil:
    # Four independent partial sums, so the compiler may keep them in one
    # vector register without reordering any floating-point addition.
    cdef floating s0 = 0, s1 = 0, s2 = 0, s3 = 0
    cdef intp k = 0
    while k + 4 <= n:
        s0 += a[k] * b[k]
        s1 += a[k + 1] * b[k + 1]
        s2 += a[k + 2] * b[k + 2]
        s3 += a[k + 3] * b[k + 3]
        k += 4
    while k < n:
        s0 += a[k] * b[k]
        k += 1
    return (s0 + s1) + (s2 + s3)


cdef inline void axpy(floating alpha, const floating* x, floating* y, intp n) noexcept nogil:
    """y += alpha * x"""
    cdef intp k
    for k in range(n):
        y[k] += alpha * x[k]


# ---------------------------------------------------------------------------
# Forward pass and cost

cdef void forward(const intp[::1] sizes, const floating* params, const floating* x,
                  intp nb, floating* acts) noexcept nogil:
    """Activations of layers 1..L for the nb samples in x, stored one layer after
    the other in acts."""
    cdef intp l, s, j, n_in, n_out
    cdef const floating* inputs = x
    cdef const floating* w = params
    cdef const floating* b
    cdef floating* out = acts
    for l in range(1, sizes.shape[0]):
        n_in = sizes[l - 1]
        n_out = sizes[l]
        b = w + n_out * n_in
        for s in range(nb):
            for j in range(n_out):
                out[s * n_out + j] = sigmoid(b[j] + dot(w + j * n_in, inputs + s * n_in, n_in))
        inputs = out
        out += nb * n_out
        w = b + n_out


def feedforward(const intp[::1] sizes, const floating[::1] params,
                const floating[:, ::1] X, floating[:, ::1] out, floating[::1] work):
    """Write the network's outputs for the rows of X into out."""
    cdef intp n_samples = X.shape[0]
    cdef intp n_out = sizes[sizes.shape[0] - 1]
    cdef intp start, nb
    check_layout(sizes, params.shape[0])
    check_samples(sizes, n_samples, X.shape[1], out.shape[0], out.shape[1])
    check_workspace(work.shape[0], forward_workspace_size(sizes, n_samples))
    if n_samples == 0:
        return
    cdef intp last_layer = activation_count(sizes) - n_out
    with nogil:
        start = 0
        while start < n_samples:
            nb = min(FORWARD_BLOCK, n_samples - start)
            forward(sizes, &params[0], &X[start, 0], nb, &work[0])
            memcpy(&out[start, 0], &work[nb * last_layer], nb * n_out * sizeof(floating))
            start += nb


def sum_squared_error(const intp[::1] sizes, const floating[::1] params,
                      const floating[:, ::1] X, const floating[:, ::1] Y, floating[::1] work):
    """The quadratic cost: sum over the rows of ||network(X[i]) - Y[i]||^2."""
    cdef intp n_samples = X.shape[0]
    cdef intp n_out = sizes[sizes.shape[0] - 1]
    cdef intp start, nb, i
    cdef double cost = 0, diff
    cdef const floating* a
    cdef const floating* y
    check_layout(sizes, params.shape[0])
    check_samples(sizes, n_samples, X.shape[1], Y.shape[0], Y.shape[1])
    check_workspace(work.shape[0], forward_workspace_size(sizes, n_samples))
    if n_samples == 0:
        return 0.0
    cdef intp last_layer = activation_count(sizes) - n_out
    with nogil:
        start = 0
        while start < n_samples:
            nb = min(FORWARD_BLOCK, n_samples - start)
            forward(sizes, &params[0], &X[start, 0], nb, &work[0])
            a = &work[nb * last_layer]
            y = &Y[start, 0]
            for i in range(nb * n_out):
                diff = a[i] - y[i]
                cost += diff * diff
            start += nb
    return cost


# ---------------------------------------------------------------------------
# Back-propagation and the batch update

cdef void sgd_step(const intp[::1] sizes, floating* params, intp n_params,
                   const floating* x, const floating* y, intp nb, floating scale,
                   floating* acts, floating* delta, floating* delta_prev,
                   floating* grad_row) noexcept nogil:
    """One gradient step on the nb samples (x, y): every weight and bias moves by
    -scale times the sum of its per-sample gradients."""
    cdef intp n_layers = sizes.shape[0]
    cdef intp l, s, j, i, n_in, n_out
    cdef floating gb
    cdef floating* swap
    cdef floating* w
    cdef floating* b
    cdef floating* w_end = params + n_params
    cdef const floating* a_prev
    cdef const floating* a

    forward(sizes, params, x, nb, acts)

    # Output layer: delta = (a - y) * sigmoid'(z), with sigmoid'(z) = a (1 - a).
    n_out = sizes[n_layers - 1]
    a = acts + nb * (activation_count(sizes) - n_out)
    for i in range(nb * n_out):
        delta[i] = (a[i] - y[i]) * a[i] * (1 - a[i])

    for l in range(n_layers - 1, 0, -1):
        n_out = sizes[l]
        n_in = sizes[l - 1]
        b = w_end - n_out
        w = b - n_out * n_in
        w_end = w
        a_prev = x if l == 1 else a - nb * n_in

        if l > 1:
            # delta_prev = (delta . W) * sigmoid'(z_prev), taken with the weights
            # as they were before this step touches them.
            memset(delta_prev, 0, nb * n_in * sizeof(floating))
            for s in range(nb):
                for j in range(n_out):
                    axpy(delta[s * n_out + j], w + j * n_in, delta_prev + s * n_in, n_in)
            for i in range(nb * n_in):
                delta_prev[i] *= a_prev[i] * (1 - a_prev[i])

        # W -= scale * delta^T . a_prev and b -= scale * sum of delta, row by row.
        for j in range(n_out):
            memset(grad_row, 0, n_in * sizeof(floating))
            gb = 0
            for s in range(nb):
                axpy(delta[s * n_out + j], a_prev + s * n_in, grad_row, n_in)
                gb += delta[s * n_out + j]
            axpy(-scale, grad_row, w + j * n_in, n_in)
            b[j] -= scale * gb

        a = a_prev
        swap = delta
        delta = delta_prev
        delta_prev = swap


def sgd_steps(const intp[::1] sizes, floating[::1] params,
              const floating[:, ::1] X, const floating[:, ::1] Y, const intp[::1] rows,
              double learning_step, intp iterations, floating[::1] work):
    """Run ``iterations`` gradient steps on the batch X[rows], Y[rows].

    Each step moves the parameters (in place) by -learning_step times the mean
    of the per-sample gradients of the cost 1/2 ||a_L - y||^2.  Ctrl-C is
    looked for between steps: KeyboardInterrupt is then raised with the
    parameters of the last complete step in place.
    """
    cdef intp n_layers = sizes.shape[0]
    cdef intp nb = rows.shape[0]
    cdef intp n_rows = X.shape[0]
    cdef intp i, it
    check_layout(sizes, params.shape[0])
    check_samples(sizes, n_rows, X.shape[1], Y.shape[0], Y.shape[1])
    if nb < 1:
        raise ValueError("rows must name at least one sample; got none")
    if iterations < 0:
        raise ValueError(f"iterations must be at least 0; got {iterations}")
    for i in range(nb):
        if rows[i] < 0 or rows[i] >= n_rows:
            raise ValueError(f"rows[{i}] must be in [0, {n_rows}); got {rows[i]}")
    check_workspace(work.shape[0], train_workspace_size(sizes, nb))

    cdef intp n_in = sizes[0]
    cdef intp n_out = sizes[n_layers - 1]
    cdef intp n_params = params.shape[0]
    cdef intp step_work = nb * n_params
    cdef intp work_since_check = 0
    cdef floating scale = learning_step / nb
    cdef floating* x = &work[0]
    cdef floating* y = x + nb * n_in
    cdef floating* acts = y + nb * n_out
    cdef floating* delta = acts + nb * activation_count(sizes)
    cdef floating* delta_prev = delta + nb * widest(sizes, 1, n_layers)
    cdef floating* grad_row = delta_prev + nb * widest(sizes, 1, n_layers)

    with nogil:
        for i in range(nb):
            memcpy(x + i * n_in, &X[rows[i], 0], n_in * sizeof(floating))
            memcpy(y + i * n_out, &Y[rows[i], 0], n_out * sizeof(floating))
        for it in range(iterations):
            sgd_step(sizes, &params[0], n_params, x, y, nb, scale,
                     acts, delta, delta_prev, grad_row)
            work_since_check += step_work
            if work_since_check >= SIGNAL_CHECK_WORK and it + 1 < iterations:
                work_since_check = 0
                with gil:
                    PyErr_CheckSignals()

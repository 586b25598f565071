"""The compiled core of nnext: batched forward pass, cost, gradient and the SGD batch update loop.

A network with layer sizes n_0, ..., n_L keeps all its parameters in one flat
buffer ``params``: for each layer l = 1..L its weights (n_l rows of n_{l-1}
values, row-major) followed by its n_l biases (``nnext._layout`` describes
the same layout to Python).  The loops below walk that
buffer with pointers and hand each layer's matrix products to the blocked
kernels of ``_kernels.h``.  Every ``def`` driver first checks, with the GIL,
that each buffer is as large as that layout needs, so the pointer arithmetic
inside the ``nogil`` sections stays within the buffers.

Samples are rows: the values of layer l for a block of ``nb`` samples form an
(nb, n_l) row-major array.  A training step has two phases: the work of each
sample (its forward pass and every layer's delta, which need only the step's
starting weights) and then the work of each weight (its update).  When a step
is large enough, ``n_threads`` OpenMP threads share the first by samples and
the second by columns of the weights.  Every value is computed the same way
whatever the split, so results do not depend on the thread count.
"""
from cython cimport floating
from cython.parallel cimport prange, threadid
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

ctypedef Py_ssize_t intp

cdef extern from "_kernels.h" nogil:
    int NN_OPENMP
    int nn_select_kernels(int avx2)
    void nn_gemm_nt_d(intp m, intp n, intp k, const double* a, intp lda,
                      const double* b, intp ldb, const double* bias, double* c, intp ldc)
    void nn_gemm_nt_s(intp m, intp n, intp k, const float* a, intp lda,
                      const float* b, intp ldb, const float* bias, float* c, intp ldc)
    void nn_gemm_nn_d(intp m, intp n, intp k, double alpha, const double* a, intp rsa,
                      intp csa, const double* b, intp ldb, int accumulate, double* c, intp ldc)
    void nn_gemm_nn_s(intp m, intp n, intp k, float alpha, const float* a, intp rsa,
                      intp csa, const float* b, intp ldb, int accumulate, float* c, intp ldc)
    void nn_sigmoid_d(double* x, intp n)
    void nn_sigmoid_s(float* x, intp n)
    int nn_all_finite_d(const double* x, intp n)
    int nn_all_finite_s(const float* x, intp n)

cdef extern from *:
    int NNEXT_DEBUG   # set by setup.py

cdef extern from "Python.h":
    int PyErr_CheckSignals() except -1

#: True in a build with Cython's bounds checks on (NNEXT_DEBUG_CYTHON=1).
debug_build = bool(NNEXT_DEBUG)
#: True when the core was built with OpenMP, so that n_threads > 1 is used.
openmp = bool(NN_OPENMP)

cdef enum:
    # Samples pushed through the network at once when only outputs are needed.
    FORWARD_BLOCK = 64
    # Multiply-adds between two looks for Ctrl-C (a few milliseconds of work).
    SIGNAL_CHECK_WORK = 1 << 24
    # Multiply-adds a thread must get before a product is split between threads.
    THREAD_MIN_WORK = 1 << 17
    # Column splits of the weights fall on multiples of this (whole kernel panels).
    COLUMN_GRAIN = 24


def use_avx2(bint enabled):
    """Use the AVX2 + FMA kernels (if the CPU has them) or the baseline ones.

    Returns whether the AVX2 kernels are now in use.
    """
    return bool(nn_select_kernels(enabled))


#: True when the AVX2 + FMA kernels are in use (chosen at import by CPU feature).
avx2 = use_avx2(True)


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


def forward_workspace_size(const intp[::1] sizes, intp n_samples, int n_threads=1):
    """Length of the ``work`` buffer that `feedforward` and `sum_squared_error` need."""
    return max(1, n_threads) * min(n_samples, FORWARD_BLOCK) * activation_count(sizes)


def train_workspace_size(const intp[::1] sizes, intp batch_size):
    """Length of the ``work`` buffer that `sgd_steps` needs for a batch of this size."""
    cdef intp n_layers = sizes.shape[0]
    return (batch_size * (sizes[0] + sizes[n_layers - 1])     # the gathered batch
            + 3 * batch_size * activation_count(sizes))       # activations, deltas twice


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


cdef check_workspace(intp have, intp need, str name="work"):
    if have < need:
        raise ValueError(f"{name} must hold at least {need} values; got {have}")


cdef check_forward(const intp[::1] sizes, intp n_params, intp n_rows, intp n_inputs,
                   intp n_out_rows, intp n_outputs, intp work_size, int n_threads):
    """The checks of the forward-pass drivers: layout, shapes and workspace."""
    check_layout(sizes, n_params)
    check_samples(sizes, n_rows, n_inputs, n_out_rows, n_outputs)
    check_workspace(work_size, forward_workspace_size(sizes, n_rows, n_threads))


cdef int check_threads(int n_threads) except -1:
    if n_threads < 1:
        raise ValueError(f"n_threads must be at least 1; got {n_threads}")
    return n_threads if NN_OPENMP else 1


# ---------------------------------------------------------------------------
# Elementwise arithmetic and the kernels for either type

cdef inline void sigmoid(floating* x, intp n) noexcept nogil:
    """x[i] = 1 / (1 + exp(-x[i])) without overflow for any input."""
    if floating is double:
        nn_sigmoid_d(x, n)
    else:
        nn_sigmoid_s(x, n)


cdef inline bint all_finite(const floating* x, intp n) noexcept nogil:
    if floating is double:
        return nn_all_finite_d(x, n)
    else:
        return nn_all_finite_s(x, n)


cdef inline void gemm_nt(intp m, intp n, intp k, const floating* a, intp lda,
                         const floating* b, intp ldb, const floating* bias,
                         floating* c, intp ldc) noexcept nogil:
    """c[i, j] = bias[j] + a[i, :] . b[j, :]"""
    if floating is double:
        nn_gemm_nt_d(m, n, k, a, lda, b, ldb, bias, c, ldc)
    else:
        nn_gemm_nt_s(m, n, k, a, lda, b, ldb, bias, c, ldc)


cdef inline void gemm_nn(intp m, intp n, intp k, floating alpha, const floating* a,
                         intp rsa, intp csa, const floating* b, intp ldb, bint accumulate,
                         floating* c, intp ldc) noexcept nogil:
    """c[i, :] = (c[i, :] if accumulate else 0) + alpha * sum_p a[i*rsa + p*csa] b[p, :]"""
    if floating is double:
        nn_gemm_nn_d(m, n, k, alpha, a, rsa, csa, b, ldb, accumulate, c, ldc)
    else:
        nn_gemm_nn_s(m, n, k, alpha, a, rsa, csa, b, ldb, accumulate, c, ldc)


cdef inline int split(intp work, intp pieces, int n_threads) noexcept nogil:
    """How many threads share a product of ``work`` multiply-adds in ``pieces`` parts."""
    return <int>max(1, min(<intp>n_threads, min(pieces, work // THREAD_MIN_WORK)))


# ---------------------------------------------------------------------------
# The work of a step that is done sample by sample

cdef void forward_rows(const intp[::1] sizes, const floating* params, const floating* x,
                       intp lo, intp hi, intp nb, floating* acts) noexcept nogil:
    """Activations of layers 1..L for samples lo..hi of the nb samples in x.

    acts holds one (nb, n_l) block per layer, one after the other; only rows
    lo..hi of each are written.
    """
    cdef intp l, n_in, n_out
    cdef const floating* inputs = x
    cdef const floating* w = params
    for l in range(1, sizes.shape[0]):
        n_in = sizes[l - 1]
        n_out = sizes[l]
        gemm_nt(hi - lo, n_out, n_in, inputs + lo * n_in, n_in, w, n_in, w + n_out * n_in,
                acts + lo * n_out, n_out)
        sigmoid(acts + lo * n_out, (hi - lo) * n_out)
        inputs = acts
        acts += nb * n_out
        w += n_out * (n_in + 1)


cdef void delta_rows(const intp[::1] sizes, const floating* params, intp n_params,
                     const floating* y, intp lo, intp hi, intp nb, const floating* acts,
                     floating* deltas, floating* deltas_t) noexcept nogil:
    """Every layer's delta for samples lo..hi, laid out like the activations in
    deltas and, transposed (each layer an (n_l, nb) block), in deltas_t.

    Output layer: delta = (a - y) * sigmoid'(z); below: delta_prev =
    (delta . W) * sigmoid'(z_prev); with sigmoid'(z) = a (1 - a).  Only the
    step's starting weights are read, so no weight may change meanwhile.
    """
    cdef intp n_layers = sizes.shape[0]
    cdef intp l, s, j, i, n_in, n_out
    cdef intp offset = nb * activation_count(sizes)
    cdef const floating* w_end = params + n_params
    cdef const floating* w
    cdef const floating* a
    cdef floating* delta
    cdef floating* delta_prev

    n_out = sizes[n_layers - 1]
    offset -= nb * n_out
    a = acts + offset
    delta = deltas + offset
    for i in range(lo * n_out, hi * n_out):
        delta[i] = (a[i] - y[i]) * a[i] * (1 - a[i])
    for l in range(n_layers - 1, 0, -1):
        n_out = sizes[l]
        n_in = sizes[l - 1]
        delta = deltas + offset
        for s in range(lo, hi):
            for j in range(n_out):
                deltas_t[offset + j * nb + s] = delta[s * n_out + j]
        w = w_end - n_out - n_out * n_in
        w_end = w
        if l == 1:
            break
        offset -= nb * n_in
        a = acts + offset
        delta_prev = deltas + offset
        gemm_nn(hi - lo, n_in, n_out, 1, delta + lo * n_out, n_out, 1, w, n_in, False,
                delta_prev + lo * n_in, n_in)
        for i in range(lo * n_in, hi * n_in):
            delta_prev[i] *= a[i] * (1 - a[i])


cdef void sample_share(const intp[::1] sizes, const floating* params, intp n_params,
                       const floating* x, const floating* y, intp nb, floating* acts,
                       floating* deltas, floating* deltas_t, int part, int parts) noexcept nogil:
    """Forward pass and deltas for part ``part`` of ``parts`` of the samples."""
    cdef intp lo = part * nb // parts, hi = (part + 1) * nb // parts
    forward_rows(sizes, params, x, lo, hi, nb, acts)
    delta_rows(sizes, params, n_params, y, lo, hi, nb, acts, deltas, deltas_t)


# ---------------------------------------------------------------------------
# The work of a step that is done weight by weight

cdef void weight_share(const intp[::1] sizes, floating* target, bint accumulate,
                       floating alpha, const floating* x, intp nb, const floating* acts,
                       const floating* deltas_t, int part, int parts) noexcept nogil:
    """For part ``part`` of ``parts`` of every layer's columns of weights (and of
    its biases), laid out in ``target`` like the parameters:
    t_w = (t_w if accumulate else 0) + alpha * delta^T . a_prev and
    t_b = (t_b if accumulate else 0) + alpha * sum of delta.

    With target the parameters, accumulate and alpha = -learning_step / nb
    this is a gradient step; with accumulate off and alpha = 1 / nb it writes
    the mean gradient."""
    cdef intp l, j, s, lo, hi, n_in, n_out, grains
    cdef floating total
    cdef floating* t = target
    cdef const floating* a_prev = x
    cdef const floating* delta_t = deltas_t
    for l in range(1, sizes.shape[0]):
        n_in = sizes[l - 1]
        n_out = sizes[l]
        grains = (n_in + COLUMN_GRAIN - 1) // COLUMN_GRAIN
        lo = min(n_in, part * grains // parts * COLUMN_GRAIN)
        hi = min(n_in, (part + 1) * grains // parts * COLUMN_GRAIN)
        gemm_nn(n_out, hi - lo, nb, alpha, delta_t, nb, 1, a_prev + lo, n_in, accumulate,
                t + lo, n_in)
        for j in range(part * n_out // parts, (part + 1) * n_out // parts):
            total = 0
            for s in range(nb):
                total += delta_t[j * nb + s]
            if accumulate:
                t[n_out * n_in + j] += alpha * total
            else:
                t[n_out * n_in + j] = alpha * total
        t += n_out * (n_in + 1)
        a_prev = acts
        acts += nb * n_out
        delta_t += nb * n_out


# ---------------------------------------------------------------------------
# Forward pass and cost

cdef void forward_blocks(const intp[::1] sizes, const floating* params, const floating[:, ::1] X,
                         floating* work, intp block_work, int n_threads, floating* out,
                         intp* first_nonfinite, const floating[:, ::1] Y,
                         double* block_costs) noexcept nogil:
    """Push the rows of X through the network block by block, the blocks shared
    between threads.  Per block, if asked: copy the outputs to out, note the
    first row of X that is not finite in first_nonfinite (or -1), and put the
    squared error against Y in block_costs."""
    cdef intp n_samples = X.shape[0]
    cdef intp n_in = sizes[0]
    cdef intp n_out = sizes[sizes.shape[0] - 1]
    cdef intp n_blocks = (n_samples + FORWARD_BLOCK - 1) // FORWARD_BLOCK
    cdef intp last_layer = activation_count(sizes) - n_out
    cdef intp block, start, nb, i
    cdef floating* acts
    cdef floating* a
    cdef double cost, diff
    cdef int parts = <int>max(1, min(<intp>n_threads, n_blocks))
    for block in prange(n_blocks, num_threads=parts, schedule="static"):
        start = block * FORWARD_BLOCK
        nb = min(<intp>FORWARD_BLOCK, n_samples - start)
        if first_nonfinite != NULL:
            # Checked here, while the block is on its way into the cache anyway.
            first_nonfinite[block] = -1
            if not all_finite(&X[start, 0], nb * n_in):
                for i in range(start, start + nb):
                    if not all_finite(&X[i, 0], n_in):
                        first_nonfinite[block] = i
                        break
        acts = work + threadid() * block_work
        forward_rows(sizes, params, &X[start, 0], 0, nb, nb, acts)
        a = acts + nb * last_layer
        if out != NULL:
            memcpy(out + start * n_out, a, nb * n_out * sizeof(floating))
        if block_costs != NULL:
            cost = 0
            for i in range(nb * n_out):
                diff = a[i] - Y[start + i // n_out, i % n_out]
                cost = cost + diff * diff
            block_costs[block] = cost


def feedforward(const intp[::1] sizes, const floating[::1] params,
                const floating[:, ::1] X, floating[:, ::1] out, floating[::1] work,
                int n_threads=1):
    """Write the network's outputs for the rows of X into out.

    Returns the index of the first row of X holding NaN or infinity (whose
    outputs are then meaningless), or -1 when every row is finite.
    """
    cdef intp n_samples = X.shape[0]
    cdef intp block, first = -1
    n_threads = check_threads(n_threads)
    check_forward(sizes, params.shape[0], X.shape[0], X.shape[1], out.shape[0], out.shape[1],
                  work.shape[0], n_threads)
    if n_samples == 0:
        return -1
    cdef intp n_blocks = (n_samples + FORWARD_BLOCK - 1) // FORWARD_BLOCK
    cdef intp block_work = min(n_samples, FORWARD_BLOCK) * activation_count(sizes)
    cdef intp* first_nonfinite = <intp*>malloc(n_blocks * sizeof(intp))
    if first_nonfinite == NULL:
        raise MemoryError()
    try:
        with nogil:
            forward_blocks(sizes, &params[0], X, &work[0], block_work, n_threads,
                           &out[0, 0], first_nonfinite, X, NULL)
        for block in range(n_blocks):
            if first_nonfinite[block] >= 0:
                first = first_nonfinite[block]
                break
    finally:
        free(first_nonfinite)
    return first


def sum_squared_error(const intp[::1] sizes, const floating[::1] params,
                      const floating[:, ::1] X, const floating[:, ::1] Y, floating[::1] work,
                      int n_threads=1):
    """The quadratic cost: sum over the rows of ||network(X[i]) - Y[i]||^2."""
    cdef intp n_samples = X.shape[0]
    cdef intp block
    cdef double cost = 0
    n_threads = check_threads(n_threads)
    check_forward(sizes, params.shape[0], X.shape[0], X.shape[1], Y.shape[0], Y.shape[1],
                  work.shape[0], n_threads)
    if n_samples == 0:
        return 0.0
    cdef intp n_blocks = (n_samples + FORWARD_BLOCK - 1) // FORWARD_BLOCK
    cdef intp block_work = min(n_samples, FORWARD_BLOCK) * activation_count(sizes)
    cdef double* block_costs = <double*>malloc(n_blocks * sizeof(double))
    if block_costs == NULL:
        raise MemoryError()
    try:
        with nogil:
            forward_blocks(sizes, &params[0], X, &work[0], block_work, n_threads,
                           NULL, NULL, Y, block_costs)
        # Summed in block order, so the cost does not depend on the thread count.
        for block in range(n_blocks):
            cost += block_costs[block]
    finally:
        free(block_costs)
    return cost


def forward_layers(const intp[::1] sizes, const floating[::1] params, const floating[::1] x,
                   floating[::1] acts):
    """Write the activations of layers 1..L for the one sample x into acts, one
    layer after the other."""
    check_layout(sizes, params.shape[0])
    check_samples(sizes, 1, x.shape[0], 1, sizes[sizes.shape[0] - 1])
    check_workspace(acts.shape[0], activation_count(sizes), "acts")
    with nogil:
        forward_rows(sizes, &params[0], &x[0], 0, 1, 1, &acts[0])


# ---------------------------------------------------------------------------
# The batch update loop

# Ctrl-C is looked for each time this much work has passed (settable for tests).
cdef intp signal_check_work = SIGNAL_CHECK_WORK
cdef object interrupt_probe = None


def _set_interrupt_probe(probe, intp check_every=SIGNAL_CHECK_WORK):
    """Testing hook: look for Ctrl-C after every ``check_every`` multiply-adds,
    and each time call ``probe(step, phase)`` first, with the GIL.

    ``step`` counts the steps of the current call from 0; ``phase`` is
    ``"forward"`` (the step's forward pass and deltas are done, no weight has
    moved) or ``"update"`` (the step is complete).  An exception the probe
    raises (KeyboardInterrupt, say, from ``signal.raise_signal(signal.SIGINT)``)
    stops the loop there, as Ctrl-C would.  ``_set_interrupt_probe(None)``
    restores the default.
    """
    global interrupt_probe, signal_check_work
    if check_every < 1:
        raise ValueError(f"check_every must be at least 1; got {check_every}")
    interrupt_probe = probe
    signal_check_work = check_every


cdef int look_for_ctrl_c(intp step, bint updated) except -1 with gil:
    """Run Python's signal handlers (and the probe): Ctrl-C raises KeyboardInterrupt."""
    if interrupt_probe is not None:
        interrupt_probe(step, "update" if updated else "forward")
    PyErr_CheckSignals()
    return 0


cdef check_batch(const intp[::1] sizes, intp n_params, intp n_rows, intp n_inputs,
                 intp n_target_rows, intp n_targets, const intp[::1] rows, intp work_size):
    """The checks of the drivers that train on a batch X[rows], Y[rows]."""
    cdef intp i, nb = rows.shape[0]
    check_layout(sizes, n_params)
    check_samples(sizes, n_rows, n_inputs, n_target_rows, n_targets)
    if nb < 1:
        raise ValueError("rows must name at least one sample; got none")
    for i in range(nb):
        if rows[i] < 0 or rows[i] >= n_rows:
            raise ValueError(f"rows[{i}] must be in [0, {n_rows}); got {rows[i]}")
    check_workspace(work_size, train_workspace_size(sizes, nb))


cdef int batch_steps(const intp[::1] sizes, floating* params, intp n_params,
                     const floating[:, ::1] X, const floating[:, ::1] Y, const intp[::1] rows,
                     floating* work, floating* target, bint accumulate, floating alpha,
                     intp iterations, int n_threads) except -1 nogil:
    """Gather the batch X[rows], Y[rows] into work, then ``iterations`` times run
    the forward pass and deltas at the current parameters and hand them to
    `weight_share` with (target, accumulate, alpha).  Ctrl-C raises
    KeyboardInterrupt with the parameters of the last complete step."""
    cdef intp n_layers = sizes.shape[0]
    cdef intp n_in = sizes[0]
    cdef intp n_out = sizes[n_layers - 1]
    cdef intp nb = rows.shape[0]
    cdef intp step_work = nb * n_params
    cdef intp work_since_check = 0
    cdef intp i, it
    cdef int part, parts = split(step_work, nb, n_threads)
    cdef floating* x = work
    cdef floating* y = x + nb * n_in
    cdef floating* acts = y + nb * n_out
    cdef floating* deltas = acts + nb * activation_count(sizes)
    cdef floating* deltas_t = deltas + nb * activation_count(sizes)

    for i in range(nb):
        memcpy(x + i * n_in, &X[rows[i], 0], n_in * sizeof(floating))
        memcpy(y + i * n_out, &Y[rows[i], 0], n_out * sizeof(floating))
    for it in range(iterations):
        # First the work of each sample (its share of the samples to each
        # thread), then the work of each weight (its share of the columns).
        if parts == 1:
            sample_share(sizes, params, n_params, x, y, nb, acts, deltas, deltas_t, 0, 1)
        else:
            for part in prange(parts, num_threads=parts, schedule="static"):
                sample_share(sizes, params, n_params, x, y, nb, acts, deltas, deltas_t,
                             part, parts)
        # Ctrl-C is looked for here, before this step changes any weight,
        # and before the next step, each time enough work has passed.
        work_since_check += step_work // 2
        if work_since_check >= signal_check_work:
            work_since_check = 0
            look_for_ctrl_c(it, False)
        if parts == 1:
            weight_share(sizes, target, accumulate, alpha, x, nb, acts, deltas_t, 0, 1)
        else:
            for part in prange(parts, num_threads=parts, schedule="static"):
                weight_share(sizes, target, accumulate, alpha, x, nb, acts, deltas_t,
                             part, parts)
        work_since_check += step_work - step_work // 2
        if work_since_check >= signal_check_work and it + 1 < iterations:
            work_since_check = 0
            look_for_ctrl_c(it, True)
    return 0


def sgd_steps(const intp[::1] sizes, floating[::1] params,
              const floating[:, ::1] X, const floating[:, ::1] Y, const intp[::1] rows,
              double learning_step, intp iterations, floating[::1] work, int n_threads=1):
    """Run ``iterations`` gradient steps on the batch X[rows], Y[rows].

    Each step moves the parameters (in place) by -learning_step times the mean
    of the per-sample gradients of the cost 1/2 ||a_L - y||^2.  Ctrl-C is
    looked for between steps and between a step's forward pass and its
    update: KeyboardInterrupt is then raised with the parameters of the last
    complete step in place.
    """
    cdef floating alpha = -(<floating>(learning_step / rows.shape[0]))
    n_threads = check_threads(n_threads)
    check_batch(sizes, params.shape[0], X.shape[0], X.shape[1], Y.shape[0], Y.shape[1],
                rows, work.shape[0])
    if iterations < 0:
        raise ValueError(f"iterations must be at least 0; got {iterations}")
    with nogil:
        batch_steps(sizes, &params[0], params.shape[0], X, Y, rows, &work[0], &params[0],
                    True, alpha, iterations, n_threads)


def gradient(const intp[::1] sizes, const floating[::1] params,
             const floating[:, ::1] X, const floating[:, ::1] Y, const intp[::1] rows,
             floating[::1] grad, floating[::1] work, int n_threads=1):
    """Write into grad (laid out like params) the mean over the batch X[rows],
    Y[rows] of the per-sample gradients of the cost 1/2 ||a_L - y||^2: the
    gradient that one step of `sgd_steps` subtracts, times learning_step."""
    cdef floating alpha = 1.0 / rows.shape[0]
    n_threads = check_threads(n_threads)
    check_batch(sizes, params.shape[0], X.shape[0], X.shape[1], Y.shape[0], Y.shape[1],
                rows, work.shape[0])
    if grad.shape[0] != params.shape[0]:
        raise ValueError(f"grad must hold {params.shape[0]} values; got {grad.shape[0]}")
    with nogil:
        # The forward pass only reads the parameters: they are not written here.
        batch_steps(sizes, <floating*>&params[0], params.shape[0], X, Y, rows, &work[0],
                    &grad[0], False, alpha, 1, n_threads)

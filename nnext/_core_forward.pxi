# The drivers of forward passes and losses: feedforward, loss_sum,
# forward_layers, first_nonfinite_row.
# Included by _core.pyx: it shares the module's names.

cdef floating* pack_layers(Net net, const floating* params, floating* packed) noexcept nogil:
    """Every layer's weights and biases packed for `gemm_packed`, one layer
    after the other, from the first cache line at or after packed."""
    cdef intp l, n_in, n_out
    cdef floating* start = aligned(packed)
    packed = start
    for l in range(1, net.n_layers):
        n_in = net.sizes[l - 1]
        n_out = net.sizes[l]
        pack_nt(n_out, n_in, params, params + n_out * n_in, packed)
        packed += packed_size(n_out, n_in)
        params += n_out * (n_in + 1)
    return start


cdef void forward_blocks(Net net, int loss, const floating* params, const floating[:, ::1] X,
                         floating* work, intp block_work, int n_threads, floating* out,
                         intp* first_nonfinite, const floating[:, ::1] Y,
                         double* block_losses) noexcept nogil:
    """Push the rows of X through the network block by block, the blocks shared
    between threads (as many as `threads_for` gives each at least THREAD_MIN_WORK
    multiply-adds: a thread woken for less costs more than it saves, and on a
    busy machine far more).  Per block, if asked: copy the outputs to out, note the
    first row of X that is not finite in first_nonfinite (or -1), and put the
    sum of the losses against Y in block_losses."""
    cdef intp n_samples = X.shape[0]
    cdef intp n_in = net.sizes[0]
    cdef intp n_out = net.sizes[net.n_layers - 1]
    cdef intp n_blocks = (n_samples + FORWARD_BLOCK - 1) // FORWARD_BLOCK
    cdef intp last_layer = activation_count(net) - n_out
    cdef intp block, start, block_rows
    cdef intp block_inputs = min(<intp>FORWARD_BLOCK, n_samples) * n_in
    cdef floating* acts
    cdef floating* a
    cdef const floating* inputs
    cdef int parts = threads_for(n_samples * parameter_count(net), n_blocks, n_threads)
    cdef const floating* packed = NULL
    if n_samples >= PACK_MIN_ROWS:
        packed = pack_layers(net, params, work + parts * block_work)
    for block in prange(n_blocks, num_threads=parts, schedule="static"):
        start = block * FORWARD_BLOCK
        block_rows = min(<intp>FORWARD_BLOCK, n_samples - start)
        acts = work + threadid() * block_work
        inputs = &X[start, 0]
        if packed == NULL and <size_t>inputs % ALIGNMENT:
            # The kernels load 64 bytes at a time: rows that start off a cache
            # line are copied onto one first (the copy costs less than the
            # split loads would).
            memcpy(acts + block_work - block_inputs, inputs, block_rows * n_in * sizeof(floating))
            inputs = acts + block_work - block_inputs
        forward_rows(net, params, packed, inputs, 0, block_rows, block_rows, acts,
                     &first_nonfinite[block] if first_nonfinite != NULL else NULL)
        if first_nonfinite != NULL and first_nonfinite[block] >= 0:
            first_nonfinite[block] += start
        a = acts + block_rows * last_layer
        if out != NULL:
            memcpy(out + start * n_out, a, block_rows * n_out * sizeof(floating))
        if block_losses != NULL:
            block_losses[block] = rows_loss(loss, net.kinds[net.n_layers - 2], a,
                                            &Y[start, 0], block_rows * n_out)


cdef check_forward(Net net, intp n_params, intp n_rows, intp n_inputs, intp n_out_rows,
                   intp n_outputs, intp work_size, int n_threads):
    """The checks of the forward-pass drivers: parameters, shapes and workspace."""
    check_params(net, n_params)
    check_samples(net, n_rows, n_inputs, n_out_rows, n_outputs)
    check_workspace(work_size, forward_workspace_size(<intp[:net.n_layers]>net.sizes, n_rows,
                                                      n_threads))


def feedforward(const intp[::1] sizes, const int[::1] kinds, const floating[::1] params,
                const floating[:, ::1] X, floating[:, ::1] out, floating[::1] work,
                int n_threads=1):
    """Write the network's outputs for the rows of X into out.

    Returns the index of the first row of X holding NaN or infinity (whose
    outputs are then meaningless), or -1 when every row is finite.
    """
    cdef Net net = as_net(sizes, kinds)
    cdef intp n_samples = X.shape[0]
    cdef intp block, first = -1
    n_threads = check_threads(n_threads)
    check_forward(net, params.shape[0], X.shape[0], X.shape[1], out.shape[0], out.shape[1],
                  work.shape[0], n_threads)
    if n_samples == 0:
        return -1
    cdef intp n_blocks = (n_samples + FORWARD_BLOCK - 1) // FORWARD_BLOCK
    cdef intp block_work = min(n_samples, FORWARD_BLOCK) * (activation_count(net) + net.sizes[0])
    cdef intp* first_nonfinite = <intp*>malloc(n_blocks * sizeof(intp))
    if first_nonfinite == NULL:
        raise MemoryError()
    try:
        with nogil:
            forward_blocks(net, SQUARED_ERROR, &params[0], X, &work[0], block_work, n_threads,
                           &out[0, 0], first_nonfinite, X, NULL)
        for block in range(n_blocks):
            if first_nonfinite[block] >= 0:
                first = first_nonfinite[block]
                break
    finally:
        free(first_nonfinite)
    return first


def loss_sum(const intp[::1] sizes, const int[::1] kinds, int loss,
             const floating[::1] params, const floating[:, ::1] X, const floating[:, ::1] Y,
             floating[::1] work, int n_threads=1):
    """The sum over the rows of X of the loss of the network's output against Y:
    ||a - y||^2 for the squared error (the original's cost), see `rows_loss`
    for the cross-entropy."""
    cdef Net net = as_net(sizes, kinds)
    cdef intp n_samples = X.shape[0]
    cdef intp block
    cdef double total = 0
    n_threads = check_threads(n_threads)
    check_loss(net, loss)
    check_forward(net, params.shape[0], X.shape[0], X.shape[1], Y.shape[0], Y.shape[1],
                  work.shape[0], n_threads)
    if n_samples == 0:
        return 0.0
    cdef intp n_blocks = (n_samples + FORWARD_BLOCK - 1) // FORWARD_BLOCK
    cdef intp block_work = min(n_samples, FORWARD_BLOCK) * (activation_count(net) + net.sizes[0])
    cdef double* block_losses = <double*>malloc(n_blocks * sizeof(double))
    if block_losses == NULL:
        raise MemoryError()
    try:
        with nogil:
            forward_blocks(net, loss, &params[0], X, &work[0], block_work, n_threads,
                           NULL, NULL, Y, block_losses)
        # Summed in block order, so the loss does not depend on the thread count.
        for block in range(n_blocks):
            total += block_losses[block]
    finally:
        free(block_losses)
    return total


def first_nonfinite_row(const floating[:, ::1] X):
    """The index of the first row of X holding NaN or infinity, or -1."""
    cdef intp i, found = -1
    if X.shape[0] == 0 or X.shape[1] == 0:
        return -1
    with nogil:
        if not all_finite(&X[0, 0], X.shape[0] * X.shape[1]):
            for i in range(X.shape[0]):
                if not all_finite(&X[i, 0], X.shape[1]):
                    found = i
                    break
    return found


def forward_layers(const intp[::1] sizes, const int[::1] kinds, const floating[::1] params,
                   const floating[::1] x, floating[::1] acts):
    """Write the activations of layers 1..L for the one sample x into acts, one
    layer after the other."""
    cdef Net net = as_net(sizes, kinds)
    check_params(net, params.shape[0])
    check_samples(net, 1, x.shape[0], 1, net.sizes[net.n_layers - 1])
    check_workspace(acts.shape[0], activation_count(net), "acts")
    with nogil:
        forward_rows(net, &params[0], NULL, &x[0], 0, 1, 1, &acts[0])

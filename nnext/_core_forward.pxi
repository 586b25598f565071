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


cdef intp prediction_block_rows(Net net, intp n_samples, int n_threads) noexcept nogil:
    """Rows per block of a prediction (see `forward_blocks`), so that two
    threads get as much work: FORWARD_BLOCK, but where that makes 2 to 8
    blocks, an even number of blocks as nearly equal as whole groups of 4
    rows allow (256 rows: 4 blocks of 64, not 3 of 72 and one of 40); and a
    block's worth of rows, enough for several threads, whose first layer is
    too narrow to share by neurons (see `forward_by_neurons`), in a block a
    thread.  A row's outputs do not depend on its block, so neither do
    predictions."""
    cdef intp n_blocks = (n_samples + FORWARD_BLOCK - 1) // FORWARD_BLOCK
    cdef int parts = threads_for(n_samples * parameter_count(net), n_threads, n_threads)
    if n_blocks == 1 and parts > 1 and net.sizes[1] < 2 * NEURONS_PER_THREAD:
        n_blocks = parts
    elif n_blocks < 2 or n_blocks > 8:
        return FORWARD_BLOCK
    n_blocks += n_blocks % 2
    return min(<intp>FORWARD_BLOCK, ((n_samples + n_blocks - 1) // n_blocks + 3) // 4 * 4)


cdef void forward_blocks(Net net, int loss, const floating* params, const floating[:, ::1] X,
                         intp block_rows, floating* work, intp block_work, int n_threads,
                         floating* out, intp* first_nonfinite, const floating[:, ::1] Y,
                         double* block_losses) noexcept nogil:
    """Push the rows of X through the network in blocks of block_rows (at most
    FORWARD_BLOCK; the last one smaller), the blocks shared
    between threads (as many as `threads_for` gives each at least THREAD_MIN_WORK
    multiply-adds: a thread woken for less costs more than it saves, and on a
    busy machine far more); rows that fill only one block share each layer's
    neurons instead (see `forward_by_neurons`).  Per block, if asked: copy the
    outputs to out, note the first row of X that is not finite in
    first_nonfinite (or -1), and put the sum of the losses against Y in
    block_losses."""
    cdef intp n_samples = X.shape[0]
    cdef intp n_blocks = (n_samples + block_rows - 1) // block_rows
    cdef intp block
    cdef intp work_done = n_samples * parameter_count(net)
    cdef int parts = threads_for(work_done, n_blocks, n_threads)
    cdef const floating* packed = NULL
    if n_blocks == 1 and threads_for(work_done, n_threads, n_threads) > 1:
        forward_block(net, loss, params, NULL, X, 0, block_rows, work, block_work, out,
                      first_nonfinite, Y, block_losses, threads_for(work_done, n_threads,
                                                                    n_threads))
        return
    if n_samples >= PACK_MIN_ROWS:
        packed = pack_layers(net, params, work + parts * block_work)
    for block in prange(n_blocks, num_threads=parts, schedule="static"):
        forward_block(net, loss, params, packed, X, block, block_rows,
                      work + threadid() * block_work, block_work, out, first_nonfinite, Y,
                      block_losses, 1)


cdef void forward_block(Net net, int loss, const floating* params, const floating* packed,
                        const floating[:, ::1] X, intp block, intp rows_per_block,
                        floating* acts, intp block_work, floating* out, intp* first_nonfinite,
                        const floating[:, ::1] Y, double* block_losses,
                        int parts) noexcept nogil:
    """`forward_blocks` for one block of rows, in acts (block_work values),
    its layers' neurons shared between ``parts`` threads."""
    cdef intp n_in = net.sizes[0], n_out = net.sizes[net.n_layers - 1]
    cdef intp start = block * rows_per_block
    cdef intp block_rows = min(rows_per_block, X.shape[0] - start)
    cdef const floating* inputs = &X[start, 0]
    cdef const floating* a
    cdef intp* nonfinite = &first_nonfinite[block] if first_nonfinite != NULL else NULL
    if packed == NULL and <size_t>inputs % ALIGNMENT:
        # The kernels load 64 bytes at a time: rows that start off a cache
        # line are copied onto one first (the copy costs less than the
        # split loads would).
        memcpy(acts + block_work - block_rows * n_in, inputs,
               block_rows * n_in * sizeof(floating))
        inputs = acts + block_work - block_rows * n_in
    if parts > 1:
        forward_by_neurons(net, params, inputs, block_rows, acts, nonfinite, parts)
    else:
        forward_rows(net, params, packed, inputs, 0, block_rows, block_rows, acts, nonfinite)
    if nonfinite != NULL and nonfinite[0] >= 0:
        nonfinite[0] += start
    a = acts + block_rows * (activation_count(net) - n_out)
    if out != NULL:
        memcpy(out + start * n_out, a, block_rows * n_out * sizeof(floating))
    if block_losses != NULL:
        block_losses[block] = rows_loss(loss, net.kinds[net.n_layers - 2], a, &Y[start, 0],
                                        block_rows * n_out)


cdef void forward_by_neurons(Net net, const floating* params, const floating* x, intp rows,
                             floating* acts, intp* first_nonfinite, int parts) noexcept nogil:
    """`forward_rows` for all ``rows`` samples of x with each layer's neurons
    shared between up to ``parts`` threads, a parallel region a layer: for a
    few rows, which sharing by samples would leave to one thread.  A layer is
    shared only as far as each thread gets THREAD_MIN_WORK multiply-adds and
    NEURONS_PER_THREAD neurons (fewer make the kernels' tiles narrow).  Each output is
    the same sum as there, and each activation the same function of it, so
    the same bits."""
    cdef intp l, r, n_in, n_out, lo, hi
    cdef int part, kind, layer_parts
    cdef const floating* inputs = x
    cdef const floating* w = params
    for l in range(1, net.n_layers):
        n_in = net.sizes[l - 1]
        n_out = net.sizes[l]
        kind = net.kinds[l - 1]
        layer_parts = threads_for(rows * n_in * n_out, n_out // NEURONS_PER_THREAD, parts)
        for part in prange(layer_parts, num_threads=layer_parts, schedule="static"):
            lo = part_start(n_out, part, layer_parts)
            hi = part_start(n_out, part + 1, layer_parts)
            gemm_nt(rows, hi - lo, n_in, inputs, n_in, w + lo * n_in, n_in,
                    w + n_out * n_in + lo, acts + lo, n_out)
            if not output_only(kind):
                for r in range(rows):
                    activate(kind, acts + r * n_out + lo, 1, hi - lo)
        if l == 1 and first_nonfinite != NULL:
            first_nonfinite[0] = first_nonfinite_input(x, acts, 0, rows, n_in, n_out)
        if output_only(kind):
            activate(kind, acts, rows, n_out)
        inputs = acts
        acts += rows * n_out
        w += n_out * (n_in + 1)


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
    cdef intp block_rows = prediction_block_rows(net, n_samples, n_threads)
    cdef intp n_blocks = (n_samples + block_rows - 1) // block_rows
    cdef intp block_work = min(n_samples, FORWARD_BLOCK) * (activation_count(net) + net.sizes[0])
    cdef intp* first_nonfinite = <intp*>malloc(n_blocks * sizeof(intp))
    if first_nonfinite == NULL:
        raise MemoryError()
    try:
        with nogil:
            forward_blocks(net, SQUARED_ERROR, &params[0], X, block_rows, &work[0], block_work,
                           n_threads, &out[0, 0], first_nonfinite, X, NULL)
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
            forward_blocks(net, loss, &params[0], X, FORWARD_BLOCK, &work[0], block_work,
                           n_threads, NULL, NULL, Y, block_losses)
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

# The drivers of gradients and epochs with an optimizer: gradient and
# train_epoch.
# Included by _core.pyx: it shares the module's names.

def gradient(const intp[::1] sizes, const int[::1] kinds, int loss,
             const floating[::1] params, const floating[:, ::1] X, const floating[:, ::1] Y,
             const intp[::1] rows, floating[::1] grad, floating[::1] work, int n_threads=1,
             const floating[::1] sample_weight=None):
    """Write into grad (laid out like params) the mean over the batch X[rows],
    Y[rows] of the per-sample gradients of the loss (1/2 ||a_L - y||^2 for the
    squared error), and return the sum of the per-sample losses (see `loss_sum`).

    With ``sample_weight`` (one value per row of X), the mean and the sum are
    weighted: sum_s w_s g_s / sum_s w_s and sum_s w_s loss_s (a batch whose
    weights sum to 0 has a gradient of 0).
    """
    cdef Net net = as_net(sizes, kinds)
    cdef Batch batch
    cdef double total
    cdef const floating* sample_weights = weights_or_null(sample_weight)
    n_threads = check_threads(n_threads)
    check_loss(net, loss)
    check_batch(net, params.shape[0], X.shape[0], X.shape[1], Y.shape[0], Y.shape[1],
                rows, rows.shape[0], work.shape[0])
    check_sample_weight(sample_weight, X.shape[0])
    if grad.shape[0] != params.shape[0]:
        raise ValueError(f"grad must hold {params.shape[0]} values; got {grad.shape[0]}")
    with nogil:
        batch = gather(net, X, Y, sample_weights, &rows[0], rows.shape[0], &work[0],
                       params.shape[0], n_threads)
        samples_phase(net, loss, &params[0], params.shape[0], &batch, &work[0], True)
        look_for_ctrl_c(0, False)
        weights_phase(net, &batch, &work[0], &grad[0], False, <floating>mean_factor(&batch))
        total = batch_loss(&batch, &work[0])
    return total


cdef check_learning_rates(const double[::1] learning_rates, intp n_batches):
    cdef intp b
    if learning_rates.shape[0] < n_batches:
        raise ValueError(f"learning_rates must hold a rate per batch ({n_batches}); "
                         f"got {learning_rates.shape[0]}")
    for b in range(n_batches):
        if not (0 < learning_rates[b] < INFINITY):
            raise ValueError(f"learning_rates must be finite and positive; "
                             f"learning_rates[{b}] is {learning_rates[b]}")


cdef check_sample_weight(const floating[::1] sample_weight, intp n_rows):
    if sample_weight is not None and sample_weight.shape[0] != n_rows:
        raise ValueError(f"sample_weight must hold a weight per row of X ({n_rows}); "
                         f"got {sample_weight.shape[0]}")


cdef inline const floating* weights_or_null(const floating[::1] sample_weight) noexcept:
    if sample_weight is None or sample_weight.shape[0] == 0:
        return NULL
    return &sample_weight[0]


cdef inline double mean_factor(Batch* batch) noexcept nogil:
    """1 / the batch's total weight: what turns its sum of gradients into their mean."""
    return 1 / batch.weight_sum if batch.weight_sum > 0 else 0


cdef double chunk_squares(Net net, const floating* params, intp lo,
                          intp hi) noexcept nogil:
    """The sum of the squares of the weights (not the biases) among params[lo:hi]."""
    cdef intp l, start = 0, end, piece_lo, piece_hi
    cdef double total = 0
    for l in range(1, net.n_layers):
        end = start + net.sizes[l] * net.sizes[l - 1]
        piece_lo = max(lo, start)
        piece_hi = min(hi, end)
        if piece_lo < piece_hi:
            total += sum_squares(params + piece_lo, piece_hi - piece_lo)
        start = end + net.sizes[l]
    return total


cdef double squared_weights(Net net, const floating* params, intp n_params, double* sums,
                            int n_threads) noexcept nogil:
    """The sum of the squares of the weights (not the biases): the sums of
    pieces of SQUARES_CHUNK parameters, shared between threads, then added in
    order, so the total does not depend on the thread count.  sums holds a
    value per piece."""
    cdef intp c, n_chunks = (n_params + SQUARES_CHUNK - 1) // SQUARES_CHUNK
    cdef int parts = <int>max(1, min(<intp>n_threads, n_chunks // 4))
    cdef double total = 0
    if parts == 1:
        for c in range(n_chunks):
            sums[c] = chunk_squares(net, params, c * SQUARES_CHUNK,
                                    min(n_params, (c + 1) * SQUARES_CHUNK))
    else:
        for c in prange(n_chunks, num_threads=parts, schedule="static"):
            sums[c] = chunk_squares(net, params, c * SQUARES_CHUNK,
                                    min(n_params, (c + 1) * SQUARES_CHUNK))
    for c in range(n_chunks):
        total += sums[c]
    return total


cdef Optimizer as_optimizer(dict settings) except *:
    """The optimizer of a settings dict (see `train_epoch`), checked."""
    cdef Optimizer opt
    name = settings.get("name")
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer name must be one of {', '.join(OPTIMIZERS)}; got {name!r}")
    unknown = set(settings) - {"name", "learning_rate", "l2", "l2_over_weight", "momentum",
                               "nesterov", "beta1", "beta2", "epsilon", "epsilon_hat", "rho"}
    if unknown:
        raise ValueError(f"unknown optimizer settings: {', '.join(sorted(unknown))}")
    opt.kind = OPTIMIZERS[name]
    opt.learning_rate = settings.get("learning_rate", 0.0)
    opt.l2 = settings.get("l2", 0.0)
    opt.l2_over_weight = settings.get("l2_over_weight", False)
    opt.momentum = settings.get("momentum", 0.0)
    opt.nesterov = settings.get("nesterov", False)
    opt.beta1 = settings.get("beta1", 0.0)
    opt.beta2 = settings.get("beta2", 0.0)
    opt.epsilon = settings.get("epsilon", 0.0)
    opt.epsilon_hat = settings.get("epsilon_hat", False)
    opt.rho = settings.get("rho", 0.0)
    opt.step = 0
    return opt


def train_epoch(const intp[::1] sizes, const int[::1] kinds, int loss,
                floating[::1] params, const floating[:, ::1] X, const floating[:, ::1] Y,
                const intp[::1] rows, const floating[::1] sample_weight, intp batch_size,
                dict optimizer, intp steps_before, floating[::1] state, floating[::1] grad,
                floating[::1] work, double[:, ::1] batch_stats, intp[::1] completed,
                int n_threads=1, const double[::1] learning_rates=None):
    """Walk X[rows], Y[rows] in batches of ``batch_size`` (the last one smaller),
    taking one optimizer step per batch.

    The step: the (weighted, with ``sample_weight``; else None) mean gradient
    of the loss over the batch (see `gradient`), plus ``l2`` times the weights
    (``l2`` divided by the batch's total weight when ``l2_over_weight``, as
    scikit-learn's alpha), and the update of `update_range`.  ``optimizer`` is
    a dict of settings: "name" (a key of OPTIMIZERS), "learning_rate", "l2",
    "l2_over_weight", "momentum", "nesterov", "beta1", "beta2", "epsilon",
    "epsilon_hat", "rho" (missing ones are 0 or False).  Its state (see
    `state_vectors`) is in ``state``; ``steps_before`` counts the steps
    taken before this call.

    With ``learning_rates`` (a rate per batch, each finite and positive),
    batch b's step takes ``learning_rates[b]`` instead of the optimizer's
    learning rate (a schedule; see `nnext.schedules`).

    ``batch_stats[b]`` gets, for batch b at the parameters its step started
    from: the (weighted) sum of its losses, its total weight, and the sum of
    the squared weights (0 without weight decay).  ``completed[0]`` gets the
    number of complete steps.  The call stops early, after a step that leaves
    a parameter infinite or NaN (that step is not counted in ``completed``),
    and on Ctrl-C (KeyboardInterrupt, with the parameters of the last
    complete step).
    """
    cdef Net net = as_net(sizes, kinds)
    cdef Batch batch
    cdef Optimizer opt = as_optimizer(optimizer)
    cdef double l2 = opt.l2
    cdef intp n_params = params.shape[0]
    cdef intp n_rows = rows.shape[0]
    cdef intp b, start, since_check = 0
    cdef intp n_batches = (n_rows + batch_size - 1) // batch_size if batch_size > 0 else 0
    cdef const floating* sample_weights = weights_or_null(sample_weight)
    cdef double* square_sums
    n_threads = check_threads(n_threads)
    check_loss(net, loss)
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1; got {batch_size}")
    check_batch(net, n_params, X.shape[0], X.shape[1], Y.shape[0], Y.shape[1], rows,
                min(batch_size, n_rows), work.shape[0])
    check_sample_weight(sample_weight, X.shape[0])
    need_state = state_vectors(opt.kind) * n_params
    if state.shape[0] < need_state:
        raise ValueError(f"state must hold at least {need_state} values; got {state.shape[0]}")
    if grad.shape[0] != n_params:
        raise ValueError(f"grad must hold {n_params} values; got {grad.shape[0]}")
    if batch_stats.shape[0] < n_batches or batch_stats.shape[1] != 3 or completed.shape[0] < 1:
        raise ValueError(f"batch_stats must have shape ({n_batches}, 3) and completed 1 value")
    if learning_rates is not None:
        check_learning_rates(learning_rates, n_batches)
    completed[0] = 0
    square_sums = <double*>malloc((n_params // SQUARES_CHUNK + 1) * sizeof(double))
    if square_sums == NULL:
        raise MemoryError()
    try:
        with nogil:
            for b in range(n_batches):
                start = b * batch_size
                batch = gather(net, X, Y, sample_weights, &rows[start],
                               min(batch_size, n_rows - start),
                               &work[0], n_params, n_threads, True)
                if batch.layer1_blocks != NO_BUFFER:
                    first_layer_phase(net, &params[0], &batch, &work[0])
                samples_phase(net, loss, &params[0], n_params, &batch, &work[0], True)
                batch_stats[b, 0] = batch_loss(&batch, &work[0])
                batch_stats[b, 1] = batch.weight_sum
                batch_stats[b, 2] = (squared_weights(net, &params[0], n_params, square_sums,
                                                     n_threads) if l2 != 0 else 0)
                opt.step = steps_before + b + 1
                if learning_rates is not None:
                    opt.learning_rate = learning_rates[b]
                opt.l2 = l2
                if opt.l2_over_weight:
                    opt.l2 = l2 / batch.weight_sum if batch.weight_sum > 0 else 0
                if not step_phase(net, &batch, &work[0], &opt, &params[0], &grad[0],
                                  &state[0] if state.shape[0] else NULL, n_params):
                    break
                completed[0] = b + 1
                since_check += batch.step_work
                if since_check >= signal_check_work:
                    since_check = 0
                    look_for_ctrl_c(b, True)
    finally:
        free(square_sums)

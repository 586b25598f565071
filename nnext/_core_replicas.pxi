# The original's SGD steps (sgd_steps), with the layers after the first
# replicated in every thread where they are small.
# Included by _core.pyx: it shares the module's names.

ctypedef struct Replicas:
    # Every thread's copy of layers 2..L, one after the other in a space of
    # the parameters' type, each `size` values; where a copy's buffers start
    # in it, as offsets in values:
    intp size
    intp later_params   # its parameters of layers 2..L
    intp acts, deltas   # its activations and deltas of every sample of the
                        # batch, laid out like the Batch's
    intp layer1_next    # after the copies: layer 1's blocks for the next
                        # step (see `sgd_loop`)
    intp space_size     # values of the whole space


cdef bint replicates_later_layers(Net net, int parts) noexcept nogil:
    """Whether the threads of an SGD step each compute layers 2..L for the
    whole batch (see `replica_share`): where those layers are small beside
    the first, repeating their few products costs each thread less than the
    second parallel region and the deltas and weights that would cross
    between cores without it (measured on [784, 100, 10]: 9 us of a 74 us
    step)."""
    return (parts > 1 and net.n_layers > 2
            and 12 * later_layer_params(net) * parts <= first_layer_params(net))


cdef inline intp whole_lines(intp n, intp per_line) noexcept nogil:
    """n values rounded up to a whole number of lines of per_line values."""
    return (n + per_line - 1) // per_line * per_line


cdef Replicas replicas_layout(Net net, intp n_samples, int parts,
                              size_t value_size) noexcept nogil:
    """Where the copies of ``parts`` threads go in their space, of values of
    value_size bytes (which must start on an ALIGNMENT-byte boundary, like
    every buffer in it)."""
    cdef Replicas replicas
    cdef intp per_line = ALIGNMENT // value_size
    cdef intp per_copy = whole_lines(n_samples * activation_count(net), per_line)
    replicas.later_params = 0
    replicas.acts = whole_lines(later_layer_params(net), per_line)
    replicas.deltas = replicas.acts + per_copy
    replicas.size = replicas.deltas + per_copy
    replicas.layer1_next = parts * replicas.size
    replicas.space_size = replicas.layer1_next + n_samples * net.sizes[1]
    return replicas


cdef void replica_share(Net net, Batch* batch, const floating* work, Replicas* replicas,
                        floating* copy, floating* params, intp n_params, floating alpha,
                        const floating* layer1_blocks, floating* layer1_next, int part,
                        int parts) noexcept nogil:
    """One thread's part of an SGD step in which every thread keeps its own
    copy of layers 2..L (in copy, laid out by replicas): from layer 1's
    activations (every part's block in layer1_blocks, see
    `first_layer_share`), the forward pass and deltas of every sample and
    the step of every weight of its copy of layers 2..L; then the step of
    its share of layer 1's rows (from its columns of layer 1's deltas, the
    only ones it computes) and, unless layer1_next is NULL, those neurons'
    activations for the next step, into its block of layer1_next (not
    layer1_blocks: other threads may still be reading it).  Every copy takes
    the same operations, so all stay equal, and equal to what the shared
    step (`samples_phase`, `weights_phase`) computes."""
    cdef intp l, n_in, n_out, n_samples = batch.n_samples
    cdef const floating* x = work + batch.x
    cdef floating* acts = copy + replicas.acts
    cdef floating* deltas = copy + replicas.deltas
    cdef floating* layer_params = copy + replicas.later_params
    gather_layer1(net, layer1_blocks, n_samples, 0, n_samples, parts, acts)
    forward_rows(net, params, NULL, x, 0, n_samples, n_samples, acts, NULL, 2, layer_params)
    delta_rows(net, SQUARED_ERROR, params, n_params, work + batch.y, NULL, 0, n_samples,
               n_samples, acts, deltas, layer_params, 2)
    # (The block of layer 1's deltas goes in the space of layer 1's deltas,
    # which no one else reads.)
    first_layer_step(net, params, True, alpha, x, n_samples, layer1_blocks,
                     deltas + n_samples * net.sizes[1], layer_params, deltas, part, parts)
    for l in range(2, net.n_layers):
        n_in = net.sizes[l - 1]
        n_out = net.sizes[l]
        layer_gradient(layer_params, True, alpha, acts, n_in, deltas + n_samples * n_in,
                       n_samples, n_in, n_out,
                       layer_share(net, l, False, panel_width(sizeof(floating)), 0, 1))
        layer_params += n_out * (n_in + 1)
        acts += n_samples * n_in
        deltas += n_samples * n_in
    if layer1_next != NULL:
        first_layer_share(net, params, x, n_samples, layer1_next, part, parts)


cdef void replica_phase(Net net, Batch* batch, const floating* work, Replicas* replicas,
                        floating* space, floating* params, intp n_params, floating alpha,
                        const floating* layer1_blocks, floating* layer1_next) noexcept nogil:
    cdef int part
    for part in prange(batch.parts, num_threads=batch.parts, schedule="static"):
        replica_share(net, batch, work, replicas, space + part * replicas.size, params,
                      n_params, alpha, layer1_blocks, layer1_next, part, batch.parts)


cdef int sgd_loop(Net net, floating* params, intp n_params, Batch* batch, floating* work,
                  floating alpha, intp iterations, Replicas* replicas=NULL,
                  floating* space=NULL, floating* saved=NULL) except -1 nogil:
    """``iterations`` steps of the original's SGD on the batch gathered in work,
    each fused into the parameters (w += alpha * delta^T a_prev), or with
    replicas (not NULL) into the copies of layers 2..L in space, of which
    the first is the result; layer 1's activations then go by blocks (see
    `first_layer_share`) into the batch's layer1_blocks and the space's
    layer1_next by turns.  Unless saved is NULL, the parameters are first
    copied there.  Ctrl-C raises KeyboardInterrupt with the parameters of
    the last complete step."""
    cdef intp it, since_check = 0
    cdef floating* layer1_blocks = in_work(work, batch.layer1_blocks)
    cdef floating* layer1_next = space + replicas.layer1_next if replicas != NULL else NULL
    if layer1_blocks != NULL and iterations > 0:
        first_layer_phase(net, params, batch, work, saved)
    elif saved != NULL:
        save_share(net, params, saved, 0, 1)
    for it in range(iterations):
        if replicas == NULL:
            samples_phase(net, SQUARED_ERROR, params, n_params, batch, work, False)
        # Ctrl-C is looked for here, before this step changes any weight,
        # and before the next step, each time enough work has passed.
        since_check += batch.step_work // 2
        if since_check >= signal_check_work:
            since_check = 0
            look_for_ctrl_c(it, False)
        if replicas == NULL:
            weights_phase(net, batch, work, params, True, alpha,
                          layer1_blocks != NULL and it + 1 < iterations)
        else:
            replica_phase(net, batch, work, replicas, space, params, n_params, alpha,
                          layer1_blocks, layer1_next if it + 1 < iterations else NULL)
            layer1_blocks, layer1_next = layer1_next, layer1_blocks
        since_check += batch.step_work - batch.step_work // 2
        if since_check >= signal_check_work and it + 1 < iterations:
            since_check = 0
            look_for_ctrl_c(it, True)
    return 0


def sgd_steps(const intp[::1] sizes, const int[::1] kinds, floating[::1] params,
              const floating[:, ::1] X, const floating[:, ::1] Y, const intp[::1] rows,
              double learning_step, intp iterations, floating[::1] work, int n_threads=1,
              floating[::1] saved=None):
    """Run ``iterations`` steps of the original's SGD on the batch X[rows], Y[rows].

    Each step moves the parameters (in place) by -learning_step times the mean
    of the per-sample gradients of the cost 1/2 ||a_L - y||^2.  Ctrl-C is
    looked for between steps and between a step's forward pass and its
    update: KeyboardInterrupt is then raised with the parameters of the last
    complete step in place.  Unless saved is None, the parameters before the
    first step are copied there.  Returns whether every parameter is finite
    after the steps.  (The threads copy and check the rows of layer 1 they
    update, which are in their cores' caches.)
    """
    cdef Net net = as_net(sizes, kinds)
    cdef Batch batch
    cdef floating alpha = -(<floating>(learning_step / rows.shape[0]))
    cdef floating* saved_to = NULL
    cdef bint finite
    n_threads = check_threads(n_threads)
    check_loss(net, SQUARED_ERROR)
    check_batch(net, params.shape[0], X.shape[0], X.shape[1], Y.shape[0], Y.shape[1],
                rows, rows.shape[0], work.shape[0])
    if iterations < 0:
        raise ValueError(f"iterations must be at least 0; got {iterations}")
    if saved is not None:
        check_workspace(saved.shape[0], params.shape[0], "saved")
        saved_to = &saved[0]
    with nogil:
        batch = gather(net, X, Y, NULL, &rows[0], rows.shape[0], &work[0], params.shape[0],
                       n_threads, True)
    cdef Replicas replicas
    cdef floating* space_memory = NULL
    cdef floating* space = NULL
    cdef intp part, n_later = later_layer_params(net)
    cdef floating* later_params = &params[0] + first_layer_params(net)
    if (batch.layer1_blocks != NO_BUFFER
            and replicates_later_layers(net, batch.parts)):
        replicas = replicas_layout(net, batch.n_samples, batch.parts, sizeof(floating))
        space_memory = <floating*>malloc(replicas.space_size * sizeof(floating) + ALIGNMENT)
        if space_memory == NULL:
            raise MemoryError()
        space = aligned(space_memory)
        for part in range(batch.parts):
            memcpy(space + part * replicas.size + replicas.later_params, later_params,
                   n_later * sizeof(floating))
    try:
        with nogil:
            sgd_loop(net, &params[0], params.shape[0], &batch, &work[0], alpha, iterations,
                     &replicas if space != NULL else NULL, space, saved_to)
    finally:
        if space != NULL:
            memcpy(later_params, space + replicas.later_params, n_later * sizeof(floating))
            free(space_memory)
    with nogil:
        finite = params_finite(net, &params[0],
                               batch.parts if batch.layer1_blocks != NO_BUFFER else 1)
    return finite

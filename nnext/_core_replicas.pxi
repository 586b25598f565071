# The original's SGD steps (sgd_steps), with the layers after the first
# replicated in every thread where they are small.
# Included by _core.pyx: it shares the module's names.

ctypedef struct Replica:
    void* later     # the thread's copy of the parameters of layers 2..L
    void* acts      # its activations and deltas of every sample of the
    void* deltas    # batch, laid out like Batch.acts and Batch.deltas


cdef bint replicates_later_layers(Net net, int parts) noexcept nogil:
    """Whether the threads of an SGD step each compute layers 2..L for the
    whole batch (see `replica_share`): where those layers are small beside
    the first, repeating their few products costs each thread less than the
    second parallel region and the deltas and weights that would cross
    between cores without it (measured on [784, 100, 10]: 9 us of a 74 us
    step)."""
    return (parts > 1 and net.n_layers > 2
            and 12 * later_layer_params(net) * parts <= first_layer_params(net))


cdef inline intp replica_size(Net net, intp nb) noexcept nogil:
    """Values of one Replica, each of its buffers aligned."""
    return later_layer_params(net) + 2 * nb * activation_count(net) + 3 * ALIGNMENT


cdef Replica make_replica(Net net, const floating* params, intp nb,
                          floating* space) noexcept nogil:
    """A Replica laid out in space (replica_size values), holding the
    parameters of layers 2..L copied from params."""
    cdef Replica replica
    cdef intp n_later = later_layer_params(net)
    cdef floating* later = aligned(space)
    memcpy(later, params + first_layer_params(net), n_later * sizeof(floating))
    replica.later = later
    replica.acts = aligned(later + n_later)
    replica.deltas = aligned(<floating*>replica.acts + nb * activation_count(net))
    return replica


cdef void replica_share(Net net, Batch* batch, Replica* replica, floating* params,
                        intp n_params, floating alpha, floating* next_first, int part,
                        int parts) noexcept nogil:
    """One thread's part of an SGD step in which every thread keeps its own
    copy of layers 2..L: from layer 1's activations (every part's block in
    batch.first, see `first_layer_share`), the forward pass and deltas of
    every sample and the step of every weight of its copy of layers 2..L;
    then the step of its share of layer 1's rows (from its columns of layer
    1's deltas, the only ones it computes) and, unless next_first is NULL,
    those neurons' activations for the next step, into its block of
    next_first (not batch.first: other threads may still be reading it).
    Every copy takes the same operations, so all stay equal, and equal to
    what the shared step (`samples_phase`, `weights_phase`) computes."""
    cdef intp l, n_in, n_out, nb = batch.nb
    cdef const floating* x = <floating*>batch.x
    cdef floating* acts = <floating*>replica.acts
    cdef floating* deltas = <floating*>replica.deltas
    cdef floating* layer_params = <floating*>replica.later
    gather_first(net, <floating*>batch.first, nb, 0, nb, parts, acts)
    forward_rows(net, params, NULL, x, 0, nb, nb, acts, NULL, 2, layer_params)
    delta_rows(net, SQUARED_ERROR, params, n_params, <floating*>batch.y, NULL, 0, nb, nb,
               acts, deltas, layer_params, 2)
    # (The block of layer 1's deltas goes in the space of layer 1's deltas,
    # which no one else reads.)
    first_layer_step(net, params, True, alpha, x, nb, <floating*>batch.first,
                     deltas + nb * net.sizes[1], layer_params, deltas, part, parts)
    for l in range(2, net.n_layers):
        n_in = net.sizes[l - 1]
        n_out = net.sizes[l]
        layer_gradient(layer_params, True, alpha, acts, n_in, deltas + nb * n_in, nb, n_in, n_out,
                       layer_share(net, l, False, panel_width(params), 0, 1))
        layer_params += n_out * (n_in + 1)
        acts += nb * n_in
        deltas += nb * n_in
    if next_first != NULL:
        first_layer_share(net, params, x, nb, next_first, part, parts)


cdef void replica_phase(Net net, Batch* batch, Replica* replicas, floating* params,
                        intp n_params, floating alpha, floating* next_first) noexcept nogil:
    cdef int part
    for part in prange(batch.parts, num_threads=batch.parts, schedule="static"):
        replica_share(net, batch, &replicas[part], params, n_params, alpha, next_first,
                      part, batch.parts)


cdef int sgd_loop(Net net, floating* params, intp n_params, Batch* batch, floating alpha,
                  intp iterations, Replica* replicas=NULL, floating* next_first=NULL,
                  floating* saved=NULL) except -1 nogil:
    """``iterations`` steps of the original's SGD on the gathered batch, each fused
    into the parameters (w += alpha * delta^T a_prev), or with replicas (not
    NULL) into replicas[0].later for layers 2..L; layer 1's activations then
    go by blocks (see `first_layer_share`) into batch.first and next_first
    by turns.  Unless saved is NULL, the parameters are first copied there.
    Ctrl-C raises KeyboardInterrupt with the parameters of the last complete
    step."""
    cdef intp it, since_check = 0
    if batch.first != NULL and iterations > 0:
        first_layer_phase(net, params, batch, saved)
    elif saved != NULL:
        save_share(net, params, saved, 0, 1)
    for it in range(iterations):
        if replicas == NULL:
            samples_phase(net, SQUARED_ERROR, params, n_params, batch, False)
        # Ctrl-C is looked for here, before this step changes any weight,
        # and before the next step, each time enough work has passed.
        since_check += batch.step_work // 2
        if since_check >= signal_check_work:
            since_check = 0
            look_for_ctrl_c(it, False)
        if replicas == NULL:
            weights_phase(net, batch, params, True, alpha,
                          batch.first != NULL and it + 1 < iterations)
        else:
            replica_phase(net, batch, replicas, params, n_params, alpha,
                          next_first if it + 1 < iterations else NULL)
            next_first, batch.first = <floating*>batch.first, next_first
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
    cdef Replica* replicas = NULL
    cdef floating* space = NULL
    cdef floating* next_first = NULL
    cdef intp part, size = replica_size(net, batch.nb)
    if batch.first != NULL and replicates_later_layers(net, batch.parts):
        replicas = <Replica*>malloc(batch.parts * sizeof(Replica))
        space = <floating*>malloc((batch.parts * size + batch.nb * net.sizes[1] + ALIGNMENT)
                                  * sizeof(floating))
        if replicas == NULL or space == NULL:
            free(replicas)
            free(space)
            raise MemoryError()
        for part in range(batch.parts):
            replicas[part] = make_replica(net, &params[0], batch.nb, space + part * size)
        next_first = aligned(space + batch.parts * size)
    try:
        with nogil:
            sgd_loop(net, &params[0], params.shape[0], &batch, alpha, iterations, replicas,
                     next_first, saved_to)
    finally:
        if replicas != NULL:
            memcpy(&params[first_layer_params(net)], replicas[0].later,
                   later_layer_params(net) * sizeof(floating))
            free(replicas)
            free(space)
    with nogil:
        finite = params_finite(net, &params[0], batch.parts if batch.first != NULL else 1)
    return finite

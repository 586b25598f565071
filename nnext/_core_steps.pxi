# A training step: a batch gathered into the work buffer, its phases, and
# Ctrl-C.
# Included by _core.pyx: it shares the module's names.

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


# A batch gathered into the work buffer, and the buffers of its step.
ctypedef struct Batch:
    intp nb
    intp step_work          # multiply-adds of one step
    int parts               # threads that share a step
    void* x                 # the gathered inputs and targets
    void* y
    void* acts
    void* deltas
    void* losses
    void* sample_weights                # the samples' weights, or NULL when all weigh 1
    double weight_sum       # their sum (nb when all weigh 1)
    void* first             # layer 1's activations, by blocks of neurons (see
                            # first_layer_share), or NULL


cdef Batch gather(Net net, const floating[:, ::1] X, const floating[:, ::1] Y,
                  const floating* sample_weight, const intp* rows, intp nb, floating* work,
                  intp n_params, int n_threads, bint by_neurons=False) noexcept nogil:
    """Copy the batch X[rows], Y[rows] (and sample_weight[rows], unless NULL) to
    the start of work and lay out the rest.  With by_neurons, threads that
    share the steps compute layer 1 by neurons (see `first_layer_share`)."""
    cdef Batch batch
    cdef floating* sample_weights
    cdef intp i, n_in = net.sizes[0], n_out = net.sizes[net.n_layers - 1]
    cdef floating* x = aligned(work)
    cdef floating* y = aligned(x + nb * n_in)
    cdef floating* acts = aligned(y + nb * n_out)
    for i in range(nb):
        memcpy(x + i * n_in, &X[rows[i], 0], n_in * sizeof(floating))
        memcpy(y + i * n_out, &Y[rows[i], 0], n_out * sizeof(floating))
    batch.nb = nb
    batch.step_work = nb * n_params
    batch.parts = threads_for(batch.step_work, nb, n_threads)
    batch.x = x
    batch.y = y
    batch.acts = acts
    batch.deltas = aligned(acts + nb * activation_count(net))
    batch.losses = aligned(<floating*>batch.deltas + nb * activation_count(net))
    batch.sample_weights = NULL
    batch.weight_sum = nb
    sample_weights = aligned(<floating*>batch.losses + nb)
    if sample_weight != NULL:
        batch.sample_weights = sample_weights
        batch.weight_sum = 0
        for i in range(nb):
            sample_weights[i] = sample_weight[rows[i]]
            batch.weight_sum += sample_weights[i]
    batch.first = NULL
    if by_neurons and batch.parts > 1 and net.n_layers > 2:
        batch.first = aligned(sample_weights + nb)
    return batch


cdef inline floating* aligned(floating* p) noexcept nogil:
    """p, or the first address after it on an ALIGNMENT-byte boundary."""
    return p + (ALIGNMENT - <size_t>p % ALIGNMENT) % ALIGNMENT // sizeof(floating)


cdef void samples_phase(Net net, int loss, const floating* params, intp n_params,
                        Batch* batch, bint want_losses) noexcept nogil:
    """Forward pass and deltas of every sample of the batch, shared between threads."""
    cdef int part
    cdef floating* losses = <floating*>batch.losses if want_losses else NULL
    if batch.parts == 1:    # (a parallel region of one thread still costs its start)
        sample_share(net, loss, params, n_params, <floating*>batch.x, <floating*>batch.y,
                     <floating*>batch.sample_weights, batch.nb, NULL, <floating*>batch.acts,
                     <floating*>batch.deltas, losses, 0, 1)
        return
    for part in prange(batch.parts, num_threads=batch.parts, schedule="static"):
        sample_share(net, loss, params, n_params, <floating*>batch.x, <floating*>batch.y,
                     <floating*>batch.sample_weights, batch.nb, <floating*>batch.first,
                     <floating*>batch.acts, <floating*>batch.deltas,
                     losses, part, batch.parts)


cdef void first_layer_phase(Net net, const floating* params, Batch* batch,
                            floating* saved=NULL) noexcept nogil:
    """Layer 1's activations into batch.first, shared between threads by
    neurons (see `first_layer_share`); and unless saved is NULL, the
    parameters copied there (see `save_share`)."""
    cdef int part
    for part in prange(batch.parts, num_threads=batch.parts, schedule="static"):
        if saved != NULL:
            save_share(net, params, saved, part, batch.parts)
        first_layer_share(net, params, <floating*>batch.x, batch.nb, <floating*>batch.first,
                          part, batch.parts)


cdef bint params_finite(Net net, const floating* params, int parts) noexcept nogil:
    """Whether every parameter is finite, each of ``parts`` threads checking
    its share (see `save_share`)."""
    cdef int part
    cdef int not_finite = 0
    if parts == 1:
        return finite_share(net, params, 0, 1)
    for part in prange(parts, num_threads=parts, schedule="static"):
        not_finite += not finite_share(net, params, part, parts)
    return not_finite == 0


cdef void weights_phase(Net net, Batch* batch, floating* target, bint accumulate,
                        floating alpha, bint first_ahead=False) noexcept nogil:
    """`weight_share` for every column of every layer, shared between threads;
    then, with first_ahead, each thread's share of the next step's layer 1
    (see `first_layer_share`), over its share of this one, which it alone
    reads in this phase.  target must be the parameters."""
    cdef int part
    if batch.parts == 1:
        weight_share(net, target, accumulate, alpha, target, <floating*>batch.x, batch.nb,
                     <floating*>batch.acts, <floating*>batch.deltas, NULL, 0, 1)
        return
    for part in prange(batch.parts, num_threads=batch.parts, schedule="static"):
        weight_share(net, target, accumulate, alpha, target, <floating*>batch.x, batch.nb,
                     <floating*>batch.acts, <floating*>batch.deltas, <floating*>batch.first,
                     part, batch.parts)
        if first_ahead:
            first_layer_share(net, target, <floating*>batch.x, batch.nb,
                              <floating*>batch.first, part, batch.parts)


cdef bint step_phase(Net net, Batch* batch, Optimizer* opt, floating* params,
                     floating* grad, floating* state, intp n_params) noexcept nogil:
    """The batch's mean gradient into grad and the optimizer's step, shared
    between threads: each thread steps the parameters whose gradient it
    wrote.  Returns whether every parameter is finite after the step."""
    cdef int part
    cdef int not_finite = 0
    cdef floating alpha = <floating>mean_factor(batch)
    if batch.parts == 1:
        weight_share(net, grad, False, alpha, params, <floating*>batch.x, batch.nb,
                     <floating*>batch.acts, <floating*>batch.deltas, NULL, 0, 1)
        return update_layer_share(net, opt, params, grad, state, n_params, False, 0, 1)
    for part in prange(batch.parts, num_threads=batch.parts, schedule="static"):
        weight_share(net, grad, False, alpha, params, <floating*>batch.x, batch.nb,
                     <floating*>batch.acts, <floating*>batch.deltas, <floating*>batch.first,
                     part, batch.parts)
        not_finite += not update_layer_share(net, opt, params, grad, state, n_params,
                                             batch.first != NULL, part, batch.parts)
    return not_finite == 0


cdef double batch_loss(Batch* batch, floating* losses) noexcept nogil:
    """The sum of the batch's losses, in sample order."""
    cdef intp s
    cdef double total = 0
    for s in range(batch.nb):
        total += losses[s]
    return total

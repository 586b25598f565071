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


# A batch gathered into the work buffer, and the buffers of its step.  The
# work buffer is typed (float or double, like the parameters), and a Batch
# says where each of its buffers starts in it, as offsets in values; so one
# struct serves both types, and every pointer the phases use has the type
# of the data (`in_work`).
cdef enum:
    NO_BUFFER = -1

ctypedef struct Batch:
    intp n_samples
    intp step_work          # multiply-adds of one step
    int parts               # threads that share a step
    intp x, y               # the gathered inputs and targets
    intp acts, deltas       # every layer's activations and deltas, by samples
    intp losses             # each sample's loss
    intp sample_weights     # the samples' weights, or NO_BUFFER when all weigh 1
    double weight_sum       # their sum (n_samples when all weigh 1)
    intp layer1_blocks      # layer 1's activations, by blocks of neurons (see
                            # first_layer_share), or NO_BUFFER


cdef inline floating* in_work(floating* work, intp offset) noexcept nogil:
    """The buffer at offset in work, or NULL for NO_BUFFER."""
    return NULL if offset == NO_BUFFER else work + offset


cdef inline intp aligned_offset(const floating* work, intp offset) noexcept nogil:
    """offset, or the first after it whose address in work is on an
    ALIGNMENT-byte boundary."""
    return aligned(<floating*>work + offset) - work


cdef Batch gather(Net net, const floating[:, ::1] X, const floating[:, ::1] Y,
                  const floating* sample_weight, const intp* rows, intp n_samples,
                  floating* work, intp n_params, int n_threads,
                  bint by_neurons=False) noexcept nogil:
    """Copy the batch X[rows], Y[rows] (and sample_weight[rows], unless NULL) to
    the start of work and lay out the rest.  With by_neurons, threads that
    share the steps compute layer 1 by neurons (see `first_layer_share`)."""
    cdef Batch batch
    cdef intp i, n_in = net.sizes[0], n_out = net.sizes[net.n_layers - 1]
    cdef intp per_sample = activation_count(net)
    cdef intp weights_at
    batch.n_samples = n_samples
    batch.step_work = n_samples * n_params
    batch.parts = threads_for(batch.step_work, n_samples, n_threads)
    batch.x = aligned_offset(work, 0)
    batch.y = aligned_offset(work, batch.x + n_samples * n_in)
    batch.acts = aligned_offset(work, batch.y + n_samples * n_out)
    batch.deltas = aligned_offset(work, batch.acts + n_samples * per_sample)
    batch.losses = aligned_offset(work, batch.deltas + n_samples * per_sample)
    weights_at = aligned_offset(work, batch.losses + n_samples)
    for i in range(n_samples):
        memcpy(work + batch.x + i * n_in, &X[rows[i], 0], n_in * sizeof(floating))
        memcpy(work + batch.y + i * n_out, &Y[rows[i], 0], n_out * sizeof(floating))
    batch.sample_weights = NO_BUFFER
    batch.weight_sum = n_samples
    if sample_weight != NULL:
        batch.sample_weights = weights_at
        batch.weight_sum = 0
        for i in range(n_samples):
            work[weights_at + i] = sample_weight[rows[i]]
            batch.weight_sum += work[weights_at + i]
    batch.layer1_blocks = NO_BUFFER
    if by_neurons and batch.parts > 1 and net.n_layers > 2:
        batch.layer1_blocks = aligned_offset(work, weights_at + n_samples)
    return batch


cdef inline floating* aligned(floating* p) noexcept nogil:
    """p, or the first address after it on an ALIGNMENT-byte boundary."""
    return p + (ALIGNMENT - <size_t>p % ALIGNMENT) % ALIGNMENT // sizeof(floating)


cdef void samples_phase(Net net, int loss, const floating* params, intp n_params,
                        Batch* batch, floating* work, bint want_losses) noexcept nogil:
    """Forward pass and deltas of every sample of the batch (in work),
    shared between threads."""
    cdef int part
    cdef floating* losses = work + batch.losses if want_losses else NULL
    if batch.parts == 1:    # (a parallel region of one thread still costs its start)
        sample_share(net, loss, params, n_params, work + batch.x, work + batch.y,
                     in_work(work, batch.sample_weights), batch.n_samples, NULL,
                     work + batch.acts, work + batch.deltas, losses, 0, 1)
        return
    for part in prange(batch.parts, num_threads=batch.parts, schedule="static"):
        sample_share(net, loss, params, n_params, work + batch.x, work + batch.y,
                     in_work(work, batch.sample_weights), batch.n_samples,
                     in_work(work, batch.layer1_blocks), work + batch.acts,
                     work + batch.deltas, losses, part, batch.parts)


cdef void first_layer_phase(Net net, const floating* params, Batch* batch, floating* work,
                            floating* saved=NULL) noexcept nogil:
    """Layer 1's activations into the batch's layer1_blocks, shared between
    threads by neurons (see `first_layer_share`); and unless saved is NULL,
    the parameters copied there (see `save_share`)."""
    cdef int part
    for part in prange(batch.parts, num_threads=batch.parts, schedule="static"):
        if saved != NULL:
            save_share(net, params, saved, part, batch.parts)
        first_layer_share(net, params, work + batch.x, batch.n_samples,
                          work + batch.layer1_blocks, part, batch.parts)


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


cdef void weights_phase(Net net, Batch* batch, floating* work, floating* target,
                        bint accumulate, floating alpha,
                        bint first_ahead=False) noexcept nogil:
    """`weight_share` for every column of every layer, shared between threads;
    then, with first_ahead, each thread's share of the next step's layer 1
    (see `first_layer_share`), over its share of this one, which it alone
    reads in this phase.  target must be the parameters."""
    cdef int part
    cdef floating* layer1_blocks = in_work(work, batch.layer1_blocks)
    if batch.parts == 1:
        weight_share(net, target, accumulate, alpha, target, work + batch.x, batch.n_samples,
                     work + batch.acts, work + batch.deltas, NULL, 0, 1)
        return
    for part in prange(batch.parts, num_threads=batch.parts, schedule="static"):
        weight_share(net, target, accumulate, alpha, target, work + batch.x, batch.n_samples,
                     work + batch.acts, work + batch.deltas, layer1_blocks,
                     part, batch.parts)
        if first_ahead:
            first_layer_share(net, target, work + batch.x, batch.n_samples, layer1_blocks,
                              part, batch.parts)


cdef bint step_phase(Net net, Batch* batch, floating* work, Optimizer* opt, floating* params,
                     floating* grad, floating* state, intp n_params) noexcept nogil:
    """The batch's mean gradient into grad and the optimizer's step, shared
    between threads: each thread steps the parameters whose gradient it
    wrote.  Returns whether every parameter is finite after the step."""
    cdef int part
    cdef int not_finite = 0
    cdef floating alpha = <floating>mean_factor(batch)
    cdef floating* layer1_blocks = in_work(work, batch.layer1_blocks)
    if batch.parts == 1:
        weight_share(net, grad, False, alpha, params, work + batch.x, batch.n_samples,
                     work + batch.acts, work + batch.deltas, NULL, 0, 1)
        return update_layer_share(net, opt, params, grad, state, n_params, False, 0, 1)
    for part in prange(batch.parts, num_threads=batch.parts, schedule="static"):
        weight_share(net, grad, False, alpha, params, work + batch.x, batch.n_samples,
                     work + batch.acts, work + batch.deltas, layer1_blocks,
                     part, batch.parts)
        not_finite += not update_layer_share(net, opt, params, grad, state, n_params,
                                             layer1_blocks != NULL, part, batch.parts)
    return not_finite == 0


cdef double batch_loss(Batch* batch, const floating* work) noexcept nogil:
    """The sum of the batch's losses, in sample order."""
    cdef intp s
    cdef double total = 0
    for s in range(batch.n_samples):
        total += work[batch.losses + s]
    return total

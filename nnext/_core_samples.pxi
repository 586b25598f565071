# The work of a training step done sample by sample: forward passes and
# deltas, and layer 1 by neurons.
# Included by _core.pyx: it shares the module's names.

cdef intp first_nonfinite_input(const floating* x, const floating* z, intp lo, intp hi,
                                intp n_in, intp n_out) noexcept nogil:
    """The first of rows lo..hi of x (n_in wide) that holds NaN or infinity, or
    -1, given the first layer's products z of those rows.

    A non-finite input makes every product of its row NaN or infinite (a sum
    with a NaN or infinite term never comes back), so only the rows whose
    first product is not finite are searched: a pass over the inputs
    would cost up to a fifth of the forward pass.
    """
    cdef intp r
    for r in range(lo, hi):
        if z[r * n_out] - z[r * n_out] != 0 and not all_finite(x + r * n_in, n_in):
            return r
    return -1


cdef void forward_rows(Net net, const floating* params, const floating* packed,
                       const floating* x, intp lo, intp hi, intp n_samples, floating* acts,
                       intp* first_nonfinite=NULL, intp start=1,
                       const floating* later_params=NULL) noexcept nogil:
    """Activations of layers start..L for samples lo..hi of the n_samples samples in x
    (layers before start are in acts already).

    acts holds one (n_samples, n_l) block per layer, one after the other; only rows
    lo..hi of each are written.  packed is NULL, or every layer's weights
    packed by `pack_layers`.  If first_nonfinite is not NULL, it gets the
    first of the rows of x that holds NaN or infinity, or -1.  If later_params is
    not NULL, the parameters of layers 2..L are read from there (laid out as
    in params) instead of from params.
    """
    cdef intp l, n_in, n_out
    cdef const floating* inputs = x
    cdef const floating* w = params
    for l in range(1, net.n_layers):
        n_in = net.sizes[l - 1]
        n_out = net.sizes[l]
        if l >= start:
            if packed != NULL:
                gemm_packed(hi - lo, n_out, n_in, inputs + lo * n_in, packed,
                            acts + lo * n_out)
                packed += packed_size(n_out, n_in)
            else:
                gemm_nt(hi - lo, n_out, n_in, inputs + lo * n_in, n_in, w, n_in,
                        w + n_out * n_in, acts + lo * n_out, n_out)
            if l == 1 and first_nonfinite != NULL:
                first_nonfinite[0] = first_nonfinite_input(x, acts, lo, hi, n_in, n_out)
            activate(net.kinds[l - 1], acts + lo * n_out, hi - lo, n_out)
        inputs = acts
        acts += n_samples * n_out
        w = later_params if l == 1 and later_params != NULL else w + n_out * (n_in + 1)


cdef void delta_rows(Net net, int loss, const floating* params, intp n_params,
                     const floating* y, const floating* sample_weights, intp lo, intp hi,
                     intp n_samples,
                     const floating* acts, floating* deltas,
                     const floating* later_params=NULL, intp lowest=1) noexcept nogil:
    """The deltas of layers lowest..L for samples lo..hi, laid out like the
    activations in deltas.

    Output layer: see `output_delta`, times the sample's weight sample_weights[s]
    when sample_weights
    is not NULL; below: delta_prev = (delta . W) * f'(z_prev) (see
    `hidden_delta`).  Subnormal deltas are made 0 (see nn_flush_subnormal).
    Layer 1's weights are not read: the parameters of layers 2..L are those
    in params, or if later_params is not NULL those there (see `forward_rows`).
    Only the step's starting weights are read, so no weight may change meanwhile.
    """
    cdef intp l, s, j, n_in, n_out
    cdef intp offset = n_samples * activation_count(net)
    cdef const floating* w_end = params + n_params
    if later_params != NULL:
        w_end = later_params + later_layer_params(net)
    cdef const floating* w
    cdef floating* delta

    n_out = net.sizes[net.n_layers - 1]
    offset -= n_samples * n_out
    output_delta(loss, net.kinds[net.n_layers - 2], deltas + offset + lo * n_out,
                 acts + offset + lo * n_out, y + lo * n_out, (hi - lo) * n_out)
    if sample_weights != NULL:
        for s in range(lo, hi):
            for j in range(n_out):
                deltas[offset + s * n_out + j] *= sample_weights[s]
    flush_subnormal(deltas + offset + lo * n_out, (hi - lo) * n_out)
    for l in range(net.n_layers - 1, lowest, -1):
        n_out = net.sizes[l]
        n_in = net.sizes[l - 1]
        delta = deltas + offset
        w = w_end - n_out - n_out * n_in
        w_end = w
        offset -= n_samples * n_in
        hidden_delta(net.kinds[l - 2], hi - lo, n_in, n_out, delta + lo * n_out, w, n_in,
                     acts + offset + lo * n_in, deltas + offset + lo * n_in)


cdef inline void hidden_delta(int kind, intp rows, intp width, intp n_out,
                              const floating* delta, const floating* w, intp n_in,
                              const floating* a, floating* delta_prev) noexcept nogil:
    """delta_prev = (delta . W[:, :width]) * f'(z_prev) for rows samples: the
    deltas of the first width of the n_in neurons below a layer of n_out,
    from their activations a (rows x width, like delta_prev); W is that
    layer's weights (n_out x n_in) from the first of those neurons on."""
    gemm_nn(rows, width, n_out, 1, delta, n_out, 1, w, n_in, False, delta_prev, width)
    times_derivative(kind, delta_prev, a, rows * width)
    flush_subnormal(delta_prev, rows * width)


cdef void sample_share(Net net, int loss, const floating* params, intp n_params,
                       const floating* x, const floating* y, const floating* sample_weights,
                       intp n_samples,
                       const floating* layer1_blocks, floating* acts, floating* deltas,
                       floating* losses, int part, int parts) noexcept nogil:
    """Forward pass and deltas for part ``part`` of ``parts`` of the samples, and
    each sample's loss into losses (when it is not NULL); with sample weights
    sample_weights (not NULL), each sample's loss and deltas are scaled by its weight.
    With layer1_blocks not NULL, layer 1's activations are gathered from its blocks
    (see `first_layer_share`) and the deltas stop at layer 2: the threads
    compute layer 1's by neurons (see `first_layer_step`)."""
    cdef intp s, lo = part_start(n_samples, part, parts)
    cdef intp hi = part_start(n_samples, part + 1, parts)
    cdef intp n_out = net.sizes[net.n_layers - 1]
    cdef const floating* outputs = acts + n_samples * (activation_count(net) - n_out)
    if layer1_blocks != NULL:
        gather_layer1(net, layer1_blocks, n_samples, lo, hi, parts, acts)
        forward_rows(net, params, NULL, x, lo, hi, n_samples, acts, NULL, 2)
    else:
        forward_rows(net, params, NULL, x, lo, hi, n_samples, acts)
    if losses != NULL:
        for s in range(lo, hi):
            losses[s] = rows_loss(loss, net.kinds[net.n_layers - 2], outputs + s * n_out,
                                  y + s * n_out, n_out)
            if sample_weights != NULL:
                losses[s] *= sample_weights[s]
    delta_rows(net, loss, params, n_params, y, sample_weights, lo, hi, n_samples, acts, deltas,
               NULL, 1 if layer1_blocks == NULL else 2)


cdef void first_layer_share(Net net, const floating* params, const floating* x, intp n_samples,
                            floating* layer1_blocks, int part, int parts) noexcept nogil:
    """Layer 1's activations of all n_samples samples, for part ``part`` of ``parts``
    of its neurons, into the part's block of layer1_blocks, (n_samples, its neurons) (see
    `part_block`): the rows of the weights that the same thread updates (see
    `first_layer_step`), so they stay in its core's cache, and a block that
    no other thread writes."""
    cdef intp n_in = net.sizes[0], n_out = net.sizes[1]
    cdef intp lo = part_start(n_out, part, parts), hi = part_start(n_out, part + 1, parts)
    cdef floating* block = layer1_blocks + part_block(net, n_samples, part, parts)
    if hi <= lo:
        return
    gemm_nt(n_samples, hi - lo, n_in, x, n_in, params + lo * n_in, n_in,
            params + n_out * n_in + lo, block, hi - lo)
    activate(net.kinds[0], block, n_samples, hi - lo)


cdef inline intp part_block(Net net, intp n_samples, int part, int parts) noexcept nogil:
    """Where part ``part``'s block of layer 1 starts in layer1_blocks (n_samples
    x n_1 values): the blocks are one after the other, each (n_samples, the
    part's neurons)."""
    return n_samples * part_start(net.sizes[1], part, parts)


cdef void gather_layer1(Net net, const floating* layer1_blocks, intp n_samples, intp lo,
                        intp hi, int parts, floating* acts) noexcept nogil:
    """Rows lo..hi of layer 1's activations (n_samples, n_1) in acts, from every
    part's block in layer1_blocks (see `first_layer_share`)."""
    cdef intp s, c_lo, width, n1 = net.sizes[1]
    cdef int p
    cdef const floating* block
    for p in range(parts):
        c_lo = part_start(n1, p, parts)
        width = part_start(n1, p + 1, parts) - c_lo
        block = layer1_blocks + part_block(net, n_samples, p, parts)
        for s in range(lo, hi):
            memcpy(acts + s * n1 + c_lo, block + s * width, width * sizeof(floating))


cdef void first_layer_step(Net net, floating* target, bint accumulate, floating alpha,
                           const floating* x, intp n_samples, const floating* layer1_blocks,
                           const floating* delta2, const floating* w2, floating* delta1,
                           int part, int parts) noexcept nogil:
    """For part ``part`` of ``parts`` of layer 1's neurons (those of
    `first_layer_share`): their deltas, a block (n_samples, its neurons) into delta1,
    from layer 2's deltas delta2 (n_samples, n_2), its weights w2 (the step's
    starting values; only these neurons' columns are read) and the part's
    block of activations in layer1_blocks; then the step of their rows of weights
    and of their biases, as in `weight_share`."""
    cdef intp n0 = net.sizes[0], n1 = net.sizes[1], n2 = net.sizes[2]
    cdef intp lo = part_start(n1, part, parts), width = part_start(n1, part + 1, parts) - lo
    hidden_delta(net.kinds[0], n_samples, width, n2, delta2, w2 + lo, n1,
                 layer1_blocks + part_block(net, n_samples, part, parts), delta1)
    gemm_nn(width, n0, n_samples, alpha, delta1, 1, width, x, n0, accumulate, target + lo * n0, n0)
    bias_share(target + n1 * n0 + lo, accumulate, alpha, delta1, n_samples, width, 0, width)


cdef void save_share(Net net, const floating* params, floating* saved, int part,
                     int parts) noexcept nogil:
    """Copy part ``part`` of ``parts`` of the parameters to saved: the rows
    and biases of layer 1 whose neurons the part computes and updates (see
    `first_layer_share`), which are in its core's cache; part 0 also copies
    layers 2..L."""
    cdef intp n0 = net.sizes[0], n1 = net.sizes[1]
    cdef intp lo = part_start(n1, part, parts), hi = part_start(n1, part + 1, parts)
    memcpy(saved + lo * n0, params + lo * n0, (hi - lo) * n0 * sizeof(floating))
    memcpy(saved + n1 * n0 + lo, params + n1 * n0 + lo, (hi - lo) * sizeof(floating))
    if part == 0:
        memcpy(saved + first_layer_params(net), params + first_layer_params(net),
               later_layer_params(net) * sizeof(floating))


cdef bint finite_share(Net net, const floating* params, int part, int parts) noexcept nogil:
    """Whether part ``part`` of ``parts`` of the parameters (those of
    `save_share`) is finite."""
    cdef intp n0 = net.sizes[0], n1 = net.sizes[1]
    cdef intp lo = part_start(n1, part, parts), hi = part_start(n1, part + 1, parts)
    return (all_finite(params + lo * n0, (hi - lo) * n0)
            and all_finite(params + n1 * n0 + lo, hi - lo)
            and (part != 0 or all_finite(params + first_layer_params(net),
                                         later_layer_params(net))))

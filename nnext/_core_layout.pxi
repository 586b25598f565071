# The flat layout of a network's parameters, and the drivers' checks of their
# arguments (with the GIL, before any nogil section).
# Included by _core.pyx: it shares the module's names.

cdef intp parameter_count(Net net) noexcept nogil:
    cdef intp l, total = 0
    for l in range(1, net.n_layers):
        total += net.sizes[l] * (net.sizes[l - 1] + 1)
    return total


cdef inline intp first_layer_params(Net net) noexcept nogil:
    """Weights and biases of layer 1."""
    return net.sizes[1] * (net.sizes[0] + 1)


cdef inline intp later_layer_params(Net net) noexcept nogil:
    """Weights and biases of layers 2..L, which follow layer 1's in params."""
    return parameter_count(net) - first_layer_params(net)


cdef intp activation_count(Net net) noexcept nogil:
    """Activations of one sample in layers 1..L."""
    cdef intp l, total = 0
    for l in range(1, net.n_layers):
        total += net.sizes[l]
    return total


cdef Net as_net(const intp[::1] sizes, const int[::1] kinds) except *:
    """The network's description, checked: sizes, and an activation per layer
    (softmax and exp on the output layer only)."""
    cdef Net net
    cdef intp l
    if sizes.shape[0] < 2:
        raise ValueError(f"a network needs at least 2 layers; got {sizes.shape[0]}")
    for l in range(sizes.shape[0]):
        if sizes[l] < 1:
            raise ValueError(f"layer {l} must have at least 1 neuron; got {sizes[l]}")
    if kinds.shape[0] != sizes.shape[0] - 1:
        raise ValueError(f"kinds must hold {sizes.shape[0] - 1} activations; "
                         f"got {kinds.shape[0]}")
    for l in range(kinds.shape[0]):
        if not SIGMOID <= kinds[l] <= LAST_ACTIVATION or (output_only(kinds[l])
                                                          and l != kinds.shape[0] - 1):
            raise ValueError(f"kinds[{l}] is not an activation of that layer: {kinds[l]}")
    net.n_layers = sizes.shape[0]
    net.sizes = &sizes[0]
    net.kinds = &kinds[0]
    return net


cdef inline intp packed_size(intp n, intp k) noexcept nogil:
    """Values that a layer's packed weights (see `pack_nt`) take in the workspace:
    k + 1 rows, each as wide as n rounded up to a cache line of floats, which
    is enough in every variant for either type and keeps every layer's panels
    on cache lines."""
    cdef intp per_line = ALIGNMENT // sizeof(float)
    return (k + 1) * ((n + per_line - 1) // per_line * per_line)


def forward_workspace_size(const intp[::1] sizes, intp n_samples, int n_threads=1):
    """Length of the ``work`` buffer that `feedforward` and `loss_sum` need: per
    thread, a block's activations and a copy of its inputs; and, from
    PACK_MIN_ROWS samples, every layer's packed weights."""
    cdef intp l, per_sample = 0, size
    for l in range(sizes.shape[0]):
        per_sample += sizes[l]
    size = max(1, n_threads) * min(n_samples, FORWARD_BLOCK) * per_sample
    if n_samples >= PACK_MIN_ROWS:
        size += ALIGNMENT // sizeof(float)
        for l in range(1, sizes.shape[0]):
            size += packed_size(sizes[l], sizes[l - 1])
    return size


def train_workspace_size(const intp[::1] sizes, intp batch_size):
    """Length of the ``work`` buffer that the training drivers need for a batch of this size."""
    cdef intp l, per_sample = 0
    for l in range(1, sizes.shape[0]):
        per_sample += sizes[l]
    return (batch_size * (sizes[0] + sizes[sizes.shape[0] - 1]  # the gathered batch
                          + 2 * per_sample                      # activations, deltas
                          + 2                                   # losses, sample weights
                          + sizes[1])                           # layer 1, a step ahead
            + 7 * ALIGNMENT)                                    # each part aligned


cdef check_params(Net net, intp n_params):
    if n_params != parameter_count(net):
        raise ValueError(f"params must hold {parameter_count(net)} values for shape "
                         f"{[net.sizes[l] for l in range(net.n_layers)]}; got {n_params}")


cdef check_samples(Net net, intp n_rows, intp n_inputs, intp n_target_rows, intp n_targets):
    cdef intp n_out = net.sizes[net.n_layers - 1]
    if n_inputs != net.sizes[0]:
        raise ValueError(f"inputs must have {net.sizes[0]} columns; got {n_inputs}")
    if n_targets != n_out:
        raise ValueError(f"targets must have {n_out} columns; got {n_targets}")
    if n_target_rows != n_rows:
        raise ValueError(f"inputs and targets must have as many rows; "
                         f"got {n_rows} and {n_target_rows}")


cdef check_workspace(intp have, intp need, str name="work"):
    if have < need:
        raise ValueError(f"{name} must hold at least {need} values; got {have}")


cdef check_loss(Net net, int loss):
    cdef int out_kind = net.kinds[net.n_layers - 2]
    if loss == SQUARED_ERROR:
        if out_kind == SOFTMAX:
            raise ValueError("the squared error cannot train a softmax output layer")
    elif loss == CROSS_ENTROPY:
        if out_kind != SOFTMAX and out_kind != SIGMOID:
            raise ValueError("the cross-entropy needs a softmax or sigmoid output layer")
    elif loss == POISSON:
        if out_kind != EXP:
            raise ValueError("the Poisson loss needs an exp output layer")
    else:
        raise ValueError(f"loss is not a loss code: {loss}")


cdef int check_threads(int n_threads) except -1:
    if n_threads < 1:
        raise ValueError(f"n_threads must be at least 1; got {n_threads}")
    return n_threads if NN_OPENMP else 1


cdef check_batch(Net net, intp n_params, intp n_rows, intp n_inputs, intp n_target_rows,
                 intp n_targets, const intp[::1] rows, intp batch_size, intp work_size):
    """The checks of the drivers that train on batches of X[rows], Y[rows]."""
    cdef intp i
    check_params(net, n_params)
    check_samples(net, n_rows, n_inputs, n_target_rows, n_targets)
    if rows.shape[0] < 1:
        raise ValueError("rows must name at least one sample; got none")
    for i in range(rows.shape[0]):
        if rows[i] < 0 or rows[i] >= n_rows:
            raise ValueError(f"rows[{i}] must be in [0, {n_rows}); got {rows[i]}")
    check_workspace(work_size, train_workspace_size(
        <intp[:net.n_layers]>net.sizes, batch_size))

# The work of a training step done weight by weight: gradients by columns and
# the optimizers' updates.
# Included by _core.pyx: it shares the module's names.

cdef enum:
    BIAS_CHUNK = 64     # biases whose sums over the samples are kept at once


cdef void bias_share(floating* layer_params, bint accumulate, floating alpha,
                     const floating* delta,
                     intp n_samples, intp n_out, intp lo, intp hi) noexcept nogil:
    """layer_params[j] = (layer_params[j] if accumulate else 0) + alpha * sum over the
    n_samples samples of
    delta[s, j], for j in lo..hi: the sums of BIAS_CHUNK biases at a time, sample
    by sample (each in sample order), so that the additions of neighbouring
    biases overlap."""
    cdef floating total[BIAS_CHUNK]
    cdef intp j0 = lo, j, s, width
    while j0 < hi:
        width = min(<intp>BIAS_CHUNK, hi - j0)
        for j in range(width):
            total[j] = 0
        for s in range(n_samples):
            for j in range(width):
                total[j] += delta[s * n_out + j0 + j]
        for j in range(width):
            if accumulate:
                layer_params[j0 + j] += alpha * total[j]
            else:
                layer_params[j0 + j] = alpha * total[j]
        j0 += BIAS_CHUNK


ctypedef struct Share:
    bint by_rows    # rows lo..hi of the layer's weights, or else columns lo..hi
    intp lo, hi     # of every row
    intp j_lo, j_hi # its biases


cdef inline Share layer_share(Net net, intp l, bint by_neurons, intp grain, int part,
                              int parts) noexcept nogil:
    """The part of layer l's weights and biases that part ``part`` of ``parts``
    computes (see `weight_share`): columns in whole grains; with by_neurons,
    for layers 1 and 2 those of the part's neurons of layer 1 instead (see
    `first_layer_share`): their rows of layer 1, their columns of layer 2."""
    cdef Share share
    cdef intp n_in = net.sizes[l - 1], n_out = net.sizes[l]
    cdef intp grains = (n_in + grain - 1) // grain
    share.j_lo = part_start(n_out, part, parts)
    share.j_hi = part_start(n_out, part + 1, parts)
    share.by_rows = l == 1 and by_neurons
    if by_neurons and l <= 2:
        share.lo = part_start(net.sizes[1], part, parts)
        share.hi = part_start(net.sizes[1], part + 1, parts)
    else:
        share.lo = min(n_in, part_start(grains, part, parts) * grain)
        share.hi = min(n_in, part_start(grains, part + 1, parts) * grain)
    return share


cdef void weight_share(Net net, floating* target, bint accumulate,
                       floating alpha, const floating* params, const floating* x, intp n_samples,
                       const floating* acts, floating* deltas, const floating* layer1_blocks,
                       int part, int parts) noexcept nogil:
    """For part ``part`` of ``parts`` of every layer's columns of weights and of
    its biases, laid out in ``target`` like the parameters:
    t_w = (t_w if accumulate else 0) + alpha * delta^T . a_prev and
    t_b = (t_b if accumulate else 0) + alpha * sum of delta.

    With target the parameters, accumulate and alpha = -learning_step / n_samples
    this is a gradient step; with accumulate off and alpha = 1 / n_samples it writes
    the mean gradient.  With layer1_blocks not NULL, layers 1 and 2 go by the part's
    neurons of layer 1 (see `layer_share`), whose deltas the part computes
    first, from the step's starting weights of layer 2 in params (see
    `first_layer_step`), and whose activations it reads from its block in
    layer1_blocks (see `first_layer_share`)."""
    cdef intp l, n_in, n_out, lda
    cdef floating* layer_params = target
    cdef const floating* a_prev = x
    cdef const floating* a_cols
    cdef const floating* delta = deltas
    cdef Share share
    for l in range(1, net.n_layers):
        n_in = net.sizes[l - 1]
        n_out = net.sizes[l]
        share = layer_share(net, l, layer1_blocks != NULL, panel_width(sizeof(floating)), part,
                            parts)
        if layer1_blocks != NULL and l == 1:
            first_layer_step(net, layer_params, accumulate, alpha, x, n_samples, layer1_blocks,
                             deltas + n_samples * n_out,
                             params + first_layer_params(net), deltas + n_samples * share.lo,
                             part, parts)
        else:
            if layer1_blocks != NULL and l == 2:
                a_cols = layer1_blocks + part_block(net, n_samples, part, parts)
                lda = share.hi - share.lo
            else:
                a_cols = a_prev + share.lo
                lda = n_in
            layer_gradient(layer_params, accumulate, alpha, a_cols, lda, delta, n_samples, n_in,
                           n_out, share)
        layer_params += n_out * (n_in + 1)
        a_prev = acts
        acts += n_samples * n_out
        delta += n_samples * n_out


cdef inline intp panel_width(size_t value_size) noexcept nogil:
    """Columns per panel of gemm_nn in the kernels in use, for values of
    value_size bytes (the split of columns between threads follows it)."""
    return nn_panel_d if value_size == sizeof(double) else nn_panel_s


cdef void layer_gradient(floating* layer_params, bint accumulate, floating alpha,
                         const floating* a_cols,
                         intp lda, const floating* delta, intp n_samples, intp n_in, intp n_out,
                         Share share) noexcept nogil:
    """`weight_share` for one layer (layer_params its weights, then its biases) and one
    share of its columns: a_cols is the previous layer's activations from
    column share.lo on, rows lda apart."""
    gemm_nn(n_out, share.hi - share.lo, n_samples, alpha, delta, 1, n_out, a_cols, lda, accumulate,
            layer_params + share.lo, n_in)
    bias_share(layer_params + n_out * n_in, accumulate, alpha, delta, n_samples, n_out, share.j_lo,
               share.j_hi)


ctypedef struct Optimizer:
    int kind                # SGD, MOMENTUM, ADAM or RMSPROP
    double learning_rate
    double l2               # weight decay, on weights only
    bint l2_over_weight     # l2 divided by each batch's total sample weight
    double momentum
    bint nesterov
    double beta1, beta2, epsilon
    bint epsilon_hat        # Adam's epsilon added to sqrt(v), not to sqrt(v / c2)
    double rho              # RMSprop's decay of the mean square
    intp step               # steps taken, this one included (Adam's bias correction)


cdef void rmsprop_update(floating* w, const floating* g, floating* v, intp n, floating lr,
                         floating l2, floating rho, floating eps) noexcept nogil:
    """RMSprop as PyTorch writes it: d = g + l2 w; v = rho v + (1 - rho) d^2;
    w -= lr d / (sqrt(v) + eps)."""
    cdef intp i
    cdef floating d
    for i in range(n):
        d = g[i] + l2 * w[i]
        v[i] = rho * v[i] + (1 - rho) * d * d
        if floating is double:
            w[i] = w[i] - lr * d / (sqrt(v[i]) + eps)
        else:
            w[i] = w[i] - lr * d / (sqrtf(v[i]) + eps)


cdef void update_range(Optimizer* opt, floating* w, const floating* g, floating* state,
                       intp n_params, intp lo, intp hi, double l2) noexcept nogil:
    """The optimizer's step on parameters lo..hi, all with the same weight decay."""
    cdef double c1, c2
    if hi <= lo:
        return
    if opt.kind == SGD:
        if floating is double:
            nn_sgd_update_d(w + lo, g + lo, hi - lo, opt.learning_rate, l2)
        else:
            nn_sgd_update_s(w + lo, g + lo, hi - lo, <float>opt.learning_rate, <float>l2)
    elif opt.kind == MOMENTUM:
        if floating is double:
            nn_momentum_update_d(w + lo, g + lo, state + lo, hi - lo, opt.learning_rate, l2,
                                 opt.momentum, opt.nesterov)
        else:
            nn_momentum_update_s(w + lo, g + lo, state + lo, hi - lo, <float>opt.learning_rate,
                                 <float>l2, <float>opt.momentum, opt.nesterov)
    elif opt.kind == RMSPROP:
        rmsprop_update(w + lo, g + lo, state + lo, hi - lo, <floating>opt.learning_rate,
                       <floating>l2, <floating>opt.rho, <floating>opt.epsilon)
    else:
        c1 = 1 - opt.beta1 ** opt.step
        c2 = 1 - opt.beta2 ** opt.step
        if opt.epsilon_hat:
            # lr sqrt(c2) / c1 * m / (sqrt(v) + eps): the same step but for where
            # epsilon enters (Kingma and Ba's "epsilon hat"; scikit-learn's form)
            c1 /= c2 ** 0.5
            c2 = 1
        if floating is double:
            nn_adam_update_d(w + lo, g + lo, state + lo, state + n_params + lo, hi - lo,
                             opt.learning_rate / c1, 1 / c2 ** 0.5, l2, opt.beta1,
                             opt.beta2, opt.epsilon)
        else:
            nn_adam_update_s(w + lo, g + lo, state + lo, state + n_params + lo, hi - lo,
                             <float>(opt.learning_rate / c1), <float>(1 / c2 ** 0.5),
                             <float>l2, <float>opt.beta1, <float>opt.beta2,
                             <float>opt.epsilon)


cdef bint update_layer_share(Net net, Optimizer* opt, floating* params,
                             const floating* grad, floating* state, intp n_params,
                             bint by_neurons, int part, int parts) noexcept nogil:
    """The optimizer's step on the parameters whose gradient part ``part`` of
    ``parts`` wrote (see `layer_share`), with weight decay on the weights and
    none on the biases; returns whether those parameters are all finite after."""
    cdef intp l, j, start = 0, n_in, n_out
    cdef intp grain = panel_width(sizeof(floating))
    cdef bint finite = True
    cdef Share share
    for l in range(1, net.n_layers):
        n_in = net.sizes[l - 1]
        n_out = net.sizes[l]
        share = layer_share(net, l, by_neurons, grain, part, parts)
        if share.by_rows:
            update_range(opt, params, grad, state, n_params, start + share.lo * n_in,
                         start + share.hi * n_in, opt.l2)
            finite = finite and all_finite(params + start + share.lo * n_in,
                                           (share.hi - share.lo) * n_in)
        else:
            for j in range(n_out):
                update_range(opt, params, grad, state, n_params, start + j * n_in + share.lo,
                             start + j * n_in + share.hi, opt.l2)
                finite = finite and all_finite(params + start + j * n_in + share.lo,
                                               share.hi - share.lo)
        start += n_out * n_in
        update_range(opt, params, grad, state, n_params, start + share.j_lo, start + share.j_hi, 0)
        finite = finite and all_finite(params + start + share.j_lo, share.j_hi - share.j_lo)
        start += n_out
    return finite

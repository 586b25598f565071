# Elementwise arithmetic (activations, derivatives, output deltas, losses) and
# the kernels of _kernels.h for either floating type.
# Included by _core.pyx: it shares the module's names.

cdef inline bint all_finite(const floating* x, intp n) noexcept nogil:
    if floating is double:
        return nn_all_finite_d(x, n)
    else:
        return nn_all_finite_s(x, n)


cdef inline double sum_squares(const floating* x, intp n) noexcept nogil:
    if floating is double:
        return nn_sum_squares_d(x, n)
    else:
        return nn_sum_squares_s(x, n)


cdef inline void flush_subnormal(floating* x, intp n) noexcept nogil:
    if floating is double:
        nn_flush_subnormal_d(x, n)
    else:
        nn_flush_subnormal_s(x, n)


cdef inline void gemm_nt(intp m, intp n, intp k, const floating* a, intp lda,
                         const floating* b, intp ldb, const floating* bias,
                         floating* c, intp ldc) noexcept nogil:
    """c[i, j] = bias[j] + a[i, :] . b[j, :]"""
    if floating is double:
        nn_gemm_nt_d(m, n, k, a, lda, b, ldb, bias, c, ldc)
    else:
        nn_gemm_nt_s(m, n, k, a, lda, b, ldb, bias, c, ldc)


cdef inline void pack_nt(intp n, intp k, const floating* b, const floating* bias,
                         floating* packed) noexcept nogil:
    """The weights b (n, k) and biases of a layer, packed for `gemm_packed`."""
    if floating is double:
        nn_pack_nt_d(n, k, b, k, bias, packed)
    else:
        nn_pack_nt_s(n, k, b, k, bias, packed)


cdef inline void gemm_packed(intp m, intp n, intp k, const floating* a,
                             const floating* packed, floating* c) noexcept nogil:
    """c[i, j] = bias[j] + a[i, :] . b[j, :], from b and bias packed by `pack_nt`"""
    if floating is double:
        nn_gemm_packed_d(m, n, k, a, k, packed, c, n)
    else:
        nn_gemm_packed_s(m, n, k, a, k, packed, c, n)


cdef inline void gemm_nn(intp m, intp n, intp k, floating alpha, const floating* a,
                         intp rsa, intp csa, const floating* b, intp ldb, bint accumulate,
                         floating* c, intp ldc) noexcept nogil:
    """c[i, :] = (c[i, :] if accumulate else 0) + alpha * sum_p a[i*rsa + p*csa] b[p, :]"""
    if floating is double:
        nn_gemm_nn_d(m, n, k, alpha, a, rsa, csa, b, ldb, accumulate, c, ldc)
    else:
        nn_gemm_nn_s(m, n, k, alpha, a, rsa, csa, b, ldb, accumulate, c, ldc)


cdef void softmax_rows(floating* x, intp rows, intp n) noexcept nogil:
    """Each row of the (rows, n) array x becomes exp(x - max) / sum exp(x - max)."""
    cdef intp r, i
    cdef floating top, total
    for r in range(rows):
        top = x[0]
        for i in range(1, n):
            if x[i] > top:
                top = x[i]
        for i in range(n):
            x[i] -= top
        if floating is double:
            nn_exp_nonpositive_array_d(x, n)
        else:
            nn_exp_nonpositive_array_s(x, n)
        total = 0
        for i in range(n):
            total += x[i]
        for i in range(n):
            x[i] /= total
        x += n


cdef void activate(int kind, floating* x, intp rows, intp n) noexcept nogil:
    """Apply the activation to the (rows, n) array x of weighted inputs, in place."""
    cdef intp i
    if kind == SIGMOID:
        if floating is double:
            nn_sigmoid_d(x, rows * n)
        else:
            nn_sigmoid_s(x, rows * n)
    elif kind == TANH:
        if floating is double:
            nn_tanh_d(x, rows * n)
        else:
            nn_tanh_s(x, rows * n)
    elif kind == RELU:
        # A select and a store every time, not a branch: the compiler makes it
        # a vector blend (a branch mispredicts on every other element).
        for i in range(rows * n):
            x[i] = 0 if x[i] < 0 else x[i]       # NaN stays NaN
    elif kind == SOFTMAX:
        softmax_rows(x, rows, n)
    elif kind == EXP:
        for i in range(rows * n):
            x[i] = exp(x[i])
    elif kind == LEAKY_RELU:
        for i in range(rows * n):
            x[i] = <floating>(LEAKY_SLOPE * x[i]) if x[i] < 0 else x[i]
    elif kind == ELU:
        for i in range(rows * n):
            if x[i] < 0:
                if floating is double:
                    x[i] = expm1(x[i])
                else:
                    x[i] = expm1f(x[i])


cdef void times_derivative(int kind, floating* delta, const floating* a, intp n) noexcept nogil:
    """delta *= f'(z), from the activations a = f(z) (not for softmax)."""
    cdef intp i
    if kind == SIGMOID or kind == TANH:
        if floating is double:
            nn_times_slope_d(delta, a, n, kind == TANH)
        else:
            nn_times_slope_s(delta, a, n, kind == TANH)
    elif kind == RELU:
        for i in range(n):
            delta[i] = 0 if a[i] <= 0 else delta[i]
    elif kind == EXP:
        for i in range(n):
            delta[i] *= a[i]
    elif kind == LEAKY_RELU:      # a > 0 exactly where z > 0
        for i in range(n):
            delta[i] = delta[i] if a[i] > 0 else <floating>(LEAKY_SLOPE * delta[i])
    elif kind == ELU:             # e^z = a + 1 where z <= 0
        for i in range(n):
            delta[i] = delta[i] if a[i] > 0 else delta[i] * (a[i] + 1)


cdef void output_delta(int loss, int kind, floating* delta, const floating* a,
                       const floating* y, intp n) noexcept nogil:
    """The output layer's delta, d loss / d z: a - y for the cross-entropy
    (softmax or sigmoid outputs) and the Poisson loss (exp outputs);
    (a - y) f'(z) for the squared error."""
    cdef intp i
    if kind == SIGMOID and loss == SQUARED_ERROR:
        for i in range(n):    # the original's expression, bit for bit
            delta[i] = (a[i] - y[i]) * a[i] * (1 - a[i])
        return
    for i in range(n):
        delta[i] = a[i] - y[i]
    if loss == SQUARED_ERROR:
        times_derivative(kind, delta, a, n)


cdef double rows_loss(int loss, int kind, const floating* a, const floating* y,
                      intp n) noexcept nogil:
    """Sum of the losses of n output values: (a - y)^2 for the squared error;
    -y log a (softmax) or -y log a - (1 - y) log(1 - a) (sigmoid) for the
    cross-entropy, with a and 1 - a clipped below at the type's epsilon; the Poisson
    deviance's half, y log(y / a) - y + a (0 log 0 = 0), for the Poisson loss."""
    cdef intp i
    cdef double total = 0, diff
    cdef floating eps = DBL_EPSILON if floating is double else FLT_EPSILON
    if loss == SQUARED_ERROR:
        for i in range(n):
            diff = a[i] - y[i]
            total = total + diff * diff
    elif loss == POISSON:
        for i in range(n):
            total = total + a[i] - y[i]
            if y[i] != 0:
                total = total + y[i] * log(y[i] / a[i])
    elif kind == SOFTMAX:
        for i in range(n):
            if y[i] != 0:
                total = total - y[i] * log(max(a[i], eps))
    else:
        for i in range(n):
            if y[i] != 0:
                total = total - y[i] * log(max(a[i], eps))
            if y[i] != 1:
                total = total - (1 - y[i]) * log(max(1 - a[i], eps))
    return total


cdef inline intp part_start(intp n, int part, int parts) noexcept nogil:
    """The first of the n items (samples, neurons, grains of columns) that
    part ``part`` of ``parts`` takes; part ``parts`` gives n.  Every split of
    a step between threads is made here, so that a thread takes the same
    neurons of layer 1 in every phase."""
    return part * n // parts


cdef inline int threads_for(intp work, intp pieces, int n_threads) noexcept nogil:
    """How many threads share a product of ``work`` multiply-adds in ``pieces`` parts."""
    return <int>max(1, min(<intp>n_threads, min(pieces, work // THREAD_MIN_WORK)))

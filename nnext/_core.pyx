"""The compiled core of nnext: forward pass, losses, gradients and the training loops.

A network with layer sizes n_0, ..., n_L keeps all its parameters in one flat
buffer ``params``: for each layer l = 1..L its weights (n_l rows of n_{l-1}
values, row-major) followed by its n_l biases (``nnext._layout`` describes
the same layout to Python).  The loops below walk that
buffer with pointers and hand each layer's matrix products to the blocked
kernels of ``_kernels.h``.  Every ``def`` driver first checks, with the GIL,
that each buffer is as large as that layout needs, so the pointer arithmetic
inside the ``nogil`` sections stays within the buffers.

Each layer l has an activation, ``kinds[l - 1]`` (one of the ACTIVATIONS
codes), and training minimises a loss (one of the LOSSES codes); both are
dispatched once per layer, never per element.

Samples are rows: the values of layer l for a block of ``nb`` samples form an
(nb, n_l) row-major array.  A training step has two phases: the work of each
sample (its forward pass and every layer's delta, which need only the step's
starting weights) and then the work of each weight (its update).  When a step
is large enough, ``n_threads`` OpenMP threads share the first by samples and
the second by columns of the weights (layer 1 by rows: its neurons, which
each thread also computes for the next step).  Where layers 2..L are small
beside layer 1, each thread of an SGD step instead keeps its own copy of
them and does all their work (see `replica_share`), so that a step is one
parallel region.  Every value is computed the same way whatever the split,
so results do not depend on the thread count.
"""
import os

from cython cimport floating
from cython.parallel cimport prange, threadid
from libc.math cimport exp, expm1, expm1f, log, sqrt, sqrtf
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

ctypedef Py_ssize_t intp

cdef extern from "_kernels.h" nogil:
    int NN_OPENMP
    int nn_select_kernels(int wanted)
    int nn_best_variant()
    intp nn_panel_d, nn_panel_s
    void nn_gemm_nt_d(intp m, intp n, intp k, const double* a, intp lda,
                      const double* b, intp ldb, const double* bias, double* c, intp ldc)
    void nn_gemm_nt_s(intp m, intp n, intp k, const float* a, intp lda,
                      const float* b, intp ldb, const float* bias, float* c, intp ldc)
    void nn_pack_nt_d(intp n, intp k, const double* b, intp ldb, const double* bias,
                      double* packed)
    void nn_pack_nt_s(intp n, intp k, const float* b, intp ldb, const float* bias,
                      float* packed)
    void nn_gemm_packed_d(intp m, intp n, intp k, const double* a, intp lda,
                          const double* packed, double* c, intp ldc)
    void nn_gemm_packed_s(intp m, intp n, intp k, const float* a, intp lda,
                          const float* packed, float* c, intp ldc)
    void nn_gemm_nn_d(intp m, intp n, intp k, double alpha, const double* a, intp rsa,
                      intp csa, const double* b, intp ldb, int accumulate, double* c, intp ldc)
    void nn_gemm_nn_s(intp m, intp n, intp k, float alpha, const float* a, intp rsa,
                      intp csa, const float* b, intp ldb, int accumulate, float* c, intp ldc)
    void nn_sigmoid_d(double* x, intp n)
    void nn_sigmoid_s(float* x, intp n)
    void nn_tanh_d(double* x, intp n)
    void nn_tanh_s(float* x, intp n)
    void nn_exp_nonpositive_array_d(double* x, intp n)
    void nn_exp_nonpositive_array_s(float* x, intp n)
    int nn_all_finite_d(const double* x, intp n)
    int nn_all_finite_s(const float* x, intp n)
    double nn_sum_squares_d(const double* x, intp n)
    double nn_sum_squares_s(const float* x, intp n)
    void nn_flush_subnormal_d(double* x, intp n)
    void nn_flush_subnormal_s(float* x, intp n)
    void nn_times_slope_d(double* delta, const double* a, intp n, int tanh)
    void nn_times_slope_s(float* delta, const float* a, intp n, int tanh)
    void nn_sgd_update_d(double* w, const double* g, intp n, double lr, double l2)
    void nn_sgd_update_s(float* w, const float* g, intp n, float lr, float l2)
    void nn_momentum_update_d(double* w, const double* g, double* v, intp n, double lr,
                              double l2, double mu, int nesterov)
    void nn_momentum_update_s(float* w, const float* g, float* v, intp n, float lr,
                              float l2, float mu, int nesterov)
    void nn_adam_update_d(double* w, const double* g, double* m, double* v, intp n,
                          double lr_c1, double inv_sqrt_c2, double l2, double b1, double b2,
                          double eps)
    void nn_adam_update_s(float* w, const float* g, float* m, float* v, intp n,
                          float lr_c1, float inv_sqrt_c2, float l2, float b1, float b2,
                          float eps)

cdef extern from *:
    int NNEXT_DEBUG   # set by setup.py

cdef extern from "Python.h":
    int PyErr_CheckSignals() except -1

#: True in a build with Cython's bounds checks on (NNEXT_DEBUG_CYTHON=1).
debug_build = bool(NNEXT_DEBUG)
#: True when the core was built with OpenMP, so that n_threads > 1 is used.
openmp = bool(NN_OPENMP)

cdef enum:
    # Samples pushed through the network at once when only outputs are needed:
    # whole tiles of rows in every variant (4 and 6 rows), 5% to 14% faster
    # inference than blocks of 64.
    FORWARD_BLOCK = 72
    # Rows from which a forward pass packs the weights first (see gemm_packed):
    # packing costs about what 50 (float64) to 100 (float32) rows gain from it.
    PACK_MIN_ROWS = 128
    # Multiply-adds between two looks for Ctrl-C (a few milliseconds of work).
    SIGNAL_CHECK_WORK = 1 << 24
    # Multiply-adds a thread must get before a product is split between threads.
    THREAD_MIN_WORK = 1 << 17
    # Parameters per piece of the sum of the squared weights (see squared_weights).
    SQUARES_CHUNK = 4096
    # Bytes of a cache line: the alignment the kernels' buffers are given.
    ALIGNMENT = 64

cdef enum:
    SIGMOID, TANH, RELU, IDENTITY, SOFTMAX, EXP, LEAKY_RELU, ELU     # activations
    LAST_ACTIVATION = ELU
cdef enum:
    SQUARED_ERROR, CROSS_ENTROPY, POISSON            # losses
cdef enum:
    SGD, MOMENTUM, ADAM, RMSPROP                     # optimizers
    LAST_OPTIMIZER = RMSPROP

# The negative slope of the leaky ReLU (PyTorch's default).
cdef double LEAKY_SLOPE = 0.01

#: The codes of the activations, the losses and the optimizers, by name.
ACTIVATIONS = {"sigmoid": SIGMOID, "tanh": TANH, "relu": RELU, "identity": IDENTITY,
               "softmax": SOFTMAX, "exp": EXP, "leaky_relu": LEAKY_RELU, "elu": ELU}
LOSSES = {"squared_error": SQUARED_ERROR, "cross_entropy": CROSS_ENTROPY, "poisson": POISSON}
OPTIMIZERS = {"sgd": SGD, "momentum": MOMENTUM, "adam": ADAM, "rmsprop": RMSPROP}


cdef inline bint output_only(int kind) noexcept nogil:
    """Whether only the output layer may have the activation ``kind``: softmax
    acts on the whole layer, exp goes with the Poisson loss alone."""
    return kind == SOFTMAX or kind == EXP


cdef inline intp state_vectors(int kind) noexcept nogil:
    """Vectors of state, each as long as the parameters, that an optimizer keeps:
    momentum's velocity; Adam's first and second moments; RMSprop's mean square."""
    if kind == MOMENTUM or kind == RMSPROP:
        return 1
    return 2 if kind == ADAM else 0

ctypedef struct Net:
    intp n_layers           # L + 1, the input layer included
    const intp* sizes       # n_0 .. n_L
    const int* kinds        # the activation of layer l is kinds[l - 1]


#: The kernel variants, from the x86-64 baseline to the widest.
KERNELS = ("baseline", "avx2", "avx512")
#: The variants this CPU can run.
AVAILABLE_KERNELS = KERNELS[:nn_best_variant() + 1]


def use_kernels(name):
    """Use the kernels of variant ``name`` ("baseline", "avx2" or "avx512"), or,
    if this CPU cannot run them, the widest below it that it can.

    Returns the name of the variant now in use (also in ``nnext._core.kernels``).
    """
    global kernels
    if name not in KERNELS:
        raise ValueError(f"kernels must be one of {', '.join(KERNELS)}; got {name!r}")
    kernels = KERNELS[nn_select_kernels(KERNELS.index(name))]
    return kernels


def _initial_kernels():
    """The widest variant, or the one the environment variable NNEXT_KERNELS names."""
    wanted = os.environ.get("NNEXT_KERNELS", "avx512")
    if wanted not in KERNELS:
        raise ImportError(f"NNEXT_KERNELS must be one of {', '.join(KERNELS)}; got {wanted!r}")
    return wanted


#: The kernel variant in use: the widest this CPU runs, unless NNEXT_KERNELS
#: names a narrower one.
kernels = use_kernels(_initial_kernels())


# ---------------------------------------------------------------------------
# Layout and checks

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


# ---------------------------------------------------------------------------
# Elementwise arithmetic and the kernels for either type

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
                      intp n, floating eps) noexcept nogil:
    """Sum of the losses of n output values: (a - y)^2 for the squared error;
    -y log a (softmax) or -y log a - (1 - y) log(1 - a) (sigmoid) for the
    cross-entropy, with a and 1 - a clipped below at eps; the Poisson
    deviance's half, y log(y / a) - y + a (0 log 0 = 0), for the Poisson loss."""
    cdef intp i
    cdef double total = 0, diff
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


cdef inline floating loss_eps(floating x) noexcept nogil:
    """The clipping of probabilities in the cross-entropy: the type's epsilon."""
    if floating is double:
        return 2.220446049250313e-16
    else:
        return 1.1920929e-07


cdef inline intp part_start(intp n, int part, int parts) noexcept nogil:
    """The first of the n items (samples, neurons, grains of columns) that
    part ``part`` of ``parts`` takes; part ``parts`` gives n.  Every split of
    a step between threads is made here, so that a thread takes the same
    neurons of layer 1 in every phase."""
    return part * n // parts


cdef inline int split(intp work, intp pieces, int n_threads) noexcept nogil:
    """How many threads share a product of ``work`` multiply-adds in ``pieces`` parts."""
    return <int>max(1, min(<intp>n_threads, min(pieces, work // THREAD_MIN_WORK)))


# ---------------------------------------------------------------------------
# The work of a step that is done sample by sample

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
                       const floating* x, intp lo, intp hi, intp nb, floating* acts,
                       intp* first_nonfinite=NULL, intp start=1,
                       const floating* later=NULL) noexcept nogil:
    """Activations of layers start..L for samples lo..hi of the nb samples in x
    (layers before start are in acts already).

    acts holds one (nb, n_l) block per layer, one after the other; only rows
    lo..hi of each are written.  packed is NULL, or every layer's weights
    packed by `pack_layers`.  If first_nonfinite is not NULL, it gets the
    first of the rows of x that holds NaN or infinity, or -1.  If later is
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
        acts += nb * n_out
        w = later if l == 1 and later != NULL else w + n_out * (n_in + 1)


cdef void delta_rows(Net net, int loss, const floating* params, intp n_params,
                     const floating* y, const floating* sw, intp lo, intp hi, intp nb,
                     const floating* acts, floating* deltas,
                     const floating* later=NULL, intp lowest=1) noexcept nogil:
    """The deltas of layers lowest..L for samples lo..hi, laid out like the
    activations in deltas.

    Output layer: see `output_delta`, times the sample's weight sw[s] when sw
    is not NULL; below: delta_prev = (delta . W) * f'(z_prev) (see
    `hidden_delta`).  Subnormal deltas are made 0 (see nn_flush_subnormal).
    Layer 1's weights are not read: the parameters of layers 2..L are those
    in params, or if later is not NULL those there (see `forward_rows`).
    Only the step's starting weights are read, so no weight may change meanwhile.
    """
    cdef intp l, s, j, n_in, n_out
    cdef intp offset = nb * activation_count(net)
    cdef const floating* w_end = params + n_params
    if later != NULL:
        w_end = later + later_layer_params(net)
    cdef const floating* w
    cdef floating* delta

    n_out = net.sizes[net.n_layers - 1]
    offset -= nb * n_out
    output_delta(loss, net.kinds[net.n_layers - 2], deltas + offset + lo * n_out,
                 acts + offset + lo * n_out, y + lo * n_out, (hi - lo) * n_out)
    if sw != NULL:
        for s in range(lo, hi):
            for j in range(n_out):
                deltas[offset + s * n_out + j] *= sw[s]
    flush_subnormal(deltas + offset + lo * n_out, (hi - lo) * n_out)
    for l in range(net.n_layers - 1, lowest, -1):
        n_out = net.sizes[l]
        n_in = net.sizes[l - 1]
        delta = deltas + offset
        w = w_end - n_out - n_out * n_in
        w_end = w
        offset -= nb * n_in
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
                       const floating* x, const floating* y, const floating* sw, intp nb,
                       const floating* first, floating* acts, floating* deltas,
                       floating* losses, int part, int parts) noexcept nogil:
    """Forward pass and deltas for part ``part`` of ``parts`` of the samples, and
    each sample's loss into losses (when it is not NULL); with sample weights
    sw (not NULL), each sample's loss and deltas are scaled by its weight.
    With first not NULL, layer 1's activations are gathered from its blocks
    (see `first_layer_share`) and the deltas stop at layer 2: the threads
    compute layer 1's by neurons (see `first_layer_step`)."""
    cdef intp s, lo = part_start(nb, part, parts), hi = part_start(nb, part + 1, parts)
    cdef intp n_out = net.sizes[net.n_layers - 1]
    cdef const floating* outputs = acts + nb * (activation_count(net) - n_out)
    if first != NULL:
        gather_first(net, first, nb, lo, hi, parts, acts)
        forward_rows(net, params, NULL, x, lo, hi, nb, acts, NULL, 2)
    else:
        forward_rows(net, params, NULL, x, lo, hi, nb, acts)
    if losses != NULL:
        for s in range(lo, hi):
            losses[s] = rows_loss(loss, net.kinds[net.n_layers - 2], outputs + s * n_out,
                                  y + s * n_out, n_out, loss_eps(<floating>0))
            if sw != NULL:
                losses[s] *= sw[s]
    delta_rows(net, loss, params, n_params, y, sw, lo, hi, nb, acts, deltas, NULL,
               1 if first == NULL else 2)


cdef void first_layer_share(Net net, const floating* params, const floating* x, intp nb,
                            floating* first, int part, int parts) noexcept nogil:
    """Layer 1's activations of all nb samples, for part ``part`` of ``parts``
    of its neurons, into the part's block of first, (nb, its neurons) (see
    `part_block`): the rows of the weights that the same thread updates (see
    `first_layer_step`), so they stay in its core's cache, and a block that
    no other thread writes."""
    cdef intp n_in = net.sizes[0], n_out = net.sizes[1]
    cdef intp lo = part_start(n_out, part, parts), hi = part_start(n_out, part + 1, parts)
    cdef floating* block = part_block(net, first, nb, part, parts)
    if hi <= lo:
        return
    gemm_nt(nb, hi - lo, n_in, x, n_in, params + lo * n_in, n_in,
            params + n_out * n_in + lo, block, hi - lo)
    activate(net.kinds[0], block, nb, hi - lo)


cdef inline floating* part_block(Net net, floating* first, intp nb, int part,
                                 int parts) noexcept nogil:
    """Part ``part``'s block of layer 1 in first (nb x n_1 values): one after
    the other, each (nb, the part's neurons)."""
    return first + nb * part_start(net.sizes[1], part, parts)


cdef void gather_first(Net net, const floating* first, intp nb, intp lo, intp hi, int parts,
                       floating* acts) noexcept nogil:
    """Rows lo..hi of layer 1's activations (nb, n_1) in acts, from every
    part's block in first (see `first_layer_share`)."""
    cdef intp s, c_lo, width, n1 = net.sizes[1]
    cdef int p
    cdef const floating* block
    for p in range(parts):
        c_lo = part_start(n1, p, parts)
        width = part_start(n1, p + 1, parts) - c_lo
        block = part_block(net, <floating*>first, nb, p, parts)
        for s in range(lo, hi):
            memcpy(acts + s * n1 + c_lo, block + s * width, width * sizeof(floating))


cdef void first_layer_step(Net net, floating* target, bint accumulate, floating alpha,
                           const floating* x, intp nb, const floating* first,
                           const floating* delta2, const floating* w2, floating* delta1,
                           int part, int parts) noexcept nogil:
    """For part ``part`` of ``parts`` of layer 1's neurons (those of
    `first_layer_share`): their deltas, a block (nb, its neurons) into delta1,
    from layer 2's deltas delta2 (nb, n_2), its weights w2 (the step's
    starting values; only these neurons' columns are read) and the part's
    block of activations in first; then the step of their rows of weights
    and of their biases, as in `weight_share`."""
    cdef intp n0 = net.sizes[0], n1 = net.sizes[1], n2 = net.sizes[2]
    cdef intp lo = part_start(n1, part, parts), width = part_start(n1, part + 1, parts) - lo
    hidden_delta(net.kinds[0], nb, width, n2, delta2, w2 + lo, n1,
                 part_block(net, <floating*>first, nb, part, parts), delta1)
    gemm_nn(width, n0, nb, alpha, delta1, 1, width, x, n0, accumulate, target + lo * n0, n0)
    bias_share(target + n1 * n0 + lo, accumulate, alpha, delta1, nb, width, 0, width)


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


# ---------------------------------------------------------------------------
# The work of a step that is done weight by weight

cdef enum:
    BIAS_CHUNK = 64     # biases whose sums over the samples are kept at once


cdef void bias_share(floating* t, bint accumulate, floating alpha, const floating* delta,
                     intp nb, intp n_out, intp lo, intp hi) noexcept nogil:
    """t[j] = (t[j] if accumulate else 0) + alpha * sum over the nb samples of
    delta[s, j], for j in lo..hi: the sums of BIAS_CHUNK biases at a time, sample
    by sample (each in sample order), so that the additions of neighbouring
    biases overlap."""
    cdef floating total[BIAS_CHUNK]
    cdef intp j0 = lo, j, s, width
    while j0 < hi:
        width = min(<intp>BIAS_CHUNK, hi - j0)
        for j in range(width):
            total[j] = 0
        for s in range(nb):
            for j in range(width):
                total[j] += delta[s * n_out + j0 + j]
        for j in range(width):
            if accumulate:
                t[j0 + j] += alpha * total[j]
            else:
                t[j0 + j] = alpha * total[j]
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
                       floating alpha, const floating* params, const floating* x, intp nb,
                       const floating* acts, const floating* deltas, const floating* first,
                       int part, int parts) noexcept nogil:
    """For part ``part`` of ``parts`` of every layer's columns of weights and of
    its biases, laid out in ``target`` like the parameters:
    t_w = (t_w if accumulate else 0) + alpha * delta^T . a_prev and
    t_b = (t_b if accumulate else 0) + alpha * sum of delta.

    With target the parameters, accumulate and alpha = -learning_step / nb
    this is a gradient step; with accumulate off and alpha = 1 / nb it writes
    the mean gradient.  With first not NULL, layers 1 and 2 go by the part's
    neurons of layer 1 (see `layer_share`), whose deltas the part computes
    first, from the step's starting weights of layer 2 in params (see
    `first_layer_step`), and whose activations it reads from its block in
    first (see `first_layer_share`)."""
    cdef intp l, n_in, n_out, lda
    cdef floating* t = target
    cdef const floating* a_prev = x
    cdef const floating* a_cols
    cdef const floating* delta = deltas
    cdef Share sh
    for l in range(1, net.n_layers):
        n_in = net.sizes[l - 1]
        n_out = net.sizes[l]
        sh = layer_share(net, l, first != NULL, panel_width(t), part, parts)
        if first != NULL and l == 1:
            first_layer_step(net, t, accumulate, alpha, x, nb, first, deltas + nb * n_out,
                             params + first_layer_params(net), deltas + nb * sh.lo,
                             part, parts)
        else:
            if first != NULL and l == 2:
                a_cols = part_block(net, <floating*>first, nb, part, parts)
                lda = sh.hi - sh.lo
            else:
                a_cols = a_prev + sh.lo
                lda = n_in
            layer_gradient(t, accumulate, alpha, a_cols, lda, delta, nb, n_in, n_out, sh)
        t += n_out * (n_in + 1)
        a_prev = acts
        acts += nb * n_out
        delta += nb * n_out


cdef inline intp panel_width(const floating* dtype_only) noexcept nogil:
    """Columns per panel of gemm_nn in the kernels in use (the split of
    columns between threads follows it)."""
    return nn_panel_d if floating is double else nn_panel_s


cdef void layer_gradient(floating* t, bint accumulate, floating alpha, const floating* a_cols,
                         intp lda, const floating* delta, intp nb, intp n_in, intp n_out,
                         Share sh) noexcept nogil:
    """`weight_share` for one layer (t its weights, then its biases) and one
    share of its columns: a_cols is the previous layer's activations from
    column sh.lo on, rows lda apart."""
    gemm_nn(n_out, sh.hi - sh.lo, nb, alpha, delta, 1, n_out, a_cols, lda, accumulate,
            t + sh.lo, n_in)
    bias_share(t + n_out * n_in, accumulate, alpha, delta, nb, n_out, sh.j_lo, sh.j_hi)


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
    intp t                  # steps taken, this one included (Adam's bias correction)


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
        c1 = 1 - opt.beta1 ** opt.t
        c2 = 1 - opt.beta2 ** opt.t
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
    cdef intp grain = panel_width(params)
    cdef bint finite = True
    cdef Share sh
    for l in range(1, net.n_layers):
        n_in = net.sizes[l - 1]
        n_out = net.sizes[l]
        sh = layer_share(net, l, by_neurons, grain, part, parts)
        if sh.by_rows:
            update_range(opt, params, grad, state, n_params, start + sh.lo * n_in,
                         start + sh.hi * n_in, opt.l2)
            finite = finite and all_finite(params + start + sh.lo * n_in,
                                           (sh.hi - sh.lo) * n_in)
        else:
            for j in range(n_out):
                update_range(opt, params, grad, state, n_params, start + j * n_in + sh.lo,
                             start + j * n_in + sh.hi, opt.l2)
                finite = finite and all_finite(params + start + j * n_in + sh.lo,
                                               sh.hi - sh.lo)
        start += n_out * n_in
        update_range(opt, params, grad, state, n_params, start + sh.j_lo, start + sh.j_hi, 0)
        finite = finite and all_finite(params + start + sh.j_lo, sh.j_hi - sh.j_lo)
        start += n_out
    return finite


# ---------------------------------------------------------------------------
# Forward pass and losses

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


cdef void forward_blocks(Net net, int loss, const floating* params, const floating[:, ::1] X,
                         floating* work, intp block_work, int n_threads, floating* out,
                         intp* first_nonfinite, const floating[:, ::1] Y,
                         double* block_losses) noexcept nogil:
    """Push the rows of X through the network block by block, the blocks shared
    between threads.  Per block, if asked: copy the outputs to out, note the
    first row of X that is not finite in first_nonfinite (or -1), and put the
    sum of the losses against Y in block_losses."""
    cdef intp n_samples = X.shape[0]
    cdef intp n_in = net.sizes[0]
    cdef intp n_out = net.sizes[net.n_layers - 1]
    cdef intp n_blocks = (n_samples + FORWARD_BLOCK - 1) // FORWARD_BLOCK
    cdef intp last_layer = activation_count(net) - n_out
    cdef intp block, start, nb
    cdef intp block_inputs = min(<intp>FORWARD_BLOCK, n_samples) * n_in
    cdef floating* acts
    cdef floating* a
    cdef const floating* inputs
    cdef int parts = <int>max(1, min(<intp>n_threads, n_blocks))
    cdef const floating* packed = NULL
    if n_samples >= PACK_MIN_ROWS:
        packed = pack_layers(net, params, work + parts * block_work)
    for block in prange(n_blocks, num_threads=parts, schedule="static"):
        start = block * FORWARD_BLOCK
        nb = min(<intp>FORWARD_BLOCK, n_samples - start)
        acts = work + threadid() * block_work
        inputs = &X[start, 0]
        if packed == NULL and <size_t>inputs % ALIGNMENT:
            # The kernels load 64 bytes at a time: rows that start off a cache
            # line are copied onto one first (the copy costs less than the
            # split loads would).
            memcpy(acts + block_work - block_inputs, inputs, nb * n_in * sizeof(floating))
            inputs = acts + block_work - block_inputs
        forward_rows(net, params, packed, inputs, 0, nb, nb, acts,
                     &first_nonfinite[block] if first_nonfinite != NULL else NULL)
        if first_nonfinite != NULL and first_nonfinite[block] >= 0:
            first_nonfinite[block] += start
        a = acts + nb * last_layer
        if out != NULL:
            memcpy(out + start * n_out, a, nb * n_out * sizeof(floating))
        if block_losses != NULL:
            block_losses[block] = rows_loss(loss, net.kinds[net.n_layers - 2], a,
                                            &Y[start, 0], nb * n_out, loss_eps(<floating>0))


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
    cdef intp n_blocks = (n_samples + FORWARD_BLOCK - 1) // FORWARD_BLOCK
    cdef intp block_work = min(n_samples, FORWARD_BLOCK) * (activation_count(net) + net.sizes[0])
    cdef intp* first_nonfinite = <intp*>malloc(n_blocks * sizeof(intp))
    if first_nonfinite == NULL:
        raise MemoryError()
    try:
        with nogil:
            forward_blocks(net, SQUARED_ERROR, &params[0], X, &work[0], block_work, n_threads,
                           &out[0, 0], first_nonfinite, X, NULL)
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
            forward_blocks(net, loss, &params[0], X, &work[0], block_work, n_threads,
                           NULL, NULL, Y, block_losses)
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


# ---------------------------------------------------------------------------
# The training loops

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
    void* sw                # the samples' weights, or NULL when all weigh 1
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
    cdef floating* sw
    cdef intp i, n_in = net.sizes[0], n_out = net.sizes[net.n_layers - 1]
    cdef floating* x = aligned(work)
    cdef floating* y = aligned(x + nb * n_in)
    cdef floating* acts = aligned(y + nb * n_out)
    for i in range(nb):
        memcpy(x + i * n_in, &X[rows[i], 0], n_in * sizeof(floating))
        memcpy(y + i * n_out, &Y[rows[i], 0], n_out * sizeof(floating))
    batch.nb = nb
    batch.step_work = nb * n_params
    batch.parts = split(batch.step_work, nb, n_threads)
    batch.x = x
    batch.y = y
    batch.acts = acts
    batch.deltas = aligned(acts + nb * activation_count(net))
    batch.losses = aligned(<floating*>batch.deltas + nb * activation_count(net))
    batch.sw = NULL
    batch.weight_sum = nb
    sw = aligned(<floating*>batch.losses + nb)
    if sample_weight != NULL:
        batch.sw = sw
        batch.weight_sum = 0
        for i in range(nb):
            sw[i] = sample_weight[rows[i]]
            batch.weight_sum += sw[i]
    batch.first = NULL
    if by_neurons and batch.parts > 1 and net.n_layers > 2:
        batch.first = aligned(sw + nb)
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
                     <floating*>batch.sw, batch.nb, NULL, <floating*>batch.acts,
                     <floating*>batch.deltas, losses, 0, 1)
        return
    for part in prange(batch.parts, num_threads=batch.parts, schedule="static"):
        sample_share(net, loss, params, n_params, <floating*>batch.x, <floating*>batch.y,
                     <floating*>batch.sw, batch.nb, <floating*>batch.first,
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


# ---------------------------------------------------------------------------
# SGD steps with the layers after the first replicated in every thread

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
    cdef floating* t = <floating*>replica.later
    gather_first(net, <floating*>batch.first, nb, 0, nb, parts, acts)
    forward_rows(net, params, NULL, x, 0, nb, nb, acts, NULL, 2, t)
    delta_rows(net, SQUARED_ERROR, params, n_params, <floating*>batch.y, NULL, 0, nb, nb,
               acts, deltas, t, 2)
    # (The block of layer 1's deltas goes in the space of layer 1's deltas,
    # which no one else reads.)
    first_layer_step(net, params, True, alpha, x, nb, <floating*>batch.first,
                     deltas + nb * net.sizes[1], t, deltas, part, parts)
    for l in range(2, net.n_layers):
        n_in = net.sizes[l - 1]
        n_out = net.sizes[l]
        layer_gradient(t, True, alpha, acts, n_in, deltas + nb * n_in, nb, n_in, n_out,
                       layer_share(net, l, False, panel_width(params), 0, 1))
        t += n_out * (n_in + 1)
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
    cdef const floating* sw = weights_or_null(sample_weight)
    n_threads = check_threads(n_threads)
    check_loss(net, loss)
    check_batch(net, params.shape[0], X.shape[0], X.shape[1], Y.shape[0], Y.shape[1],
                rows, rows.shape[0], work.shape[0])
    check_sample_weight(sample_weight, X.shape[0])
    if grad.shape[0] != params.shape[0]:
        raise ValueError(f"grad must hold {params.shape[0]} values; got {grad.shape[0]}")
    with nogil:
        batch = gather(net, X, Y, sw, &rows[0], rows.shape[0], &work[0], params.shape[0],
                       n_threads)
        samples_phase(net, loss, &params[0], params.shape[0], &batch, True)
        look_for_ctrl_c(0, False)
        weights_phase(net, &batch, &grad[0], False, <floating>mean_factor(&batch))
        total = batch_loss(&batch, <floating*>batch.losses)
    return total


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
    cdef intp l, start = 0, end, first, last
    cdef double total = 0
    for l in range(1, net.n_layers):
        end = start + net.sizes[l] * net.sizes[l - 1]
        first = max(lo, start)
        last = min(hi, end)
        if first < last:
            total += sum_squares(params + first, last - first)
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
    opt.t = 0
    return opt


def train_epoch(const intp[::1] sizes, const int[::1] kinds, int loss,
                floating[::1] params, const floating[:, ::1] X, const floating[:, ::1] Y,
                const intp[::1] rows, const floating[::1] sample_weight, intp batch_size,
                dict optimizer, intp steps_before, floating[::1] state, floating[::1] grad,
                floating[::1] work, double[:, ::1] batch_stats, intp[::1] completed,
                int n_threads=1):
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
    cdef const floating* sw = weights_or_null(sample_weight)
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
    completed[0] = 0
    square_sums = <double*>malloc((n_params // SQUARES_CHUNK + 1) * sizeof(double))
    if square_sums == NULL:
        raise MemoryError()
    try:
        with nogil:
            for b in range(n_batches):
                start = b * batch_size
                batch = gather(net, X, Y, sw, &rows[start], min(batch_size, n_rows - start),
                               &work[0], n_params, n_threads, True)
                if batch.first != NULL:
                    first_layer_phase(net, &params[0], &batch)
                samples_phase(net, loss, &params[0], n_params, &batch, True)
                batch_stats[b, 0] = batch_loss(&batch, <floating*>batch.losses)
                batch_stats[b, 1] = batch.weight_sum
                batch_stats[b, 2] = (squared_weights(net, &params[0], n_params, square_sums,
                                                     n_threads) if l2 != 0 else 0)
                opt.t = steps_before + b + 1
                opt.l2 = l2
                if opt.l2_over_weight:
                    opt.l2 = l2 / batch.weight_sum if batch.weight_sum > 0 else 0
                if not step_phase(net, &batch, &opt, &params[0], &grad[0],
                                  &state[0] if state.shape[0] else NULL, n_params):
                    break
                completed[0] = b + 1
                since_check += batch.step_work
                if since_check >= signal_check_work:
                    since_check = 0
                    look_for_ctrl_c(b, True)
    finally:
        free(square_sums)

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

Samples are rows: the values of layer l for a block of ``n_samples``
samples form an (n_samples, n_l) row-major array.  The training drivers lay a
batch out in one work buffer of the parameters' type (see `Batch`).  A training step has two phases: the work of each
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
from libc.float cimport DBL_EPSILON, FLT_EPSILON
from libc.math cimport INFINITY, exp, expm1, expm1f, log, sqrt, sqrtf
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
    # Neurons a thread must get before a layer of a few rows is split between
    # threads by neurons (see forward_by_neurons): two tiles of columns.
    NEURONS_PER_THREAD = 32
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


# The core, by concern (each file is included here, as if written in place).
include "_core_layout.pxi"
include "_core_elementwise.pxi"
include "_core_samples.pxi"
include "_core_weights.pxi"
include "_core_forward.pxi"
include "_core_steps.pxi"
include "_core_replicas.pxi"
include "_core_epochs.pxi"

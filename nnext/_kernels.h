/*
 * Blocked matrix-product kernels for nnext's compiled core.
 *
 * The kernels (two matrix products cover a training step):
 *
 *   nn_gemm_nt:  C[i][j] = bias[j] + sum_p A[i][p] * B[j][p]
 *                (the forward pass: rows of A are samples, rows of B neurons)
 *   nn_gemm_nn:  C[i][:] = beta * C[i][:] + alpha * sum_p A(i, p) * B[p][:]
 *                (back-propagated deltas and the fused gradient update; A is
 *                read with any strides, so it can be a matrix or its transpose)
 *   nn_sigmoid, nn_tanh, nn_exp_nonpositive_array: x[i] = f(x[i]), vectorised,
 *                within a few ulps of the exact value (exp for x <= 0 only)
 *   nn_all_finite: whether x[0..n) holds no NaN or infinity
 *   nn_sgd_update, nn_momentum_update, nn_adam_update: the optimizers' steps
 *
 * Each is built from register tiles: a tile keeps a small block of C in vector
 * registers while it streams over p, so every value loaded feeds several
 * multiply-adds.  Vectors are GCC/Clang vector extensions of 32 bytes; the
 * same source is compiled twice, for the x86-64 baseline and for AVX2 + FMA,
 * and nn_select_kernels() picks one at import time by CPU feature, so a wheel
 * built for any x86-64 runs everywhere and uses the wide units where they
 * exist.  Every element of C is computed by the same sequence of operations
 * whatever the tile or the split between threads, so results do not depend
 * on the thread count.
 */
#ifndef NNEXT_KERNELS_H
#define NNEXT_KERNELS_H

#include <stddef.h>
#include <string.h>

typedef ptrdiff_t nn_intp;

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define NN_HAVE_AVX2_VARIANT 1
#define NN_TARGET_AVX2 __attribute__((target("avx2,fma")))
#else
#define NN_HAVE_AVX2_VARIANT 0
#define NN_TARGET_AVX2
#endif

#define NN_INLINE static inline __attribute__((always_inline))

#ifdef _OPENMP
#define NN_OPENMP 1
#else
#define NN_OPENMP 0
#endif

/* Tile sizes: rows x columns of C held in registers (12 vector accumulators;
 * with the NR vectors of B and one of A, the 16 registers of AVX2). */
#define NN_NT_MR 4
#define NN_NT_NR 3
/* Rows of B (neurons) that the forward kernel keeps in L2: 200 kB at k = 784. */
#define NN_NT_NB (256 / (nn_intp)sizeof(NN_REAL))
#define NN_NN_MR 4
#define NN_NN_NV 3

/* One instantiation per (type, instruction set). */
#define NN_REAL double
#define NN_VLEN 4
#define NN_SQRT __builtin_sqrt
#define NN_TARGET
#define NN_FMA 0
#define NN_NAME(x) x##_d_base
#include "_kernels_impl.h"
#undef NN_TARGET
#undef NN_FMA
#undef NN_NAME
#define NN_TARGET NN_TARGET_AVX2
#define NN_FMA NN_HAVE_AVX2_VARIANT
#define NN_NAME(x) x##_d_avx2
#include "_kernels_impl.h"
#undef NN_TARGET
#undef NN_FMA
#undef NN_NAME
#undef NN_REAL
#undef NN_VLEN
#undef NN_SQRT

#define NN_REAL float
#define NN_VLEN 8
#define NN_SQRT __builtin_sqrtf
#define NN_TARGET
#define NN_FMA 0
#define NN_NAME(x) x##_s_base
#include "_kernels_impl.h"
#undef NN_TARGET
#undef NN_FMA
#undef NN_NAME
#define NN_TARGET NN_TARGET_AVX2
#define NN_FMA NN_HAVE_AVX2_VARIANT
#define NN_NAME(x) x##_s_avx2
#include "_kernels_impl.h"
#undef NN_TARGET
#undef NN_FMA
#undef NN_NAME
#undef NN_REAL
#undef NN_VLEN
#undef NN_SQRT

/* The kernels in use, called through pointers nn_<kernel>_d and nn_<kernel>_s. */
#define NN_KERNELS(X) X(gemm_nt) X(gemm_nn) X(sigmoid) X(tanh) X(exp_nonpositive_array) \
    X(all_finite) X(sgd_update) X(momentum_update) X(adam_update)

#define NN_DECLARE(kernel)                                                    \
    static __typeof__(kernel##_d_base) *nn_##kernel##_d = kernel##_d_base;   \
    static __typeof__(kernel##_s_base) *nn_##kernel##_s = kernel##_s_base;
NN_KERNELS(NN_DECLARE)

static int nn_cpu_has_avx2_fma(void)
{
#if NN_HAVE_AVX2_VARIANT
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

#define NN_USE_BASE(kernel) nn_##kernel##_d = kernel##_d_base; nn_##kernel##_s = kernel##_s_base;
#define NN_USE_AVX2(kernel) nn_##kernel##_d = kernel##_d_avx2; nn_##kernel##_s = kernel##_s_avx2;

/* Use the AVX2 + FMA kernels if asked and the CPU has them; returns whether they are in use. */
static int nn_select_kernels(int avx2)
{
#if NN_HAVE_AVX2_VARIANT
    if (avx2 && nn_cpu_has_avx2_fma()) {
        NN_KERNELS(NN_USE_AVX2)
        return 1;
    }
#endif
    NN_KERNELS(NN_USE_BASE)
    return 0;
}

#endif

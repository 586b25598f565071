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
 *   nn_sigmoid:  x[i] = 1 / (1 + exp(-x[i])), vectorised, within 3 ulps of the exact value
 *   nn_all_finite: whether x[0..n) holds no NaN or infinity
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

#define NN_REAL float
#define NN_VLEN 8
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

/* The kernels in use, called through these pointers. */
static void (*nn_gemm_nt_d)(nn_intp, nn_intp, nn_intp, const double *, nn_intp,
                            const double *, nn_intp, const double *, double *, nn_intp)
    = gemm_nt_d_base;
static void (*nn_gemm_nn_d)(nn_intp, nn_intp, nn_intp, double, const double *, nn_intp,
                            nn_intp, const double *, nn_intp, int, double *, nn_intp)
    = gemm_nn_d_base;
static void (*nn_gemm_nt_s)(nn_intp, nn_intp, nn_intp, const float *, nn_intp,
                            const float *, nn_intp, const float *, float *, nn_intp)
    = gemm_nt_s_base;
static void (*nn_gemm_nn_s)(nn_intp, nn_intp, nn_intp, float, const float *, nn_intp,
                            nn_intp, const float *, nn_intp, int, float *, nn_intp)
    = gemm_nn_s_base;

static void (*nn_sigmoid_d)(double *, nn_intp) = sigmoid_d_base;
static void (*nn_sigmoid_s)(float *, nn_intp) = sigmoid_s_base;
static int (*nn_all_finite_d)(const double *, nn_intp) = all_finite_d_base;
static int (*nn_all_finite_s)(const float *, nn_intp) = all_finite_s_base;

static int nn_cpu_has_avx2_fma(void)
{
#if NN_HAVE_AVX2_VARIANT
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

#define NN_USE_KERNELS(variant)                 \
    do {                                        \
        nn_gemm_nt_d = gemm_nt_d_##variant;     \
        nn_gemm_nn_d = gemm_nn_d_##variant;     \
        nn_gemm_nt_s = gemm_nt_s_##variant;     \
        nn_gemm_nn_s = gemm_nn_s_##variant;     \
        nn_sigmoid_d = sigmoid_d_##variant;     \
        nn_sigmoid_s = sigmoid_s_##variant;     \
        nn_all_finite_d = all_finite_d_##variant; \
        nn_all_finite_s = all_finite_s_##variant; \
    } while (0)

/* Use the AVX2 + FMA kernels if asked and the CPU has them; returns whether they are in use. */
static int nn_select_kernels(int avx2)
{
    if (avx2 && nn_cpu_has_avx2_fma()) {
        NN_USE_KERNELS(avx2);
        return 1;
    }
    NN_USE_KERNELS(base);
    return 0;
}

#endif

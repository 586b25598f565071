/*
 * Blocked matrix-product kernels for nnext's compiled core.
 *
 * The kernels (two matrix products cover a training step):
 *
 *   nn_gemm_nt:  C[i][j] = bias[j] + sum_p A[i][p] * B[j][p]
 *                (the forward pass: rows of A are samples, rows of B neurons)
 *   nn_pack_nt, nn_gemm_packed: the same product in two steps, for many rows:
 *                B and bias packed once into panels, then C from the panels
 *   nn_gemm_nn:  C[i][:] = beta * C[i][:] + alpha * sum_p A(i, p) * B[p][:]
 *                (back-propagated deltas and the fused gradient update; A is
 *                read with any strides, so it can be a matrix or its transpose)
 *   nn_sigmoid, nn_tanh, nn_exp_nonpositive_array: x[i] = f(x[i]), vectorised,
 *                within a few ulps of the exact value (exp for x <= 0 only)
 *   nn_all_finite: whether x[0..n) holds no NaN or infinity
 *   nn_sum_squares: the sum of the squares of x[0..n), in double
 *   nn_flush_subnormal: x[i] = 0 where x[i] is subnormal
 *   nn_times_slope: delta[i] *= the sigmoid's or tanh's slope, from a[i]
 *   nn_sgd_update, nn_momentum_update, nn_adam_update: the optimizers' steps
 *
 * Each is built from register tiles: a tile keeps a small block of C in vector
 * registers while it streams over p, so every value loaded feeds several
 * multiply-adds.  Vectors are GCC/Clang vector extensions; the same source is
 * compiled three times (_kernels_variants.h): for the x86-64 baseline and for
 * AVX2 + FMA with 32-byte vectors, and for AVX-512 with 64-byte vectors and
 * larger tiles (it has 32 vector registers); other architectures build the
 * baseline alone.  nn_select_kernels() picks one at import time by CPU feature, so a wheel built for any x86-64 runs
 * everywhere and uses the wide units where they exist.  Every element of C is
 * computed by the same sequence of operations whatever the tile or the split
 * between threads, so results do not depend on the thread count.
 */
#ifndef NNEXT_KERNELS_H
#define NNEXT_KERNELS_H

#include <stddef.h>
#include <string.h>

typedef ptrdiff_t nn_intp;

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define NN_X86 1
#define NN_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define NN_TARGET_AVX512 __attribute__((target("avx512f,avx512dq,avx512vl,avx2,fma")))
#else
#define NN_X86 0
#define NN_TARGET_AVX2
#define NN_TARGET_AVX512
#endif

#define NN_INLINE static inline __attribute__((always_inline))

#ifdef _OPENMP
#define NN_OPENMP 1
#else
#define NN_OPENMP 0
#endif

/* 1 / k! for k = 0..13: the coefficients of exp's Taylor polynomial. */
static const double nn_inverse_factorial[14] = {
    1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040, 1.0 / 40320,
    1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800.0};

/* One instantiation per (type, instruction set); see _kernels_variants.h. */
#define NN_JOIN_(a, b, c) a##b##c
#define NN_JOIN(a, b, c) NN_JOIN_(a, b, c)

#define NN_REAL double
#define NN_DOUBLE 1
#define NN_SQRT __builtin_sqrt
#define NN_TYPE _d
#include "_kernels_variants.h"
#undef NN_REAL
#undef NN_DOUBLE
#undef NN_SQRT
#undef NN_TYPE

#define NN_REAL float
#define NN_DOUBLE 0
#define NN_SQRT __builtin_sqrtf
#define NN_TYPE _s
#include "_kernels_variants.h"
#undef NN_REAL
#undef NN_DOUBLE
#undef NN_SQRT
#undef NN_TYPE

/* The kernels in use, called through pointers nn_<kernel>_d and nn_<kernel>_s. */
#define NN_KERNELS(X) X(gemm_nt) X(gemm_nn) X(pack_nt) X(gemm_packed) X(sigmoid) X(tanh) X(exp_nonpositive_array) \
    X(all_finite) X(sum_squares) X(flush_subnormal) X(times_slope) X(sgd_update) X(momentum_update) X(adam_update)

#define NN_DECLARE(kernel)                                                    \
    static __typeof__(kernel##_d_base) *nn_##kernel##_d = kernel##_d_base;   \
    static __typeof__(kernel##_s_base) *nn_##kernel##_s = kernel##_s_base;
NN_KERNELS(NN_DECLARE)

/* The variants this CPU can run: 0 baseline, 1 AVX2 + FMA, 2 AVX-512. */
static int nn_best_variant(void)
{
#if NN_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
            && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma"))
        return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return 1;
#endif
    return 0;
}

#define NN_USE(kernel, variant) \
    nn_##kernel##_d = kernel##_d_##variant; nn_##kernel##_s = kernel##_s_##variant;
#define NN_USE_BASE(kernel) NN_USE(kernel, base)
#define NN_USE_AVX2(kernel) NN_USE(kernel, avx2)
#define NN_USE_AVX512(kernel) NN_USE(kernel, avx512)

/* Columns per panel of nn_gemm_nn in the kernels in use: splitting the columns
 * between threads on whole panels keeps every panel whole.  (Any split gives
 * the same bits: a column takes the same operations in a panel or past one.) */
static nn_intp nn_panel_d = NN_NN_NV_BASE * 32 / 8, nn_panel_s = NN_NN_NV_BASE * 32 / 4;

/* Use the kernels of variant `wanted` (0 baseline, 1 AVX2 + FMA, 2 AVX-512),
 * or of the best variant below it that the CPU runs; returns the variant in use. */
static int nn_select_kernels(int wanted)
{
    int variant = wanted < nn_best_variant() ? wanted : nn_best_variant();
#if NN_X86
    if (variant == 2) {
        NN_KERNELS(NN_USE_AVX512)
        nn_panel_d = NN_NN_NV_AVX512 * 64 / 8;
        nn_panel_s = NN_NN_NV_AVX512 * 64 / 4;
    } else if (variant == 1) {
        NN_KERNELS(NN_USE_AVX2)
        nn_panel_d = NN_NN_NV_AVX2 * 32 / 8;
        nn_panel_s = NN_NN_NV_AVX2 * 32 / 4;
    } else
#endif
    {
        NN_KERNELS(NN_USE_BASE)
        nn_panel_d = NN_NN_NV_BASE * 32 / 8;
        nn_panel_s = NN_NN_NV_BASE * 32 / 4;
    }
    return variant;
}

#endif

/*
 * The kernels for one floating-point type and instruction set; included by
 * _kernels_variants.h once per pair with NN_REAL (the type), NN_DOUBLE (1 for
 * double), NN_SQRT (its square root), NN_VBYTES (the vector width in bytes),
 * NN_TARGET (a target attribute or nothing), NN_FMA (1 where the target has
 * fused multiply-adds), the tile sizes and NN_NAME(x) (which suffixes a name)
 * defined.
 *
 * Every multiply-add is written as madd / smadd: fused where NN_FMA is 1,
 * a multiplication then an addition elsewhere.  The build turns the
 * compiler's own contraction off (-ffp-contract=off), so each variant
 * computes the same bits at every optimisation level.
 */

#if NN_DOUBLE
#define NN_VLEN (NN_VBYTES / 8)
#else
#define NN_VLEN (NN_VBYTES / 4)
#endif
/* Rows of B (neurons) that the forward kernel keeps in L2: 200 kB at k = 784. */
#define NN_NT_NB (256 / (nn_intp)sizeof(NN_REAL))

typedef NN_REAL NN_NAME(vec) __attribute__((vector_size(NN_VBYTES)));

/* Every lane x.  (Not 0 + x: that addition is not the identity for x = -0,
 * so the compiler would have to perform it.) */
NN_INLINE NN_TARGET NN_NAME(vec) NN_NAME(splat)(NN_REAL x)
{
#if NN_VLEN == 4
    return (NN_NAME(vec)){x, x, x, x};
#elif NN_VLEN == 8
    return (NN_NAME(vec)){x, x, x, x, x, x, x, x};
#else
    return (NN_NAME(vec)){x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x};
#endif
}

/* a * b + c for vectors and for scalars. */
NN_INLINE NN_TARGET NN_NAME(vec) NN_NAME(madd)(NN_NAME(vec) a, NN_NAME(vec) b, NN_NAME(vec) c)
{
#if NN_FMA && NN_VBYTES == 64 && NN_DOUBLE
    return (NN_NAME(vec))_mm512_fmadd_pd((__m512d)a, (__m512d)b, (__m512d)c);
#elif NN_FMA && NN_VBYTES == 64
    return (NN_NAME(vec))_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)c);
#elif NN_FMA && NN_DOUBLE
    return (NN_NAME(vec))_mm256_fmadd_pd((__m256d)a, (__m256d)b, (__m256d)c);
#elif NN_FMA
    return (NN_NAME(vec))_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)c);
#else
    return a * b + c;
#endif
}

NN_INLINE NN_TARGET NN_REAL NN_NAME(smadd)(NN_REAL a, NN_REAL b, NN_REAL c)
{
#if NN_FMA && NN_DOUBLE
    return __builtin_fma(a, b, c);
#elif NN_FMA
    return __builtin_fmaf(a, b, c);
#else
    return a * b + c;
#endif
}

NN_INLINE NN_TARGET NN_NAME(vec) NN_NAME(load)(const NN_REAL *p)
{
    NN_NAME(vec) v;
    memcpy(&v, p, sizeof v);
    return v;
}

NN_INLINE NN_TARGET void NN_NAME(store)(NN_REAL *p, NN_NAME(vec) v)
{
    memcpy(p, &v, sizeof v);
}

#if NN_FMA && NN_X86 && NN_VBYTES == 32
/* An AVX2 mask: all bits set in the lanes below n. */
NN_INLINE NN_TARGET __m256i NN_NAME(lanes_below)(int n)
{
#if NN_DOUBLE
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
#else
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
#endif
}
#endif

/* The first n < NN_VLEN lanes from or to memory (no access past them), where
 * the instruction set has masked loads and stores: AVX2's and AVX-512's. */
#define NN_MASKED (NN_FMA && NN_X86)
#if NN_MASKED
NN_INLINE NN_TARGET NN_NAME(vec) NN_NAME(load_part)(const NN_REAL *p, int n)
{
#if NN_VBYTES == 64 && NN_DOUBLE
    return (NN_NAME(vec))_mm512_maskz_loadu_pd((__mmask8)((1u << n) - 1), p);
#elif NN_VBYTES == 64
    return (NN_NAME(vec))_mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), p);
#elif NN_DOUBLE
    return (NN_NAME(vec))_mm256_maskload_pd(p, NN_NAME(lanes_below)(n));
#else
    return (NN_NAME(vec))_mm256_maskload_ps(p, NN_NAME(lanes_below)(n));
#endif
}

NN_INLINE NN_TARGET void NN_NAME(store_part)(NN_REAL *p, NN_NAME(vec) v, int n)
{
#if NN_VBYTES == 64 && NN_DOUBLE
    _mm512_mask_storeu_pd(p, (__mmask8)((1u << n) - 1), (__m512d)v);
#elif NN_VBYTES == 64
    _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1), (__m512)v);
#elif NN_DOUBLE
    _mm256_maskstore_pd(p, NN_NAME(lanes_below)(n), (__m256d)v);
#else
    _mm256_maskstore_ps(p, NN_NAME(lanes_below)(n), (__m256)v);
#endif
}
#endif

/* The sum of the lanes, by halves: (lanes 0-7 + lanes 8-15), then again,
 * down to one lane.  Without -ffast-math, a loop over the lanes would be
 * compiled as it reads, an extraction and a dependent addition per lane,
 * which cost the forward kernel up to a third of its time. */
typedef NN_REAL NN_NAME(half32) __attribute__((vector_size(32)));
typedef NN_REAL NN_NAME(half16) __attribute__((vector_size(16)));

NN_INLINE NN_TARGET NN_REAL NN_NAME(hsum)(NN_NAME(vec) v)
{
    NN_NAME(half32) s32;
    NN_NAME(half16) s16;
#if NN_X86 && NN_VBYTES == 64 && NN_DOUBLE
    s32 = (NN_NAME(half32))_mm256_add_pd(_mm512_castpd512_pd256((__m512d)v),
                                         _mm512_extractf64x4_pd((__m512d)v, 1));
#elif NN_X86 && NN_VBYTES == 64
    s32 = (NN_NAME(half32))_mm256_add_ps(_mm512_castps512_ps256((__m512)v),
                                         _mm512_extractf32x8_ps((__m512)v, 1));
#else
    s32 = v;
#endif
#if NN_X86 && NN_FMA && NN_DOUBLE
    s16 = (NN_NAME(half16))_mm_add_pd(_mm256_castpd256_pd128((__m256d)s32),
                                      _mm256_extractf128_pd((__m256d)s32, 1));
#elif NN_X86 && NN_FMA
    s16 = (NN_NAME(half16))_mm_add_ps(_mm256_castps256_ps128((__m256)s32),
                                      _mm256_extractf128_ps((__m256)s32, 1));
#else
    NN_NAME(half16) lo, hi;
    memcpy(&lo, &s32, 16);
    memcpy(&hi, (const char *)&s32 + 16, 16);
    s16 = lo + hi;
#endif
#if NN_DOUBLE
    return s16[0] + s16[1];
#else
    return (s16[0] + s16[2]) + (s16[1] + s16[3]);
#endif
}

#if NN_X86 && NN_VBYTES == 64 && NN_NT_NR == 4
/* hsum of four vectors at once, with the same additions in the same pairs,
 * so the same bits: each step adds two shuffles of a pair of vectors, which
 * halves every vector of the pair.  A quarter of hsum's shuffles, which share
 * a port with the multiply-adds. */
#define NN_HSUM4 1
typedef NN_REAL NN_NAME(four) __attribute__((vector_size(4 * sizeof(NN_REAL))));

NN_INLINE NN_TARGET NN_NAME(four) NN_NAME(hsum4)(const NN_NAME(vec) v[4])
{
#if NN_DOUBLE
    __m512d a = (__m512d)v[0], b = (__m512d)v[1], c = (__m512d)v[2], d = (__m512d)v[3];
    /* halves: [lanes 0-3 + 4-7 of a | of b] */
    __m512d ab = _mm512_add_pd(_mm512_shuffle_f64x2(a, b, 0x44), _mm512_shuffle_f64x2(a, b, 0xee));
    __m512d cd = _mm512_add_pd(_mm512_shuffle_f64x2(c, d, 0x44), _mm512_shuffle_f64x2(c, d, 0xee));
    /* quarters: [0-1 + 2-3 of a | of b | of c | of d] */
    __m512d q = _mm512_add_pd(_mm512_shuffle_f64x2(ab, cd, 0x88),
                              _mm512_shuffle_f64x2(ab, cd, 0xdd));
    q = _mm512_add_pd(q, _mm512_permute_pd(q, 0x55));
    return (NN_NAME(four))_mm512_castpd512_pd256(
        _mm512_permutexvar_pd(_mm512_setr_epi64(0, 2, 4, 6, 0, 0, 0, 0), q));
#else
    __m512 a = (__m512)v[0], b = (__m512)v[1], c = (__m512)v[2], d = (__m512)v[3];
    /* halves: [lanes 0-7 + 8-15 of a | of b] */
    __m512 ab = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x44), _mm512_shuffle_f32x4(a, b, 0xee));
    __m512 cd = _mm512_add_ps(_mm512_shuffle_f32x4(c, d, 0x44), _mm512_shuffle_f32x4(c, d, 0xee));
    /* quarters: [0-3 + 4-7 of a | of b | of c | of d] */
    __m512 q = _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, 0x88), _mm512_shuffle_f32x4(ab, cd, 0xdd));
    /* then (s0 + s2) + (s1 + s3) in each quarter */
    q = _mm512_add_ps(q, _mm512_permute_ps(q, 0x4e));
    q = _mm512_add_ps(q, _mm512_permute_ps(q, 0xb1));
    return (NN_NAME(four))_mm512_castps512_ps128(_mm512_permutexvar_ps(
        _mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), q));
#endif
}

/* a * b + c, lane by lane, for vectors of four. */
NN_INLINE NN_TARGET NN_NAME(four) NN_NAME(madd4)(NN_NAME(four) a, NN_NAME(four) b,
                                                 NN_NAME(four) c)
{
#if NN_DOUBLE
    return (NN_NAME(four))_mm256_fmadd_pd((__m256d)a, (__m256d)b, (__m256d)c);
#else
    return (NN_NAME(four))_mm_fmadd_ps((__m128)a, (__m128)b, (__m128)c);
#endif
}

/* nt_tile's sums and stores for a tile of four columns: each row's four
 * horizontal sums at once, then the products past the last whole vector
 * (k % NN_VLEN of them) and the biases, a column a lane. */
NN_INLINE NN_TARGET void NN_NAME(nt_finish4)(
    int mr, nn_intp vector_end, nn_intp k, NN_NAME(vec) acc[][NN_NT_NR], const NN_REAL *a,
    nn_intp lda, const NN_REAL *b, nn_intp ldb, const NN_REAL *bias, NN_REAL *c, nn_intp ldc)
{
    NN_NAME(four) tail[NN_VLEN], biases;
    for (nn_intp p = vector_end; p < k; p++)
        tail[p - vector_end] = (NN_NAME(four)){b[p], b[ldb + p], b[2 * ldb + p], b[3 * ldb + p]};
    memcpy(&biases, bias, sizeof biases);
    for (int r = 0; r < mr; r++) {
        NN_NAME(four) s = NN_NAME(hsum4)(acc[r]);
        for (nn_intp p = vector_end; p < k; p++) {
            NN_REAL x = a[r * lda + p];
            s = NN_NAME(madd4)((NN_NAME(four)){x, x, x, x}, tail[p - vector_end], s);
        }
        s = biases + s;
        memcpy(c + r * ldc, &s, sizeof s);
    }
}
#else
#define NN_HSUM4 0
#endif

/* C[r][q] = bias[q] + A[r][:] . B[q][:] for r < mr, q < nr. */
NN_INLINE NN_TARGET void NN_NAME(nt_tile)(
    int mr, int nr, nn_intp k, const NN_REAL *a, nn_intp lda, const NN_REAL *b, nn_intp ldb,
    const NN_REAL *bias, NN_REAL *c, nn_intp ldc)
{
    NN_NAME(vec) acc[NN_NT_MR][NN_NT_NR];
    nn_intp p, vector_end = k - k % NN_VLEN;

    for (int r = 0; r < mr; r++)
        for (int q = 0; q < nr; q++)
            acc[r][q] = (NN_NAME(vec)){0};
    /* nr vectors of B and one of A beside the accumulators: 16 registers. */
    for (p = 0; p < vector_end; p += NN_VLEN) {
        NN_NAME(vec) bv[NN_NT_NR];
        for (int q = 0; q < nr; q++)
            bv[q] = NN_NAME(load)(b + q * ldb + p);
        for (int r = 0; r < mr; r++) {
            NN_NAME(vec) av = NN_NAME(load)(a + r * lda + p);
            for (int q = 0; q < nr; q++)
                acc[r][q] = NN_NAME(madd)(av, bv[q], acc[r][q]);
        }
    }
#if NN_HSUM4
    if (nr == 4) {
        NN_NAME(nt_finish4)(mr, vector_end, k, acc, a, lda, b, ldb, bias, c, ldc);
        return;
    }
#endif
    for (int r = 0; r < mr; r++)
        for (int q = 0; q < nr; q++) {
            NN_REAL s = NN_NAME(hsum)(acc[r][q]);
            for (p = vector_end; p < k; p++)
                s = NN_NAME(smadd)(a[r * lda + p], b[q * ldb + p], s);
            c[r * ldc + q] = bias[q] + s;
        }
}

/* Rows i..i+mr of C, columns block..block_end, tile by tile. */
NN_INLINE NN_TARGET void NN_NAME(nt_rows)(
    int mr, nn_intp i, nn_intp block, nn_intp block_end, nn_intp k, const NN_REAL *a,
    nn_intp lda, const NN_REAL *b, nn_intp ldb, const NN_REAL *bias, NN_REAL *c, nn_intp ldc)
{
    nn_intp j;
    for (j = block; j + NN_NT_NR <= block_end; j += NN_NT_NR)
        NN_NAME(nt_tile)(mr, NN_NT_NR, k, a + i * lda, lda, b + j * ldb, ldb, bias + j,
                         c + i * ldc + j, ldc);
    for (; j < block_end; j++)
        NN_NAME(nt_tile)(mr, 1, k, a + i * lda, lda, b + j * ldb, ldb, bias + j,
                         c + i * ldc + j, ldc);
}

/* nt_rows for a group of mr <= NN_NT_MR rows, mr a constant in each call. */
NN_INLINE NN_TARGET void NN_NAME(nt_group)(
    int mr, nn_intp i, nn_intp block, nn_intp block_end, nn_intp k, const NN_REAL *a,
    nn_intp lda, const NN_REAL *b, nn_intp ldb, const NN_REAL *bias, NN_REAL *c, nn_intp ldc)
{
    _Static_assert(NN_NT_MR <= 6, "nt_group has a case for each group of up to 6 rows");
#define NN_GROUP(rows)                                                                     \
    case rows:                                                                             \
        NN_NAME(nt_rows)(rows, i, block, block_end, k, a, lda, b, ldb, bias, c, ldc);     \
        break;
    switch (mr) {
    NN_GROUP(1) NN_GROUP(2) NN_GROUP(3) NN_GROUP(4)
#if NN_NT_MR > 4
    NN_GROUP(5) NN_GROUP(6)
#endif
    }
#undef NN_GROUP
}

NN_TARGET static void NN_NAME(nt_blocks)(
    nn_intp m, nn_intp n, nn_intp k, const NN_REAL *a, nn_intp lda,
    const NN_REAL *b, nn_intp ldb, const NN_REAL *bias, NN_REAL *c, nn_intp ldc)
{
    /* Blocks of NN_NT_NB rows of B stay in L2 while every row of A passes,
     * in as few groups of rows as the tiles allow.  Each group reads the
     * whole block, and tiles of fewer than 4 rows run at half speed (AVX-512,
     * measured), so the groups are as even as possible where none gets
     * fewer than NN_NT_MR - 2 rows (50 rows: 6, 6, 6, 6, 6, 5, 5, 5, 5 rather
     * than eight 6s and a 2, 4% faster), and else full but the last. */
    nn_intp i, rows, left, block, block_end, groups = (m + NN_NT_MR - 1) / NN_NT_MR;
    int even = groups > 0 && m / groups >= NN_NT_MR - 2;
    for (block = 0; block < n; block = block_end) {
        block_end = n - block < NN_NT_NB ? n : block + NN_NT_NB;
        for (i = 0, left = groups; left > 0; i += rows, left--) {
            rows = even ? (m - i + left - 1) / left : (m - i < NN_NT_MR ? m - i : NN_NT_MR);
            NN_NAME(nt_group)((int)rows, i, block, block_end, k, a, lda, b, ldb, bias, c, ldc);
        }
    }
}

/* C[r][v * NN_VLEN + lane] for r < mr, v < nv: (accumulate ? C : 0) + alpha * sum_p A(r, p) B[p][.] */
NN_INLINE NN_TARGET void NN_NAME(nn_tile)(
    int mr, int nv, nn_intp k, NN_REAL alpha, const NN_REAL *a, nn_intp rsa, nn_intp csa,
    const NN_REAL *b, nn_intp ldb, int accumulate, NN_REAL *c, nn_intp ldc)
{
    NN_NAME(vec) acc[NN_NN_MR][NN_NN_NV];

    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++)
            acc[r][v] = (NN_NAME(vec)){0};
    for (nn_intp p = 0; p < k; p++) {
        NN_NAME(vec) bv[NN_NN_NV];
        for (int v = 0; v < nv; v++)
            bv[v] = NN_NAME(load)(b + p * ldb + v * NN_VLEN);
        for (int r = 0; r < mr; r++) {
            NN_NAME(vec) ar = NN_NAME(splat)(a[r * rsa + p * csa]);
            for (int v = 0; v < nv; v++)
                acc[r][v] = NN_NAME(madd)(ar, bv[v], acc[r][v]);
        }
    }
    NN_NAME(vec) alpha_v = NN_NAME(splat)(alpha);
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++) {
            NN_REAL *cp = c + r * ldc + v * NN_VLEN;
            NN_NAME(store)(cp, accumulate ? NN_NAME(madd)(alpha_v, acc[r][v], NN_NAME(load)(cp))
                                          : alpha_v * acc[r][v]);
        }
}

#if NN_MASKED
/* nn_tile for the last width < NN_VLEN columns of C, in one partial vector:
 * each lane computes what nn_element would, in the same order. */
NN_INLINE NN_TARGET void NN_NAME(nn_tile_part)(
    int mr, int width, nn_intp k, NN_REAL alpha, const NN_REAL *a, nn_intp rsa, nn_intp csa,
    const NN_REAL *b, nn_intp ldb, int accumulate, NN_REAL *c, nn_intp ldc)
{
    NN_NAME(vec) acc[NN_NN_MR];

    for (int r = 0; r < mr; r++)
        acc[r] = (NN_NAME(vec)){0};
    for (nn_intp p = 0; p < k; p++) {
        NN_NAME(vec) bv = NN_NAME(load_part)(b + p * ldb, width);
        for (int r = 0; r < mr; r++)
            acc[r] = NN_NAME(madd)(NN_NAME(splat)(a[r * rsa + p * csa]), bv, acc[r]);
    }
    NN_NAME(vec) alpha_v = NN_NAME(splat)(alpha);
    for (int r = 0; r < mr; r++) {
        NN_REAL *cp = c + r * ldc;
        NN_NAME(store_part)(cp, accumulate ? NN_NAME(madd)(alpha_v, acc[r],
                                                           NN_NAME(load_part)(cp, width))
                                           : alpha_v * acc[r], width);
    }
}
#endif

/* The same for one element of C, column by column past the last whole vector. */
NN_INLINE NN_TARGET void NN_NAME(nn_element)(
    nn_intp k, NN_REAL alpha, const NN_REAL *a, nn_intp csa, const NN_REAL *b, nn_intp ldb,
    int accumulate, NN_REAL *c)
{
    NN_REAL s = 0;
    for (nn_intp p = 0; p < k; p++)
        s = NN_NAME(smadd)(a[p * csa], b[p * ldb], s);
    *c = accumulate ? NN_NAME(smadd)(alpha, s, *c) : alpha * s;
}

/* Columns j..j+nv*NN_VLEN of C, every row, tile by tile. */
NN_INLINE NN_TARGET void NN_NAME(nn_columns)(
    int nv, nn_intp j, nn_intp m, nn_intp k, NN_REAL alpha, const NN_REAL *a, nn_intp rsa,
    nn_intp csa, const NN_REAL *b, nn_intp ldb, int accumulate, NN_REAL *c, nn_intp ldc)
{
    nn_intp i;
    for (i = 0; i + NN_NN_MR <= m; i += NN_NN_MR)
        NN_NAME(nn_tile)(NN_NN_MR, nv, k, alpha, a + i * rsa, rsa, csa, b + j, ldb,
                         accumulate, c + i * ldc + j, ldc);
    /* The rows left in as few tiles as may be: a tile of fewer accumulators
     * than the multiply-add's latency times its throughput waits on them. */
#if NN_NN_MR > 4
    if (i + 4 <= m) {
        NN_NAME(nn_tile)(4, nv, k, alpha, a + i * rsa, rsa, csa, b + j, ldb, accumulate,
                         c + i * ldc + j, ldc);
        i += 4;
    }
#endif
    for (; i + 2 <= m; i += 2)
        NN_NAME(nn_tile)(2, nv, k, alpha, a + i * rsa, rsa, csa, b + j, ldb, accumulate,
                         c + i * ldc + j, ldc);
    for (; i < m; i++)
        NN_NAME(nn_tile)(1, nv, k, alpha, a + i * rsa, rsa, csa, b + j, ldb, accumulate,
                         c + i * ldc + j, ldc);
}

/* Columns j..j+nv*NN_VLEN of C for nv below a panel's NN_NN_NV vectors, in
 * tiles of all nv vectors at once (with a constant nv each, so that the
 * compiler keeps the tile in registers). */
NN_INLINE NN_TARGET void NN_NAME(nn_columns_part)(
    int nv, nn_intp j, nn_intp m, nn_intp k, NN_REAL alpha, const NN_REAL *a, nn_intp rsa,
    nn_intp csa, const NN_REAL *b, nn_intp ldb, int accumulate, NN_REAL *c, nn_intp ldc)
{
#if NN_NN_NV > 3
    if (nv == 3) {
        NN_NAME(nn_columns)(3, j, m, k, alpha, a, rsa, csa, b, ldb, accumulate, c, ldc);
        return;
    }
#endif
    if (nv == 2)
        NN_NAME(nn_columns)(2, j, m, k, alpha, a, rsa, csa, b, ldb, accumulate, c, ldc);
    else if (nv == 1)
        NN_NAME(nn_columns)(1, j, m, k, alpha, a, rsa, csa, b, ldb, accumulate, c, ldc);
}

/* Columns j..j+width of C (width < NN_VLEN), every row. */
NN_INLINE NN_TARGET void NN_NAME(nn_last_columns)(
    int width, nn_intp j, nn_intp m, nn_intp k, NN_REAL alpha, const NN_REAL *a, nn_intp rsa,
    nn_intp csa, const NN_REAL *b, nn_intp ldb, int accumulate, NN_REAL *c, nn_intp ldc)
{
    nn_intp i = 0;
#if NN_MASKED
    for (; i + NN_NN_MR <= m; i += NN_NN_MR)
        NN_NAME(nn_tile_part)(NN_NN_MR, width, k, alpha, a + i * rsa, rsa, csa, b + j, ldb,
                              accumulate, c + i * ldc + j, ldc);
#if NN_NN_MR > 4
    if (i + 4 <= m) {
        NN_NAME(nn_tile_part)(4, width, k, alpha, a + i * rsa, rsa, csa, b + j, ldb,
                              accumulate, c + i * ldc + j, ldc);
        i += 4;
    }
#endif
    for (; i + 2 <= m; i += 2)
        NN_NAME(nn_tile_part)(2, width, k, alpha, a + i * rsa, rsa, csa, b + j, ldb,
                              accumulate, c + i * ldc + j, ldc);
    for (; i < m; i++)
        NN_NAME(nn_tile_part)(1, width, k, alpha, a + i * rsa, rsa, csa, b + j, ldb,
                              accumulate, c + i * ldc + j, ldc);
#else
    for (; i < m; i++)
        for (int q = 0; q < width; q++)
            NN_NAME(nn_element)(k, alpha, a + i * rsa, csa, b + j + q, ldb, accumulate,
                                c + i * ldc + j + q);
#endif
}

NN_TARGET static void NN_NAME(gemm_nn)(
    nn_intp m, nn_intp n, nn_intp k, NN_REAL alpha, const NN_REAL *a, nn_intp rsa,
    nn_intp csa, const NN_REAL *b, nn_intp ldb, int accumulate, NN_REAL *c, nn_intp ldc)
{
    const nn_intp panel = NN_NN_NV * NN_VLEN;
    nn_intp i, j;
    /* Column panels outside, so a panel of B stays in L1 for all rows of C. */
    for (j = 0; j + panel <= n; j += panel)
        NN_NAME(nn_columns)(NN_NN_NV, j, m, k, alpha, a, rsa, csa, b, ldb, accumulate, c, ldc);
    if (j + NN_VLEN <= n) {
        int nv = (int)((n - j) / NN_VLEN);
        NN_NAME(nn_columns_part)(nv, j, m, k, alpha, a, rsa, csa, b, ldb, accumulate, c, ldc);
        j += nv * NN_VLEN;
    }
    if (j < n)
        NN_NAME(nn_last_columns)(n - j, j, m, k, alpha, a, rsa, csa, b, ldb, accumulate, c,
                                 ldc);
}

/*
 * C = bias + A B^T, the forward product: c[i][j] = bias[j] + a[i][:] . b[j][:].
 * Dot products shorter than NN_SMALL_K cannot fill vectors along k, so
 * there the product is made of gemm_nn's tiles, vectorised along the columns
 * of C, on panels of B transposed onto the stack (each panel serves all m
 * rows).  Either way every element is bias + a sum in a fixed order, whatever
 * the rows' number or position.
 */
NN_TARGET static void NN_NAME(gemm_nt)(
    nn_intp m, nn_intp n, nn_intp k, const NN_REAL *a, nn_intp lda,
    const NN_REAL *b, nn_intp ldb, const NN_REAL *bias, NN_REAL *c, nn_intp ldc)
{
    enum { panel = NN_NN_NV * NN_VLEN };
    NN_REAL bt[NN_SMALL_K * panel] __attribute__((aligned(64)));
    nn_intp i, j, p, q, width, vectors;

    if (k > NN_SMALL_K) {
        NN_NAME(nt_blocks)(m, n, k, a, lda, b, ldb, bias, c, ldc);
        return;
    }
    for (j = 0; j < n; j += panel) {
        width = n - j < panel ? n - j : panel;
        for (p = 0; p < k; p++)
            for (q = 0; q < width; q++)
                bt[p * panel + q] = b[(j + q) * ldb + p];
        for (i = 0; i < m; i++)
            memcpy(c + i * ldc + j, bias + j, width * sizeof(NN_REAL));
        vectors = width / NN_VLEN;
        if (vectors == NN_NN_NV)
            NN_NAME(nn_columns)(NN_NN_NV, 0, m, k, 1, a, lda, 1, bt, panel, 1, c + j, ldc);
        else
            NN_NAME(nn_columns_part)((int)vectors, 0, m, k, 1, a, lda, 1, bt, panel, 1, c + j,
                                     ldc);
        if (vectors * NN_VLEN < width)
            NN_NAME(nn_last_columns)(width - vectors * NN_VLEN, vectors * NN_VLEN, m, k, 1, a,
                                     lda, 1, bt, panel, 1, c + j, ldc);
    }
}

/*
 * The forward product of many rows on weights packed once per call:
 *
 *   pack_nt:    B (n x k) and bias (n) into panels of NN_PK_NV vectors of
 *               columns (the last panel only as wide as it needs), each panel
 *               its bias row then B^T's k rows, zero beyond column n
 *   gemm_packed: C = bias + A B^T from those panels
 *
 * The register tile broadcasts an element of A against a row of a panel, so
 * the panel streams contiguous, aligned vectors (it stays in L1 or L2 while
 * every tile of rows passes) and A is read an element at a time, wherever
 * its rows start.  Every element of C is bias + A[i][0] B[j][0] + A[i][1]
 * B[j][1] + ..., summed in order of p, whatever the tile, the panel or the
 * number of rows.
 */
NN_TARGET static void NN_NAME(pack_nt)(nn_intp n, nn_intp k, const NN_REAL *b, nn_intp ldb,
                                       const NN_REAL *bias, NN_REAL *packed)
{
    enum { panel = NN_PK_NV * NN_VLEN, chunk = 64 / sizeof(NN_REAL) };
    for (nn_intp j = 0; j < n; j += panel) {
        nn_intp width = n - j < panel ? n - j : panel;
        nn_intp stride = (width + NN_VLEN - 1) / NN_VLEN * NN_VLEN;
        NN_REAL *dst = packed + j * (k + 1);
        memcpy(dst, bias + j, (size_t)width * sizeof(NN_REAL));
        /* A few rows of the panel at a time, so that its lines being written stay in L1. */
        for (nn_intp p0 = 0; p0 < k; p0 += chunk) {
            nn_intp p_end = k - p0 < chunk ? k : p0 + chunk;
            for (nn_intp q = 0; q < width; q++)
                for (nn_intp p = p0; p < p_end; p++)
                    dst[(p + 1) * stride + q] = b[(j + q) * ldb + p];
        }
        for (nn_intp p = 0; p <= k; p++)
            for (nn_intp q = width; q < stride; q++)
                dst[p * stride + q] = 0;
    }
}

/* The first n lanes of v to p, no further. */
NN_INLINE NN_TARGET void NN_NAME(store_first)(NN_REAL *p, NN_NAME(vec) v, int n)
{
#if NN_MASKED
    NN_NAME(store_part)(p, v, n);
#else
    memcpy(p, &v, (size_t)n * sizeof(NN_REAL));
#endif
}

/* Rows r < mr of C, vectors v < nv of a panel whose rows are stride apart
 * (its last vector's first `last` lanes only). */
NN_INLINE NN_TARGET void NN_NAME(packed_tile)(
    int mr, int nv, int last, nn_intp k, const NN_REAL *a, nn_intp lda, const NN_REAL *panel,
    nn_intp stride, NN_REAL *c, nn_intp ldc)
{
    NN_NAME(vec) acc[NN_PK_MR][NN_PK_NV];

    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++)
            acc[r][v] = NN_NAME(load)(panel + v * NN_VLEN);
    for (nn_intp p = 0; p < k; p++) {
        NN_NAME(vec) bv[NN_PK_NV];
        const NN_REAL *row = panel + (p + 1) * stride;
        /* The next tile's rows of A, a line each, on their way from memory. */
        if (p % (64 / (nn_intp)sizeof(NN_REAL)) == 0)
            for (int r = mr; r < 2 * mr; r++)
                __builtin_prefetch(a + r * lda + p);
        for (int v = 0; v < nv; v++)
            bv[v] = NN_NAME(load)(row + v * NN_VLEN);
        for (int r = 0; r < mr; r++) {
            NN_NAME(vec) ar = NN_NAME(splat)(a[r * lda + p]);
            for (int v = 0; v < nv; v++)
                acc[r][v] = NN_NAME(madd)(ar, bv[v], acc[r][v]);
        }
    }
    for (int r = 0; r < mr; r++) {
        for (int v = 0; v < nv - 1; v++)
            NN_NAME(store)(c + r * ldc + v * NN_VLEN, acc[r][v]);
        if (last == NN_VLEN)
            NN_NAME(store)(c + r * ldc + (nv - 1) * NN_VLEN, acc[r][nv - 1]);
        else
            NN_NAME(store_first)(c + r * ldc + (nv - 1) * NN_VLEN, acc[r][nv - 1], last);
    }
}

/* Every row of C against one panel of nv vectors, tile by tile. */
NN_INLINE NN_TARGET void NN_NAME(packed_rows)(
    int nv, int last, nn_intp m, nn_intp k, const NN_REAL *a, nn_intp lda,
    const NN_REAL *panel, NN_REAL *c, nn_intp ldc)
{
    nn_intp i, stride = nv * NN_VLEN;
    for (i = 0; i + NN_PK_MR <= m; i += NN_PK_MR)
        NN_NAME(packed_tile)(NN_PK_MR, nv, last, k, a + i * lda, lda, panel, stride,
                             c + i * ldc, ldc);
#if NN_PK_MR > 4
    if (i + 4 <= m) {
        NN_NAME(packed_tile)(4, nv, last, k, a + i * lda, lda, panel, stride, c + i * ldc, ldc);
        i += 4;
    }
#endif
    for (; i + 2 <= m; i += 2)
        NN_NAME(packed_tile)(2, nv, last, k, a + i * lda, lda, panel, stride, c + i * ldc, ldc);
    if (i < m)
        NN_NAME(packed_tile)(1, nv, last, k, a + i * lda, lda, panel, stride, c + i * ldc, ldc);
}

NN_TARGET static void NN_NAME(gemm_packed)(
    nn_intp m, nn_intp n, nn_intp k, const NN_REAL *a, nn_intp lda, const NN_REAL *packed,
    NN_REAL *c, nn_intp ldc)
{
    enum { panel = NN_PK_NV * NN_VLEN };
    for (nn_intp j = 0; j < n; j += panel) {
        nn_intp width = n - j < panel ? n - j : panel;
        int nv = (int)((width + NN_VLEN - 1) / NN_VLEN);
        int last = (int)(width - (nv - 1) * NN_VLEN);
        const NN_REAL *p = packed + j * (k + 1);
        if (nv == NN_PK_NV)
            NN_NAME(packed_rows)(NN_PK_NV, last, m, k, a, lda, p, c + j, ldc);
#if NN_PK_NV > 2
        else if (nv == 2)
            NN_NAME(packed_rows)(2, last, m, k, a, lda, p, c + j, ldc);
#endif
        else
            NN_NAME(packed_rows)(1, last, m, k, a, lda, p, c + j, ldc);
    }
}

/*
 * exp(a) for a <= 0 (or NaN), lane by lane: a = n ln2 + r with |r| <= ln2 / 2,
 * exp(r) from its Taylor polynomial (13th degree for double, 7th for float:
 * truncation below half an ulp), and 2^n built in the exponent bits.  Lanes
 * below the smallest normal result give 0.
 */
#if NN_DOUBLE
#define NN_TINY 2.2250738585072014e-308
typedef long long NN_NAME(ivec) __attribute__((vector_size(NN_VBYTES)));
typedef unsigned long long NN_NAME(uvec) __attribute__((vector_size(NN_VBYTES)));
#define NN_EXP_MIN -708.0
#define NN_EXP_DEGREE 13
#define NN_LN2_HI 0.693145751953125             /* few bits: n * NN_LN2_HI is exact */
#define NN_LN2_LO 1.42860682030941723212e-6
#define NN_ROUNDER 0x1.8p52
#define NN_EXPONENT_SHIFT 52
#define NN_EXPONENT_BIAS 1023
#define NN_SIGN_BIT (-0x7fffffffffffffffLL - 1)    /* only the sign bit set */
#else
#define NN_TINY 1.17549435e-38f
typedef int NN_NAME(ivec) __attribute__((vector_size(NN_VBYTES)));
typedef unsigned int NN_NAME(uvec) __attribute__((vector_size(NN_VBYTES)));
#define NN_EXP_MIN -87.0f
#define NN_EXP_DEGREE 7
#define NN_LN2_HI 0.693359375f
#define NN_LN2_LO -2.12194440e-4f
#define NN_ROUNDER 0x1.8p23f
#define NN_EXPONENT_SHIFT 23
#define NN_EXPONENT_BIAS 127
#define NN_SIGN_BIT (-0x7fffffff - 1)
#endif

/* The range reduction shared by exp and expm1: for a <= 0 (or NaN), clamped at
 * NN_EXP_MIN, a = n ln2 + r with |r| <= ln2 / 2.  Returns q with
 * exp(r) = 1 + q r, q = sum over k = 1..NN_EXP_DEGREE of r^(k-1) / k! (by
 * Horner's rule, one multiply-add per degree), and sets *r, *scale = 2^n and
 * *too_small (the lanes below NN_EXP_MIN). */
NN_INLINE NN_TARGET NN_NAME(vec) NN_NAME(exp_reduce)(
    NN_NAME(vec) a, NN_NAME(vec) *r_out, NN_NAME(vec) *scale, NN_NAME(ivec) *too_small)
{
    const NN_REAL log2e = 1.4426950408889634;
    *too_small = a < NN_EXP_MIN;
    NN_NAME(vec) clamped = (NN_NAME(vec))(((NN_NAME(ivec))a & ~*too_small) |
                                           ((NN_NAME(ivec))NN_NAME(splat)(NN_EXP_MIN) & *too_small));
    /* Adding NN_ROUNDER rounds to an integer n, left in the low mantissa bits. */
    NN_NAME(vec) t = NN_NAME(madd)(clamped, NN_NAME(splat)(log2e), NN_NAME(splat)(NN_ROUNDER));
    NN_NAME(vec) n = t - NN_ROUNDER;
    NN_NAME(vec) r = NN_NAME(madd)(-n, NN_NAME(splat)(NN_LN2_LO), clamped - n * NN_LN2_HI);
    NN_NAME(vec) q = NN_NAME(splat)((NN_REAL)nn_inverse_factorial[NN_EXP_DEGREE]);
    for (int degree = NN_EXP_DEGREE - 1; degree >= 1; degree--)
        q = NN_NAME(madd)(q, r, NN_NAME(splat)((NN_REAL)nn_inverse_factorial[degree]));
    /* Unsigned, so that the arithmetic on a NaN lane's bits wraps instead of overflowing. */
    NN_NAME(uvec) bits = ((NN_NAME(uvec))t - (NN_NAME(uvec))NN_NAME(splat)(NN_ROUNDER)
                          + NN_EXPONENT_BIAS) << NN_EXPONENT_SHIFT;
    *r_out = r;
    *scale = (NN_NAME(vec))bits;
    return q;
}

/* exp(a) for a <= 0 (or NaN); lanes below the smallest normal result give 0. */
NN_INLINE NN_TARGET NN_NAME(vec) NN_NAME(exp_nonpositive)(NN_NAME(vec) a)
{
    NN_NAME(vec) r, scale;
    NN_NAME(ivec) too_small;
    NN_NAME(vec) q = NN_NAME(exp_reduce)(a, &r, &scale, &too_small);
    NN_NAME(vec) p = NN_NAME(madd)(q, r, NN_NAME(splat)(1));
    return (NN_NAME(vec))((NN_NAME(ivec))(p * scale) & ~too_small);
}

/* exp(a) - 1 for a <= 0 (or NaN), to a few ulps even where it is tiny:
 * 2^n (exp(r) - 1) + (2^n - 1), which is exactly q r when n = 0. */
NN_INLINE NN_TARGET NN_NAME(vec) NN_NAME(expm1_nonpositive)(NN_NAME(vec) a)
{
    NN_NAME(vec) r, scale;
    NN_NAME(ivec) too_small;
    NN_NAME(vec) q = NN_NAME(exp_reduce)(a, &r, &scale, &too_small);
    NN_NAME(vec) result = NN_NAME(madd)(scale, q * r, scale - 1);
    return (NN_NAME(vec))(((NN_NAME(ivec))result & ~too_small) |
                          ((NN_NAME(ivec))NN_NAME(splat)(-1) & too_small));
}

/* sigmoid(z) = 1 / (1 + e) for z >= 0 and e / (1 + e) below, with e = exp(-|z|). */
NN_INLINE NN_TARGET NN_NAME(vec) NN_NAME(sigmoid_vec)(NN_NAME(vec) z)
{
    NN_NAME(vec) e = NN_NAME(exp_nonpositive)((NN_NAME(vec))((NN_NAME(ivec))z | NN_SIGN_BIT));
    NN_NAME(ivec) positive = z >= 0;
    NN_NAME(vec) one = NN_NAME(splat)(1);
    NN_NAME(vec) numerator = (NN_NAME(vec))(((NN_NAME(ivec))one & positive) |
                                            ((NN_NAME(ivec))e & ~positive));
    return numerator / (one + e);
}

/* tanh(z) = sign(z) * -m / (2 + m), with m = expm1(-2 |z|) in (-1, 0]. */
NN_INLINE NN_TARGET NN_NAME(vec) NN_NAME(tanh_vec)(NN_NAME(vec) z)
{
    NN_NAME(ivec) sign = (NN_NAME(ivec))z & NN_SIGN_BIT;
    NN_NAME(vec) magnitude = (NN_NAME(vec))((NN_NAME(ivec))z & ~NN_SIGN_BIT);
    NN_NAME(vec) m = NN_NAME(expm1_nonpositive)(magnitude * -2);
    NN_NAME(vec) result = -m / (m + 2);
    return (NN_NAME(vec))(((NN_NAME(ivec))result & ~NN_SIGN_BIT) | sign);
}

/* x[i] = f(x[i]) for a vector function f; the last partial vector goes through
 * the same lanes (the others 0), so every element gets the same result
 * wherever it sits. */
#if NN_MASKED
#define NN_LAST_LANES(f, x, n)                                                  \
    NN_NAME(store_part)(x, f(NN_NAME(load_part)(x, (int)(n))), (int)(n))
#else
#define NN_LAST_LANES(f, x, n)                                                  \
    do {                                                                        \
        NN_REAL lanes[NN_VLEN] = {0};                                           \
        memcpy(lanes, x, (size_t)(n) * sizeof(NN_REAL));                        \
        NN_NAME(store)(lanes, f(NN_NAME(load)(lanes)));                         \
        memcpy(x, lanes, (size_t)(n) * sizeof(NN_REAL));                        \
    } while (0)
#endif
#define NN_ELEMENTWISE(name, f)                                                 \
    NN_TARGET static void NN_NAME(name)(NN_REAL *x, nn_intp n)                  \
    {                                                                           \
        nn_intp i = 0;                                                          \
        for (; i + NN_VLEN <= n; i += NN_VLEN)                                  \
            NN_NAME(store)(x + i, f(NN_NAME(load)(x + i)));                     \
        if (i < n)                                                              \
            NN_LAST_LANES(f, x + i, n - i);                                     \
    }

NN_ELEMENTWISE(sigmoid, NN_NAME(sigmoid_vec))
NN_ELEMENTWISE(tanh, NN_NAME(tanh_vec))
NN_ELEMENTWISE(exp_nonpositive_array, NN_NAME(exp_nonpositive))

/*
 * Optimizer updates of n parameters w from their mean gradient g, with
 * weight decay l2 (0 for biases): d = g + l2 w, then
 *   sgd:       w -= lr d
 *   momentum:  v = mu v - lr d; w += v, or with Nesterov's correction
 *              w += mu v - lr d (the new v)
 *   adam:      m = b1 m + (1 - b1) d; v = b2 v + (1 - b2) d^2;
 *              w -= lr / c1 * m / (sqrt(v) / sqrt(c2) + eps), with
 *              c1 = 1 - b1^t and c2 = 1 - b2^t (Kingma and Ba's bias correction)
 * Plain loops of IEEE operations, which the compiler vectorises: an element
 * gets the same result in any variant and wherever it falls.  The state
 * (velocities, moments) is flushed to 0 below the smallest normal number: a
 * moment that small moves no weight, and it would otherwise decay through
 * the subnormal numbers, on which many CPUs compute a hundred times slower.
 */
NN_INLINE NN_TARGET NN_REAL NN_NAME(flush)(NN_REAL x)
{
    return x < NN_TINY && x > -NN_TINY ? 0 : x;
}

/* x[i] = 0 where x[i] is subnormal: the deltas, so that no product of the
 * step meets one (an FMA on a subnormal operand can take a hundred times
 * longer, and a delta that small moves no weight). */
NN_TARGET static void NN_NAME(flush_subnormal)(NN_REAL *x, nn_intp n)
{
    for (nn_intp i = 0; i < n; i++)
        x[i] = NN_NAME(flush)(x[i]);
}

NN_TARGET static void NN_NAME(sgd_update)(NN_REAL *restrict w, const NN_REAL *restrict g,
                                          nn_intp n, NN_REAL lr, NN_REAL l2)
{
    for (nn_intp i = 0; i < n; i++)
        w[i] -= lr * (g[i] + l2 * w[i]);
}

NN_TARGET static void NN_NAME(momentum_update)(
    NN_REAL *restrict w, const NN_REAL *restrict g, NN_REAL *restrict v, nn_intp n,
    NN_REAL lr, NN_REAL l2, NN_REAL mu, int nesterov)
{
    if (nesterov) {
        for (nn_intp i = 0; i < n; i++) {
            NN_REAL step = lr * (g[i] + l2 * w[i]);
            v[i] = NN_NAME(flush)(mu * v[i] - step);
            w[i] += mu * v[i] - step;
        }
    } else {
        for (nn_intp i = 0; i < n; i++) {
            v[i] = NN_NAME(flush)(mu * v[i] - lr * (g[i] + l2 * w[i]));
            w[i] += v[i];
        }
    }
}

NN_TARGET static void NN_NAME(adam_update)(
    NN_REAL *restrict w, const NN_REAL *restrict g, NN_REAL *restrict m, NN_REAL *restrict v,
    nn_intp n, NN_REAL lr_c1, NN_REAL inv_sqrt_c2, NN_REAL l2, NN_REAL b1, NN_REAL b2,
    NN_REAL eps)
{
    for (nn_intp i = 0; i < n; i++) {
        NN_REAL d = g[i] + l2 * w[i];
        m[i] = NN_NAME(flush)(b1 * m[i] + (1 - b1) * d);
        v[i] = NN_NAME(flush)(b2 * v[i] + (1 - b2) * (d * d));
        w[i] -= lr_c1 * m[i] / (NN_SQRT(v[i]) * inv_sqrt_c2 + eps);
    }
}

/* delta[i] *= f'(z[i]), from the activations a[i] = f(z[i]): a (1 - a) for
 * the sigmoid, 1 - a^2 for tanh; in floats as well, the subtraction from 1.0
 * and the products after it are done in double, as the core has always
 * done them (its results are pinned). */
NN_TARGET static void NN_NAME(times_slope)(NN_REAL *restrict delta, const NN_REAL *restrict a,
                                           nn_intp n, int tanh)
{
    if (tanh)
        for (nn_intp i = 0; i < n; i++)
            delta[i] = (NN_REAL)(delta[i] * (1.0 - a[i] * a[i]));
    else
        for (nn_intp i = 0; i < n; i++)
            delta[i] = (NN_REAL)(delta[i] * (a[i] * (1.0 - a[i])));
}

/* The sum of x[i]^2, in double: sixteen running sums (lane i % 16 of the
 * whole blocks), added pairwise at the end, then the rest in order.  The
 * sums are independent, so their additions overlap. */
NN_TARGET static double NN_NAME(sum_squares)(const NN_REAL *x, nn_intp n)
{
    enum { lanes = 16 };
    double acc[lanes] = {0}, tail = 0;
    nn_intp i = 0;
    for (; i + lanes <= n; i += lanes)
        for (int u = 0; u < lanes; u++)
            acc[u] += (double)x[i + u] * (double)x[i + u];
    for (; i < n; i++)
        tail += (double)x[i] * (double)x[i];
    for (int width = lanes / 2; width >= 1; width /= 2)
        for (int u = 0; u < width; u++)
            acc[u] += acc[u + width];
    return acc[0] + tail;
}

/* x - x is 0 for a finite x and NaN otherwise; the sum tells whether any was
 * not.  Four sums, so that the additions' latency does not set the pace. */
NN_TARGET static int NN_NAME(all_finite)(const NN_REAL *x, nn_intp n)
{
    NN_NAME(vec) acc[4] = {{0}, {0}, {0}, {0}};
    NN_REAL tail = 0;
    nn_intp i = 0;
    for (; i + 4 * NN_VLEN <= n; i += 4 * NN_VLEN)
        for (int u = 0; u < 4; u++) {
            NN_NAME(vec) v = NN_NAME(load)(x + i + u * NN_VLEN);
            acc[u] += v - v;
        }
    for (; i + NN_VLEN <= n; i += NN_VLEN) {
        NN_NAME(vec) v = NN_NAME(load)(x + i);
        acc[0] += v - v;
    }
    for (; i < n; i++)
        tail += x[i] - x[i];
    return NN_NAME(hsum)((acc[0] + acc[1]) + (acc[2] + acc[3])) + tail == 0;
}

#undef NN_EXP_MIN
#undef NN_EXP_DEGREE
#undef NN_LN2_HI
#undef NN_LN2_LO
#undef NN_ROUNDER
#undef NN_EXPONENT_SHIFT
#undef NN_EXPONENT_BIAS
#undef NN_SIGN_BIT
#undef NN_TINY
#undef NN_VLEN
#undef NN_NT_NB
#undef NN_SMALL_K
#undef NN_MASKED
#undef NN_LAST_LANES
#undef NN_ELEMENTWISE
#undef NN_VBYTES
#undef NN_TARGET
#undef NN_FMA
#undef NN_NT_MR
#undef NN_NT_NR
#undef NN_HSUM4
#undef NN_NN_MR
#undef NN_NN_NV
#undef NN_PK_MR
#undef NN_PK_NV
#undef NN_NAME

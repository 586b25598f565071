/*
 * The kernels for one floating-point type and instruction set; included by
 * _kernels.h once per pair with NN_REAL (the type), NN_VLEN (its lanes in 32
 * bytes), NN_TARGET (a target attribute or nothing) and NN_NAME(x) (which
 * suffixes a name) defined.
 */

typedef NN_REAL NN_NAME(vec) __attribute__((vector_size(32)));

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

NN_INLINE NN_TARGET NN_REAL NN_NAME(hsum)(NN_NAME(vec) v)
{
    NN_REAL s = v[0];
    for (int lane = 1; lane < NN_VLEN; lane++)
        s += v[lane];
    return s;
}

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
    for (p = 0; p < vector_end; p += NN_VLEN) {
        NN_NAME(vec) bv[NN_NT_NR];
        for (int q = 0; q < nr; q++)
            bv[q] = NN_NAME(load)(b + q * ldb + p);
        for (int r = 0; r < mr; r++) {
            NN_NAME(vec) av = NN_NAME(load)(a + r * lda + p);
            for (int q = 0; q < nr; q++)
                acc[r][q] += av * bv[q];
        }
    }
    for (int r = 0; r < mr; r++)
        for (int q = 0; q < nr; q++) {
            NN_REAL s = NN_NAME(hsum)(acc[r][q]);
            for (p = vector_end; p < k; p++)
                s += a[r * lda + p] * b[q * ldb + p];
            c[r * ldc + q] = bias[q] + s;
        }
}

NN_TARGET static void NN_NAME(gemm_nt)(
    nn_intp m, nn_intp n, nn_intp k, const NN_REAL *a, nn_intp lda,
    const NN_REAL *b, nn_intp ldb, const NN_REAL *bias, NN_REAL *c, nn_intp ldc)
{
    nn_intp i, j;
    for (i = 0; i + NN_NT_MR <= m; i += NN_NT_MR) {
        for (j = 0; j + NN_NT_NR <= n; j += NN_NT_NR)
            NN_NAME(nt_tile)(NN_NT_MR, NN_NT_NR, k, a + i * lda, lda, b + j * ldb, ldb,
                             bias + j, c + i * ldc + j, ldc);
        for (; j < n; j++)
            NN_NAME(nt_tile)(NN_NT_MR, 1, k, a + i * lda, lda, b + j * ldb, ldb,
                             bias + j, c + i * ldc + j, ldc);
    }
    for (; i < m; i++) {
        for (j = 0; j + NN_NT_NR <= n; j += NN_NT_NR)
            NN_NAME(nt_tile)(1, NN_NT_NR, k, a + i * lda, lda, b + j * ldb, ldb,
                             bias + j, c + i * ldc + j, ldc);
        for (; j < n; j++)
            NN_NAME(nt_tile)(1, 1, k, a + i * lda, lda, b + j * ldb, ldb,
                             bias + j, c + i * ldc + j, ldc);
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
            NN_REAL ar = a[r * rsa + p * csa];
            for (int v = 0; v < nv; v++)
                acc[r][v] += ar * bv[v];
        }
    }
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++) {
            NN_REAL *cp = c + r * ldc + v * NN_VLEN;
            NN_NAME(store)(cp, accumulate ? NN_NAME(load)(cp) + alpha * acc[r][v]
                                          : alpha * acc[r][v]);
        }
}

/* The same for one element of C, column by column past the last whole vector. */
NN_INLINE NN_TARGET void NN_NAME(nn_element)(
    nn_intp k, NN_REAL alpha, const NN_REAL *a, nn_intp csa, const NN_REAL *b, nn_intp ldb,
    int accumulate, NN_REAL *c)
{
    NN_REAL s = 0;
    for (nn_intp p = 0; p < k; p++)
        s += a[p * csa] * b[p * ldb];
    *c = accumulate ? *c + alpha * s : alpha * s;
}

NN_TARGET static void NN_NAME(gemm_nn)(
    nn_intp m, nn_intp n, nn_intp k, NN_REAL alpha, const NN_REAL *a, nn_intp rsa,
    nn_intp csa, const NN_REAL *b, nn_intp ldb, int accumulate, NN_REAL *c, nn_intp ldc)
{
    const nn_intp panel = NN_NN_NV * NN_VLEN;
    nn_intp i, j;
    /* Column panels outside, so a panel of B stays in L1 for all rows of C. */
    for (j = 0; j + panel <= n; j += panel) {
        for (i = 0; i + NN_NN_MR <= m; i += NN_NN_MR)
            NN_NAME(nn_tile)(NN_NN_MR, NN_NN_NV, k, alpha, a + i * rsa, rsa, csa, b + j, ldb,
                             accumulate, c + i * ldc + j, ldc);
        for (; i < m; i++)
            NN_NAME(nn_tile)(1, NN_NN_NV, k, alpha, a + i * rsa, rsa, csa, b + j, ldb,
                             accumulate, c + i * ldc + j, ldc);
    }
    for (; j + NN_VLEN <= n; j += NN_VLEN) {
        for (i = 0; i + NN_NN_MR <= m; i += NN_NN_MR)
            NN_NAME(nn_tile)(NN_NN_MR, 1, k, alpha, a + i * rsa, rsa, csa, b + j, ldb,
                             accumulate, c + i * ldc + j, ldc);
        for (; i < m; i++)
            NN_NAME(nn_tile)(1, 1, k, alpha, a + i * rsa, rsa, csa, b + j, ldb,
                             accumulate, c + i * ldc + j, ldc);
    }
    for (; j < n; j++)
        for (i = 0; i < m; i++)
            NN_NAME(nn_element)(k, alpha, a + i * rsa, csa, b + j, ldb, accumulate,
                                c + i * ldc + j);
}

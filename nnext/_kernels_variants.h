/*
 * The three instantiations of _kernels_impl.h for one floating-point type;
 * included by _kernels.h with NN_REAL, NN_DOUBLE, NN_SQRT and NN_TYPE (the
 * names' type suffix, _d or _s) defined.  Each variant sets the vector width,
 * the target, whether multiply-adds are fused, and its tile sizes: NT_MR x
 * NT_NR for the forward kernel (rows of A x rows of B) and NN_MR x NN_NV for
 * the other (rows x vectors of columns), chosen so that the accumulators, a
 * row of vectors of B and one of A fill the register file; and NN_SMALL_K,
 * the longest dot product the forward kernel computes along the columns of
 * C instead (see gemm_nt), where the two ways were measured to cross (n = 100,
 * 2,000 rows, an Intel Xeon with AVX-512).  _kernels_impl.h undefines these
 * settings when it is done with them.
 */
#ifndef NN_NN_NV_BASE
#define NN_NN_NV_BASE 3
#define NN_NN_NV_AVX2 3
#define NN_NN_NV_AVX512 4
#endif

/* The x86-64 baseline: SSE2 under 32-byte vectors, no FMA. */
#define NN_VBYTES 32
#define NN_TARGET
#define NN_FMA 0
#define NN_NT_MR 4
#define NN_NT_NR 3
#define NN_NN_MR 4
#define NN_NN_NV NN_NN_NV_BASE
#define NN_PK_MR 4
#define NN_PK_NV 2
#define NN_SMALL_K (NN_DOUBLE ? 96 : 48)
#define NN_NAME(x) NN_JOIN(x, NN_TYPE, _base)
#include "_kernels_impl.h"

#if NN_X86
/* AVX2 + FMA: 16 registers of 32 bytes. */
#define NN_VBYTES 32
#define NN_TARGET NN_TARGET_AVX2
#define NN_FMA NN_X86
#define NN_NT_MR 4
#define NN_NT_NR 3
#define NN_NN_MR 4
#define NN_NN_NV NN_NN_NV_AVX2
#define NN_PK_MR 4
#define NN_PK_NV 3
#define NN_SMALL_K (NN_DOUBLE ? 96 : 48)
#define NN_NAME(x) NN_JOIN(x, NN_TYPE, _avx2)
#include "_kernels_impl.h"

/* AVX-512: 32 registers of 64 bytes. */
#define NN_VBYTES 64
#define NN_TARGET NN_TARGET_AVX512
#define NN_FMA NN_X86
#define NN_NT_MR 6
#define NN_NT_NR 4
#define NN_NN_MR 6
#define NN_NN_NV NN_NN_NV_AVX512
#define NN_PK_MR 8
#define NN_PK_NV 3
#define NN_SMALL_K (NN_DOUBLE ? 48 : 96)
#define NN_NAME(x) NN_JOIN(x, NN_TYPE, _avx512)
#include "_kernels_impl.h"
#endif  /* NN_X86: other architectures build the baseline only */

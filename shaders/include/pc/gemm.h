// Push constants of the fp32 GEMM kernels (shaders/gemm.comp, src/ops/gemm.cpp).
//
// One kernel serves dense linear layers (nblocks = 1) and Monarch block-diagonal ones: output
// column n of block k is the dot product of input chunk k (columns k*K .. k*K+K-1 of A) with
// row k*N + n of the weight, stored (nblocks * N, K) row-major as PyTorch stores (out, in).
// Element (b, m, k) of A lives at a_off + b*a_sb + m*a_sr + k*a_sc (floats), element (b, m, n)
// of C (and of the residual R) at c_off + b*c_sb + m*c_sr + n*c_sc, so A can be read in any
// layout (e.g. the long convolution's channel-major output) and C written token-major (B, L, N)
// or channel-major (B, N, L).
//
// The Hyena filter's epilogues (row m within a batch entry, output column n of all blocks):
//   EPI 4 (Sin):   C = sin(e_scale * col[n] * (acc + bias))        col = the Sin frequencies
//   EPI 5 (Decay): C = (acc + bias) * exp(-row[m] * |col[n]|)      col = deltas, row = t
#ifndef M2VK_PC_GEMM_H
#define M2VK_PC_GEMM_H
#include "pc/push_constants.h"

#define M2VK_PC_GEMM(X)                                                                   \
  X(uint, M)            /* rows per batch entry */                                        \
  X(uint, N)            /* outputs per block (q); GLU: unused, see glu_half */            \
  X(uint, K)            /* inputs per block (p) */                                        \
  X(uint, nblocks)      /* 1 for a dense layer */                                         \
  X(uint, tiles_per_seg)/* column tiles per segment (a block; GLU: see seg_width) */      \
  X(uint, seg_width)    /* output columns per segment */                                  \
  X(uint, glu_half)     /* GLU: I, the number of GLU outputs (value column = gate + I) */ \
  X(uint, has_bias)                                                                       \
  X(uint, a_off) X(uint, a_sb) X(uint, a_sr) X(uint, a_sc)                                \
  X(uint, c_off) X(uint, c_sb) X(uint, c_sr) X(uint, c_sc)                                \
  X(uint, r_off)        /* residual: same strides as C */                                \
  X(uint, w_off)        /* float index of W[0][0] in its binding (fp32 kernel) */         \
  X(uint, e_col_off)    /* EPI 4, 5: float index of the column table's entry for column 0 */ \
  X(uint, e_row_off)    /* EPI 5: float index of the row table's entry for row 0 of C */    \
  X(float, e_scale)     /* EPI 4: the Sin layer's scale (w_mod) */

M2VK_DECLARE_PUSH_CONSTANTS(GemmPC, M2VK_PC_GEMM, 84)

#endif  // M2VK_PC_GEMM_H

// Push constants of the FFT long-convolution kernels (shaders/fft_*.comp, src/ops/fft_conv*.cpp).
//
// One layout serves every pass so the host fills it once per call and only changes the
// pass-dependent members (row_base). Element (b, c, t) of a strided tensor lives at
//   off + b * sb + c * sc + t * st            (in floats)
// so the same kernels read channel-major (B, C, L) and token-major (B, L, C) tensors.
// x, the pre-gate a and the post-gate g share one layout (in_*); the output has its own (out_*).
#ifndef M2VK_PC_FFT_CONV_H
#define M2VK_PC_FFT_CONV_H
#include "pc/push_constants.h"

// flags
#define M2VK_FFT_BIDIR 1u      // kernel mode: add the reverse filter kr at the end of K
#define M2VK_FFT_PREGATE 2u    // x <- x * a before the convolution (and in the D term)
#define M2VK_FFT_POSTGATE 4u   // y <- y * g after the D term
#define M2VK_FFT_ACCUM 8u      // out <- out + y instead of out <- y
#define M2VK_FFT_HAS_D 16u     // y <- conv + D[c] * x

#define M2VK_PC_FFT_CONV(X)                                                        \
  X(uint, n)          /* FFT size N (real points), power of two >= 2 */            \
  X(uint, m1)         /* four-step split of M = N/2 complex points: M = m1 * m2 */ \
  X(uint, m2)         /* single pass: m1 = 1, m2 = M */                            \
  X(uint, len)        /* L: valid input/output length, L <= N/2 */                 \
  X(uint, channels)   /* C: a row r is (b, c) = (r / C, r % C) */                  \
  X(uint, row_base)   /* global row of this dispatch's first workgroup row */      \
  X(uint, flags)      /* M2VK_FFT_* */                                             \
  X(uint, cols)       /* four-step: columns per workgroup; single pass: rows per workgroup */ \
  X(uint, rows)       /* rows in this dispatch (from row_base) */                  \
  X(uint, x_off) X(uint, a_off) X(uint, g_off) X(uint, out_off)                    \
  X(uint, in_sb) X(uint, in_sc) X(uint, in_st)                                     \
  X(uint, out_sb) X(uint, out_sc) X(uint, out_st)                                  \
  X(uint, filt_sc)    /* kernel mode: row stride of kf / kr (channel-major) */      \
  X(uint, spec_off)   /* spectrum: first complex value of channel 0 */              \
  X(uint, filt_st)    /* kernel mode: tap stride of kf / kr (0 or 1: contiguous rows) */

M2VK_DECLARE_PUSH_CONSTANTS(FftConvPC, M2VK_PC_FFT_CONV, 88)

#endif  // M2VK_PC_FFT_CONV_H

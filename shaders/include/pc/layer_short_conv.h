// Push constants of the mixer's short depthwise causal convolution (shaders/layer_short_conv.comp,
// src/ops/short_conv.cpp), architecture doc 3.3.1 steps 2-4:
//   q[b, c, t] = w[c, 0]*p[b, t-2, c] + w[c, 1]*p[b, t-1, c] + w[c, 2]*p[b, t, c] + bias[c]
// over the 3H channels of the in-projection p (zero before t = 0). Views: p element (b, t, c) at
// p_off + b*p_sb + t*p_st + c*p_sc (floats), so p may be token-major or channel-major; the
// outputs likewise (o_*). Threads: M2VK_SHORT_CONV_TILE^2 per workgroup, one (t x c) tile each,
// see the shader.
//   GATED 0: out0 = q, all 3H channels (x1 | x2 | v), (B, 3H, L) for the golden comparison
//   GATED 1: out0 = x1 * v (the pre-gated long-conv input), out1 = x2, each H channels
#ifndef M2VK_PC_LAYER_SHORT_CONV_H
#define M2VK_PC_LAYER_SHORT_CONV_H
#include "pc/push_constants.h"

// Side of the square (time x channel) tile one workgroup covers; the host sizes the grid with it.
#define M2VK_SHORT_CONV_TILE 16u

#define M2VK_PC_LAYER_SHORT_CONV(X)                                 \
  X(uint, batch) X(uint, rows) X(uint, hidden)                     \
  X(uint, t_base)  /* global t of this piece's first output row */  \
  X(uint, p_row0)  /* global t of the first bound input row */      \
  X(uint, p_off) X(uint, p_sb) X(uint, p_st) X(uint, p_sc)         \
  X(uint, o0_off) X(uint, o1_off) X(uint, o_sb) X(uint, o_st) X(uint, o_sc) X(uint, row_pitch)
M2VK_DECLARE_PUSH_CONSTANTS(LayerShortConvPC, M2VK_PC_LAYER_SHORT_CONV, 60)

#endif  // M2VK_PC_LAYER_SHORT_CONV_H

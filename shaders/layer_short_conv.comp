#version 450
// Short depthwise causal conv (kernel 3) + split + optional pre-gating; see
// include/pc/layer_short_conv.h.
#include "pc/layer_short_conv.h"

layout(local_size_x = 256) in;
// Inputs are read through R32 texel buffers: on llvmpipe a texel fetch is an unrolled gather,
// a storage-buffer load a per-lane loop (src/ops/README-layer-ops.md, "GEMM kernel"); at 32k
// tokens this op read 9 inputs per output pair through storage buffers and took 10% of the pass.
layout(binding = 0) uniform samplerBuffer p_tex;
layout(binding = 1) uniform samplerBuffer w_tex;     // (3H, 1, 3)
layout(binding = 2) uniform samplerBuffer bias_tex;  // (3H)
layout(std430, binding = 3) writeonly buffer O0 { float o0[]; };
layout(std430, binding = 4) writeonly buffer O1 { float o1[]; };
M2VK_PUSH_CONSTANT_BLOCK(LayerShortConvPC, M2VK_PC_LAYER_SHORT_CONV)

uint b, t;

float p(uint i) { return texelFetch(p_tex, int(i)).x; }
float w(uint i) { return texelFetch(w_tex, int(i)).x; }
float bias(uint i) { return texelFetch(bias_tex, int(i)).x; }

float conv(uint c) {
  uint base = pc.p_off + b * pc.p_sb + c * pc.p_sc;
  // t - s for s = 2, 1, 0 in global time; rows before p_row0 are either before t = 0 or bound.
  float acc = bias(c) + w(3 * c + 2) * p(base + (t - pc.p_row0) * pc.p_st);
  if (t >= 1) acc += w(3 * c + 1) * p(base + (t - 1 - pc.p_row0) * pc.p_st);
  if (t >= 2) acc += w(3 * c + 0) * p(base + (t - 2 - pc.p_row0) * pc.p_st);
  return acc;
}

void main() {
  uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * pc.row_pitch;
  uint per_batch = pc.rows * pc.hidden;
  if (i >= pc.batch * per_batch) return;
  b = i / per_batch;
  uint rem = i - b * per_batch;
  uint c = rem / pc.rows;
  uint tl = rem - c * pc.rows;
  t = pc.t_base + tl;
  uint H = pc.hidden;
  float q1 = conv(c), q2 = conv(c + H), q3 = conv(c + 2 * H);
  uint o = b * pc.o_sb + tl * pc.o_st;
#if GATED
  o0[pc.o0_off + o + c * pc.o_sc] = q1 * q3;
  o1[pc.o1_off + o + c * pc.o_sc] = q2;
#else
  o0[pc.o0_off + o + c * pc.o_sc] = q1;
  o0[pc.o0_off + o + (c + H) * pc.o_sc] = q2;
  o0[pc.o0_off + o + (c + 2 * H) * pc.o_sc] = q3;
#endif
}

#version 450
// Short depthwise causal conv (kernel 3) + split + optional pre-gating; see
// include/pc/layer_short_conv.h.
#include "pc/layer_short_conv.h"
#ifndef V4
#define V4 0
#endif

layout(local_size_x = M2VK_SHORT_CONV_TILE * M2VK_SHORT_CONV_TILE) in;
// Inputs are read through R32 texel buffers: on llvmpipe a texel fetch is an unrolled gather,
// a storage-buffer load a per-lane loop (src/ops/README-layer-ops.md, "GEMM kernel"); at 32k
// tokens this op read 9 inputs per output pair through storage buffers and took 10% of the pass.
layout(binding = 0) uniform samplerBuffer p_tex;
layout(binding = 1) uniform samplerBuffer w_tex;     // (3H, 1, 3)
layout(binding = 2) uniform samplerBuffer bias_tex;  // (3H)
#if V4
// V4 (gated only): each invocation makes 4 consecutive time steps of one channel and stores them
// as one vec4 per output (the host guarantees time-contiguous outputs, 4-aligned offsets and
// strides, and a multiple of 4 rows). On llvmpipe a store costs about the same whatever its
// width and every input fetch is a gather, so 4 steps per invocation cut stores 4x and input
// fetches 2.8x (p at t-2 .. t+3 and the weights once, for the three convolutions).
layout(std430, binding = 3) writeonly buffer O0 { vec4 o0[]; };
layout(std430, binding = 4) writeonly buffer O1 { vec4 o1[]; };
#else
layout(std430, binding = 3) writeonly buffer O0 { float o0[]; };
layout(std430, binding = 4) writeonly buffer O1 { float o1[]; };
#endif
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

#if V4
// Channel ch at global steps t0 .. t0+3 (t0 = first output step; inputs before t = 0 are zero).
vec4 conv4(uint ch, uint t0) {
  uint base = pc.p_off + b * pc.p_sb + ch * pc.p_sc;
  float w0 = w(3 * ch), w1 = w(3 * ch + 1), w2 = w(3 * ch + 2), bb = bias(ch);
  float pm2 = t0 >= 2 ? p(base + (t0 - 2 - pc.p_row0) * pc.p_st) : 0.0;
  float pm1 = t0 >= 1 ? p(base + (t0 - 1 - pc.p_row0) * pc.p_st) : 0.0;
  vec4 x = vec4(p(base + (t0 - pc.p_row0) * pc.p_st), p(base + (t0 + 1 - pc.p_row0) * pc.p_st),
                p(base + (t0 + 2 - pc.p_row0) * pc.p_st), p(base + (t0 + 3 - pc.p_row0) * pc.p_st));
  return bb + w2 * x + w1 * vec4(pm1, x.xyz) + w0 * vec4(pm2, pm1, x.xy);
}

// Tiles of 64 steps x 16 channels, 256 invocations: 16 lanes along time (4 steps each) per
// channel, so neighbouring lanes store neighbouring vec4s.
void main() {
  uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * pc.row_pitch;
  uint lane = i % 256u, tile = i / 256u;
  uint tiles_t = (pc.rows + 63u) / 64u, tiles_c = (pc.hidden + 15u) / 16u;
  uint per_batch = tiles_t * tiles_c;
  if (tile >= pc.batch * per_batch) return;
  b = tile / per_batch;
  uint rem = tile - b * per_batch;
  uint ct = rem / tiles_t;
  uint tl = (rem - ct * tiles_t) * 64u + (lane % 16u) * 4u;
  uint c = ct * 16u + lane / 16u;
  if (tl >= pc.rows || c >= pc.hidden) return;
  uint t0 = pc.t_base + tl, H = pc.hidden;
  vec4 q1 = conv4(c, t0), q2 = conv4(c + H, t0), q3 = conv4(c + 2 * H, t0);
  uint o = b * pc.o_sb + c * pc.o_sc + tl;
  o0[(pc.o0_off + o) / 4u] = q1 * q3;
  o1[(pc.o1_off + o) / 4u] = q2;
}
#else
// Threads cover 16 x 16 tiles (16 time steps x 16 channels of one batch), 256 per workgroup,
// tiles of one channel group in time order. Why: the input is token-major (row stride 3H) and
// the outputs channel-major; with one thread per (c, t) in t order, every input fetch of a
// 32k-token pass touched its own cache line and the rows came back only after 300 MB had gone
// by (13% of an 80M pass at L = 32768, memory latency bound). In a tile each input line (16
// channels of a row) and each output line (16 steps of a channel) is used whole.
const uint TILE = M2VK_SHORT_CONV_TILE;

void main() {
  uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * pc.row_pitch;
  uint lane = i % (TILE * TILE), tile = i / (TILE * TILE);
  uint tiles_t = (pc.rows + TILE - 1u) / TILE, tiles_c = (pc.hidden + TILE - 1u) / TILE;
  uint per_batch = tiles_t * tiles_c;
  if (tile >= pc.batch * per_batch) return;
  b = tile / per_batch;
  uint rem = tile - b * per_batch;
  uint ct = rem / tiles_t;
  uint tl = (rem - ct * tiles_t) * TILE + lane % TILE;
  uint c = ct * TILE + lane / TILE;
  if (tl >= pc.rows || c >= pc.hidden) return;
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
#endif

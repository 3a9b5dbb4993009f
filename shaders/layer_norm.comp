#version 450
// LayerNorm over the last axis, optionally of x + r, or of the embedding sum (EMBED=1).
// Layouts in include/pc/layer_norm.h. Two passes (a shifted mean, then the centred variance;
// both stay accurate when |mean| >> std). WG_ROW=0: one invocation per row (CPU devices, where
// an invocation's loop over its row is vector code). WG_ROW=1: one workgroup of 128 per row
// (GPUs): neighbouring invocations read neighbouring columns, which the per-row kernel's
// row-strided reads never do; on an H200 those made LayerNorm 14% of a 32k pass. eps is 1e-12 in M2-BERT, i.e.
// almost no protection in fp32: a constant row gives 0 * 1e6 = 0, hence beta, as in PyTorch;
// the clamp only matters for eps = 0.
// TEXEL=1 (with WG_ROW=0, EMBED=0): the per-row kernel reading x, r, gamma and beta as vec4 texels
// and writing y as vec4s, for rows the host has checked are contiguous and 16-byte aligned. On
// llvmpipe a storage-buffer load is a loop over the lanes while a texel fetch is one gather:
// the storage-buffer kernel read every value three times through such loops and was 3x slower
// at subgroups of 16 than at 8 (bench/RESULTS.md, "LayerNorm").
#extension GL_EXT_control_flow_attributes : require
#include "pc/layer_norm.h"
#ifndef TEXEL
#define TEXEL 0
#endif

#if WG_ROW
#define WG 128u
#define KMAX 8u  // columns per invocation kept in registers (C <= 1024); wider rows re-read
layout(local_size_x = 128) in;
shared float partial[WG];
#else
layout(local_size_x = 64) in;
#endif
#if EMBED
layout(std430, binding = 0) readonly buffer Ids { uint ids[]; };
layout(std430, binding = 1) readonly buffer TypeIds { uint type_ids[]; };
layout(std430, binding = 2) readonly buffer Word { float word[]; };
layout(std430, binding = 3) readonly buffer TypeTab { float type_tab[]; };
layout(std430, binding = 4) readonly buffer Pos { float pos[]; };
layout(std430, binding = 5) readonly buffer Gamma { float gamma[]; };
layout(std430, binding = 6) readonly buffer Beta { float beta[]; };
layout(std430, binding = 7) writeonly buffer Y { float y[]; };
#elif TEXEL
layout(binding = 0) uniform samplerBuffer x4;  // RGBA32F views: one vec4 per texel
layout(binding = 1) uniform samplerBuffer r4;
layout(binding = 2) uniform samplerBuffer gamma4;
layout(binding = 3) uniform samplerBuffer beta4;
layout(std430, binding = 4) buffer Y { vec4 y4[]; };
#else
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer R { float r[]; };
layout(std430, binding = 2) readonly buffer Gamma { float gamma[]; };
layout(std430, binding = 3) readonly buffer Beta { float beta[]; };
layout(std430, binding = 4) writeonly buffer Y { float y[]; };
#endif
M2VK_PUSH_CONSTANT_BLOCK(LayerNormPC, M2VK_PC_LAYER_NORM)

uint b, m;
#if EMBED
uint word_base, type_base, pos_row;
float value(uint c) { return word[word_base + c] + type_tab[type_base + c] + pos[pos_row + c]; }
#elif TEXEL
uint xbase, rbase;  // in vec4s
vec4 value4(uint q) {
  vec4 v = texelFetch(x4, int(xbase + q));
  if (pc.has_r != 0) v += texelFetch(r4, int(rbase + q));
  return v;
}
#else
uint xbase, rbase;
float value(uint c) {
  float v = x[xbase + c * pc.x_sc];
  if (pc.has_r != 0) v += r[rbase + c * pc.x_sc];
  return v;
}
#endif

// Row i's bases (and the embedding's gathered ids): sets the globals value() reads.
void set_row(uint i) {
  b = i / pc.rows;
  m = i - b * pc.rows;
#if EMBED
  // Ids are validated on the host; clamping keeps a bad id from reading out of bounds.
  uint id = min(ids[pc.ids_off + b * pc.id_sb + m], pc.vocab - 1);
  uint tid = min(type_ids[pc.ids_off + b * pc.id_sb + m], pc.type_vocab - 1);
  word_base = id * pc.cols;
  type_base = tid * pc.cols;
  pos_row = (pc.pos_base + pc.row_base + m) * pc.cols;
#else
  xbase = pc.x_off + b * pc.x_sb + m * pc.x_sr;
  rbase = pc.r_off + b * pc.x_sb + m * pc.x_sr;
#if TEXEL
  xbase /= 4u;
  rbase /= 4u;
#endif
#endif
}

uint ybase() { return pc.y_off + b * pc.y_sb + m * pc.y_sr; }

#if WG_ROW
// The workgroup's sum of v (every invocation gets it); partial is free again on return.
float workgroup_sum(float v) {
  uint t = gl_LocalInvocationID.x;
  partial[t] = v;
  barrier();
  for (uint s = WG / 2u; s > 0u; s >>= 1) {
    if (t < s) partial[t] += partial[t + s];
    barrier();
  }
  float total = partial[0];
  barrier();
  return total;
}

void main() {
  // Rows over a 2-D grid: group counts in x stay within the 65535 every device allows.
  uint i = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  if (i >= pc.batch * pc.rows) return;  // the whole workgroup: no barrier is left half-reached
  set_row(i);
  uint t = gl_LocalInvocationID.x;
  float shift = value(0);
  float v[KMAX];
  float sum = 0.0;
  [[unroll]] for (uint k = 0; k < KMAX; k++) {
    uint c = t + k * WG;
    v[k] = c < pc.cols ? value(c) : shift;
    sum += v[k] - shift;
  }
  for (uint c = t + KMAX * WG; c < pc.cols; c += WG) sum += value(c) - shift;
  float mean = shift + workgroup_sum(sum) / float(pc.cols);
  float sq = 0.0;
  [[unroll]] for (uint k = 0; k < KMAX; k++) {
    float d = t + k * WG < pc.cols ? v[k] - mean : 0.0;
    sq += d * d;
  }
  for (uint c = t + KMAX * WG; c < pc.cols; c += WG) {
    float d = value(c) - mean;
    sq += d * d;
  }
  float inv = inversesqrt(workgroup_sum(sq) / float(pc.cols) + pc.eps);
  inv = min(inv, 3.0e38);
  // In place (y aliasing x) is safe: each invocation writes only the columns it read.
  uint yb = ybase();
  [[unroll]] for (uint k = 0; k < KMAX; k++) {
    uint c = t + k * WG;
    if (c < pc.cols) y[yb + c * pc.y_sc] = (v[k] - mean) * inv * gamma[c] + beta[c];
  }
  for (uint c = t + KMAX * WG; c < pc.cols; c += WG) y[yb + c * pc.y_sc] = (value(c) - mean) * inv * gamma[c] + beta[c];
}
#elif TEXEL
void main() {
  uint i = gl_GlobalInvocationID.x;
  if (i >= pc.batch * pc.rows) return;
  set_row(i);
  uint n4 = pc.cols / 4u;
  float shift = value4(0u).x;
  vec4 sum = vec4(0.0);
  for (uint q = 0; q < n4; q++) sum += value4(q) - shift;
  float mean = shift + (sum.x + sum.y + sum.z + sum.w) / float(pc.cols);
  vec4 sq = vec4(0.0);
  for (uint q = 0; q < n4; q++) {
    vec4 d = value4(q) - mean;
    sq += d * d;
  }
  float inv = inversesqrt((sq.x + sq.y + sq.z + sq.w) / float(pc.cols) + pc.eps);
  inv = min(inv, 3.0e38);
  // In place (y aliasing x) is safe: each vec4 is read before it is written, by this invocation only.
  uint yb = ybase() / 4u, gb = pc.g_off / 4u;
  for (uint q = 0; q < n4; q++)
    y4[yb + q] = (value4(q) - mean) * inv * texelFetch(gamma4, int(gb + q)) + texelFetch(beta4, int(gb + q));
}
#else
void main() {
  uint i = gl_GlobalInvocationID.x;
  if (i >= pc.batch * pc.rows) return;
  set_row(i);
  // Sum of (v - v0): with |mean| >> std a plain fp32 sum of the values would lose digits.
  float shift = value(0);
  float sum = 0.0;
  for (uint c = 0; c < pc.cols; c++) sum += value(c) - shift;
  float mean = shift + sum / float(pc.cols);
  float sq = 0.0;
  for (uint c = 0; c < pc.cols; c++) {
    float d = value(c) - mean;
    sq += d * d;
  }
  float inv = inversesqrt(sq / float(pc.cols) + pc.eps);
  inv = min(inv, 3.0e38);
  uint yb = ybase();
  for (uint c = 0; c < pc.cols; c++) y[yb + c * pc.y_sc] = (value(c) - mean) * inv * gamma[c] + beta[c];
}
#endif

#version 450
// LayerNorm over the last axis, optionally of x + r, or of the embedding sum (EMBED=1).
// Layouts in include/pc/layer_norm.h. One invocation per row, two passes (a shifted mean, then
// the centred variance; both stay accurate when |mean| >> std). eps is 1e-12 in M2-BERT, i.e.
// almost no protection in fp32: a constant row gives 0 * 1e6 = 0, hence beta, as in PyTorch;
// the clamp only matters for eps = 0.
#include "pc/layer_norm.h"

layout(local_size_x = 64) in;
#if EMBED
layout(std430, binding = 0) readonly buffer Ids { uint ids[]; };
layout(std430, binding = 1) readonly buffer TypeIds { uint type_ids[]; };
layout(std430, binding = 2) readonly buffer Word { float word[]; };
layout(std430, binding = 3) readonly buffer TypeTab { float type_tab[]; };
layout(std430, binding = 4) readonly buffer Pos { float pos[]; };
layout(std430, binding = 5) readonly buffer Gamma { float gamma[]; };
layout(std430, binding = 6) readonly buffer Beta { float beta[]; };
layout(std430, binding = 7) writeonly buffer Y { float y[]; };
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
#else
uint xbase, rbase;
float value(uint c) {
  float v = x[xbase + c * pc.x_sc];
  if (pc.has_r != 0) v += r[rbase + c * pc.x_sc];
  return v;
}
#endif

void main() {
  uint i = gl_GlobalInvocationID.x;
  if (i >= pc.batch * pc.rows) return;
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
#endif
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
  uint ybase = pc.y_off + b * pc.y_sb + m * pc.y_sr;
  for (uint c = 0; c < pc.cols; c++) y[ybase + c * pc.y_sc] = (value(c) - mean) * inv * gamma[c] + beta[c];
}

#version 450
// y = a * b (+ c) over four (B, M, C) views with shared strides (include/pc/layer_elementwise.h).
#include "pc/layer_elementwise.h"

layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer ABuf { float a[]; };
layout(std430, binding = 1) readonly buffer BBuf { float b[]; };
layout(std430, binding = 2) readonly buffer CBuf { float c[]; };
layout(std430, binding = 3) writeonly buffer YBuf { float y[]; };
M2VK_PUSH_CONSTANT_BLOCK(LayerMulAddPC, M2VK_PC_LAYER_MUL_ADD)

void main() {
  uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * pc.row_pitch;
  uint per_batch = pc.rows * pc.cols;
  if (i >= pc.batch * per_batch) return;
  uint bi = i / per_batch, rem = i - bi * per_batch;
  uint m = rem / pc.cols, col = rem - m * pc.cols;
  uint e = bi * pc.sb + m * pc.sr + col * pc.sc;
  float v = a[pc.a_off + e] * b[pc.b_off + e];
  if (pc.has_c != 0) v += c[pc.c_off + e];
  y[pc.y_off + e] = v;
}

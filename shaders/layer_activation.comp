#version 450
// Element-wise activations between strided (B, M, C) views (include/pc/layer_elementwise.h).
//   ACT 0: y = GELU(x) (exact erf form)    ACT 1: y = tanh(x)
//   ACT 2: GLU, y[b, m, c] = GELU(x[b, m, c]) * x[b, m, c + C]  (x has 2C columns)
#include "activations.glsl"
#include "pc/layer_elementwise.h"

layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer XBuf { float x[]; };
layout(std430, binding = 1) writeonly buffer YBuf { float y[]; };
M2VK_PUSH_CONSTANT_BLOCK(LayerActivationPC, M2VK_PC_LAYER_ACTIVATION)

void main() {
  uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * pc.row_pitch;
  uint per_batch = pc.rows * pc.cols;
  if (i >= pc.batch * per_batch) return;
  uint b = i / per_batch, rem = i - b * per_batch;
  uint m = rem / pc.cols, c = rem - m * pc.cols;
  uint xi = pc.x_off + b * pc.x_sb + m * pc.x_sr + c * pc.x_sc;
  float v = x[xi];
#if ACT == 0
  v = m2vk_gelu(v);
#elif ACT == 1
  v = m2vk_tanh(v);
#else
  v = m2vk_gelu(v) * x[xi + pc.cols * pc.x_sc];
#endif
  y[pc.y_off + b * pc.y_sb + m * pc.y_sr + c * pc.y_sc] = v;
}

#version 450
// Masked mean over tokens (BertPooler with pool_all = true); include/pc/layer_pool.h.
// A row without any unmasked token gives 0 here (PyTorch would give 0/0 = NaN).
#include "pc/layer_pool.h"

layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer H { float h[]; };
layout(std430, binding = 1) readonly buffer Mask { uint mask[]; };
layout(std430, binding = 2) writeonly buffer O { float o[]; };
M2VK_PUSH_CONSTANT_BLOCK(LayerPoolPC, M2VK_PC_LAYER_POOL)

void main() {
  uint i = gl_GlobalInvocationID.x;
  if (i >= pc.batch * pc.cols) return;
  uint b = i / pc.cols, c = i - b * pc.cols;
  uint base = pc.h_off + b * pc.h_sb + c * pc.h_sc;
  float sum = 0.0;
  uint count = 0;
  for (uint t = 0; t < pc.len; t++) {
    if (mask[pc.mask_off + b * pc.len + t] != 0) {
      sum += h[base + t * pc.h_st];
      count++;
    }
  }
  o[pc.o_off + b * pc.o_sb + c * pc.o_sc] = sum / float(max(count, 1u));
}

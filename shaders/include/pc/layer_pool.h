// Push constants of masked mean pooling (shaders/layer_mean_pool.comp, src/ops/pooling.cpp):
//   out[b, c] = sum_t mask[b, t] * h[b, t, c] / max(1, sum_t mask[b, t])
// h element (b, t, c) at h_off + b*h_sb + t*h_st + c*h_sc; mask (B, L) uint32 row-major from
// mask_off; out element (b, c) at o_off + b*o_sb + c*o_sc. One invocation per (b, c).
#ifndef M2VK_PC_LAYER_POOL_H
#define M2VK_PC_LAYER_POOL_H
#include "pc/push_constants.h"

#define M2VK_PC_LAYER_POOL(X)                                  \
  X(uint, batch) X(uint, len) X(uint, cols)                   \
  X(uint, h_off) X(uint, h_sb) X(uint, h_st) X(uint, h_sc)    \
  X(uint, mask_off) X(uint, o_off) X(uint, o_sb) X(uint, o_sc)
M2VK_DECLARE_PUSH_CONSTANTS(LayerPoolPC, M2VK_PC_LAYER_POOL, 44)

#endif  // M2VK_PC_LAYER_POOL_H

// Push constants of the element-wise layer ops (shaders/layer_activation.comp,
// shaders/layer_mul_add.comp; src/ops/activation.cpp, src/ops/mul_add.cpp).
// Every tensor is a (B, M, C) view: element (b, m, c) at off + b*sb + m*sr + c*sc (floats).
// Thread i handles output element (b, m, c) with c = i % C, m = (i / C) % M, b = i / (C * M).
#ifndef M2VK_PC_LAYER_ELEMENTWISE_H
#define M2VK_PC_LAYER_ELEMENTWISE_H
#include "pc/push_constants.h"

#define M2VK_PC_LAYER_ACTIVATION(X)                                          \
  X(uint, batch) X(uint, rows) X(uint, cols) /* of the output */            \
  X(uint, x_off) X(uint, x_sb) X(uint, x_sr) X(uint, x_sc)                  \
  X(uint, y_off) X(uint, y_sb) X(uint, y_sr) X(uint, y_sc)                  \
  X(uint, row_pitch) /* invocations per grid row (gl_NumWorkGroups.x * 256) */
M2VK_DECLARE_PUSH_CONSTANTS(LayerActivationPC, M2VK_PC_LAYER_ACTIVATION, 48)

// out = a * b (+ c): the mixer's post-gating and residual long-conv sum when not fused.
#define M2VK_PC_LAYER_MUL_ADD(X)                                             \
  X(uint, batch) X(uint, rows) X(uint, cols)                                \
  X(uint, a_off) X(uint, b_off) X(uint, c_off) X(uint, y_off)              \
  X(uint, sb) X(uint, sr) X(uint, sc) /* shared by all four views */        \
  X(uint, has_c) X(uint, row_pitch)
M2VK_DECLARE_PUSH_CONSTANTS(LayerMulAddPC, M2VK_PC_LAYER_MUL_ADD, 48)

#endif  // M2VK_PC_LAYER_ELEMENTWISE_H

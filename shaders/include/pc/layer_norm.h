// Push constants of LayerNorm and the embedding gather + LayerNorm (shaders/layer_norm.comp,
// src/ops/layer_norm.cpp, src/ops/embedding.cpp). One invocation normalises one row (b, m) of
// `cols` values: y = (s - mean) / sqrt(var + eps) * gamma + beta, biased variance, where
//   LayerNorm:  s = x[b, m, :] (+ r[b, m, :])      (r: same layout as x)
//   Embedding:  s = word[ids[b, m]] + type[type_ids[b, m]] + pos[pos_base + m]
// Views: element (b, m, c) at off + b*sb + m*sr + c*sc (floats); ids are (B, M) row-major
// starting at ids_off, whose batch stride is id_sb. g_off: float offset of gamma and beta in their
// bindings (the texel variant; 0 otherwise).
#ifndef M2VK_PC_LAYER_NORM_H
#define M2VK_PC_LAYER_NORM_H
#include "pc/push_constants.h"

#define M2VK_PC_LAYER_NORM(X)                                      \
  X(uint, batch) X(uint, rows) X(uint, cols) X(float, eps)        \
  X(uint, x_off) X(uint, x_sb) X(uint, x_sr) X(uint, x_sc)        \
  X(uint, r_off) X(uint, has_r)                                   \
  X(uint, y_off) X(uint, y_sb) X(uint, y_sr) X(uint, y_sc)        \
  X(uint, ids_off) X(uint, id_sb) X(uint, pos_base) X(uint, vocab) X(uint, type_vocab) X(uint, row_base) \
  X(uint, g_off)
M2VK_DECLARE_PUSH_CONSTANTS(LayerNormPC, M2VK_PC_LAYER_NORM, 84)

#endif  // M2VK_PC_LAYER_NORM_H

// Push constants of the Hyena implicit-filter element-wise kernels (shaders/hyena_filter.comp,
// src/ops/hyena_filter.cpp). Both work in place on a row-major (rows, cols) block of x.
//   sin:      x[r, c] = sin(w_mod * freq[c] * x[r, c])           p = freq (cols)
//   modulate: x[r, c] *= exp(-t[c] * |deltas[r]|)                p = t (cols), q = deltas (rows)
// (modulate runs on the channel-major (H, L) filter: rows = channels, cols = lags).
#ifndef M2VK_PC_HYENA_FILTER_H
#define M2VK_PC_HYENA_FILTER_H
#include "pc/push_constants.h"

#define M2VK_PC_HYENA_FILTER(X)                                              \
  X(uint, rows) X(uint, cols)                                               \
  X(uint, x_off) X(uint, p_off) X(uint, q_off) /* float offsets in their bindings */ \
  X(uint, row0) /* first row of this piece (indexes q) */                   \
  X(float, w_mod)                                                           \
  X(uint, row_pitch) /* invocations per grid row (gl_NumWorkGroups.x * 256) */
M2VK_DECLARE_PUSH_CONSTANTS(HyenaFilterPC, M2VK_PC_HYENA_FILTER, 32)

#endif  // M2VK_PC_HYENA_FILTER_H

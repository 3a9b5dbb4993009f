// Push constants of the layout copy (shaders/layer_copy_rows4.comp, src/ops/copy_view.cpp):
// y = x over (B, M, C) views, element (b, m, c) at off + b*sb + m*sr + c*sc (floats); y's rows
// are contiguous (sc = 1) and 16-byte aligned, C % 4 == 0. Invocations come in tiles of 256:
// 16 rows m (fastest) x 16 vec4 column groups g, tiles over m fastest, then g, then b; the
// invocation writes columns 4g .. 4g+3 of row (b, m).
#ifndef M2VK_PC_LAYER_COPY_H
#define M2VK_PC_LAYER_COPY_H
#include "pc/push_constants.h"

#define M2VK_PC_LAYER_COPY(X)                                      \
  X(uint, batch) X(uint, rows) X(uint, cols)                      \
  X(uint, x_off) X(uint, x_sb) X(uint, x_sr) X(uint, x_sc)        \
  X(uint, y_off) X(uint, y_sb) X(uint, y_sr)                      \
  X(uint, row_pitch) /* invocations per grid row (gl_NumWorkGroups.x * 256) */
M2VK_DECLARE_PUSH_CONSTANTS(LayerCopyPC, M2VK_PC_LAYER_COPY, 44)

#endif  // M2VK_PC_LAYER_COPY_H

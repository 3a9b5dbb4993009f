// A strided view of a batch of float32 matrices in a GPU buffer, the argument type of the layer
// ops: element (b, r, c) is float number offset + b*stride_batch + r*stride_row + c*stride_col
// counted from buffer.offset. The same activation can so be read token-major (B, L, C) or
// channel-major (B, C, L) without a transpose.
#pragma once

#include <cstdint>
#include <string>

#include "m2vk/host/buffer.hpp"

namespace m2vk::ops {

struct MatrixView {
  host::BufferRange buffer;
  std::uint64_t offset = 0;  // floats
  std::uint32_t batch = 1, rows = 0, cols = 0;
  std::uint64_t stride_batch = 0, stride_row = 0, stride_col = 1;  // floats

  // (batch, rows, cols) stored row-major, e.g. token-major activations (B, L, C).
  static MatrixView row_major(const host::BufferRange& buf, std::uint32_t batch, std::uint32_t rows,
                              std::uint32_t cols, std::uint64_t offset = 0) {
    return {buf, offset, batch, rows, cols, std::uint64_t(rows) * cols, cols, 1};
  }
  // (batch, rows, cols) stored as (batch, cols, rows): a channel-major (B, C, L) tensor seen as
  // (B, L, C) matrices, the layout the mixer works in.
  static MatrixView channel_major(const host::BufferRange& buf, std::uint32_t batch, std::uint32_t rows,
                                  std::uint32_t cols, std::uint64_t offset = 0) {
    return {buf, offset, batch, rows, cols, std::uint64_t(rows) * cols, 1, rows};
  }

  // Index of the last element + 1 (0 for an empty view): the floats the view can touch.
  std::uint64_t extent() const {
    if (batch == 0 || rows == 0 || cols == 0) return 0;
    return offset + (batch - 1) * stride_batch + std::uint64_t(rows - 1) * stride_row +
           std::uint64_t(cols - 1) * stride_col + 1;
  }
  bool same_layout(const MatrixView& o) const {
    return batch == o.batch && rows == o.rows && cols == o.cols && stride_batch == o.stride_batch &&
           stride_row == o.stride_row && stride_col == o.stride_col;
  }
  // "(2, 16, 768) strides (12288, 768, 1) +0": for error messages.
  std::string describe() const {
    return "(" + std::to_string(batch) + ", " + std::to_string(rows) + ", " + std::to_string(cols) + ") strides (" +
           std::to_string(stride_batch) + ", " + std::to_string(stride_row) + ", " + std::to_string(stride_col) +
           ") +" + std::to_string(offset);
  }
};

}  // namespace m2vk::ops

// y = x between two layouts of one (B, M, C) tensor, for a y whose rows are contiguous and
// 16-byte aligned (stride_col 1, stride_row and stride_batch multiples of 4, C % 4 == 0): the
// GPU model turns the long convolutions' channel-major output into the token-major rows
// out_linear reads (src/model/gpu/gpu_model.cpp). x may have any strides; x and y must not overlap.
#pragma once

#include "m2vk/host/host.hpp"
#include "m2vk/ops/matrix_view.hpp"

namespace m2vk::ops {

// Throws OpError naming the view when shapes differ, y's layout is not accepted, or a view
// reaches past its buffer.
void record_copy_rows(host::Context& ctx, host::CommandRecorder& rec, const MatrixView& x, const MatrixView& y);

}  // namespace m2vk::ops

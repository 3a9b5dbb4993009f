// y = x into contiguous rows (see m2vk/ops/copy_view.hpp, shaders/layer_copy_rows4.comp).
#include "m2vk/ops/copy_view.hpp"

#include <string>

#include "elementwise_grid.hpp"
#include "layer_binding.hpp"
#include "m2vk/ops/op_error.hpp"
#include "pc/layer_copy.h"

namespace m2vk::ops {

void record_copy_rows(host::Context& ctx, host::CommandRecorder& rec, const MatrixView& x, const MatrixView& y) {
  const std::string op = "record_copy_rows";
  if (x.batch != y.batch || x.rows != y.rows || x.cols != y.cols)
    throw OpError(op + ": x " + x.describe() + " and y " + y.describe() + " differ in shape");
  if (!detail::rows_vec4(y) || y.offset % 4 != 0)
    throw OpError(op + ": y " + y.describe() +
                  " must have contiguous rows of a multiple of 4 columns, 4-aligned offset and strides");
  detail::check_in_buffer(x, op + ": x");
  detail::check_in_buffer(y, op + ": y");
  if (x.batch == 0 || x.rows == 0 || x.cols == 0) return;
  const host::Pipeline& pipe = ctx.pipeline("layer_copy_rows4");
  // x is an R32 texel view: each piece of it must also fit maxTexelBufferElements.
  detail::for_each_piece(
      ctx, {&x, &y}, x.batch, x.rows, op,
      [&](std::uint32_t b0, std::uint32_t nb, std::uint32_t r0, std::uint32_t nr) {
        const auto xb = detail::bind_view(ctx, x, b0, nb, r0, nr, op + ": x");
        const auto yb = detail::bind_view(ctx, y, b0, nb, r0, nr, op + ": y");
        if (!yb.vec4_start())
          throw OpError(op + ": y " + y.describe() + " does not start on a 16-byte boundary of its buffer");
        const std::uint64_t tiles = std::uint64_t(nb) * ((nr + 15) / 16) * ((x.cols / 4 + 15) / 16);
        const auto grid = detail::elementwise_grid(ctx, tiles * 256);
        pc::LayerCopyPC pc{};
        pc.batch = nb;
        pc.rows = nr;
        pc.cols = x.cols;
        pc.x_off = xb.offset;
        pc.x_sb = detail::pc_u32(x.stride_batch, op + ": x.stride_batch");
        pc.x_sr = detail::pc_u32(x.stride_row, op + ": x.stride_row");
        pc.x_sc = detail::pc_u32(x.stride_col, op + ": x.stride_col");
        pc.y_off = yb.offset;
        pc.y_sb = detail::pc_u32(y.stride_batch, op + ": y.stride_batch");
        pc.y_sr = detail::pc_u32(y.stride_row, op + ": y.stride_row");
        pc.row_pitch = grid.row_pitch;
        rec.dispatch(pipe, {host::texels(xb.range, VK_FORMAT_R32_SFLOAT), host::write(yb.range)}, pc, grid.groups,
                     "copy_rows");
      },
      0, ctx.limits().max_texel_elements);
}

}  // namespace m2vk::ops

// CLS rows and masked mean pooling (see m2vk/ops/pooling.hpp, shaders/layer_mean_pool.comp).
#include "m2vk/ops/pooling.hpp"

#include <string>

#include "layer_binding.hpp"
#include "m2vk/ops/op_error.hpp"
#include "pc/layer_pool.h"

namespace m2vk::ops {

MatrixView cls_rows(const MatrixView& hidden) {
  MatrixView v = hidden;
  v.rows = hidden.rows == 0 ? 0 : 1;
  return v;
}

void record_mean_pool(host::Context& ctx, host::CommandRecorder& rec, const MatrixView& hidden,
                      const host::BufferRange& mask, const MatrixView& out) {
  const std::string op = "record_mean_pool";
  if (out.batch != hidden.batch || out.rows != 1 || out.cols != hidden.cols) {
    throw OpError(op + ": out " + out.describe() + " is not (" + std::to_string(hidden.batch) + ", 1, " +
                  std::to_string(hidden.cols) + ")");
  }
  detail::check_in_buffer(hidden, op + ": hidden");
  detail::check_in_buffer(out, op + ": out");
  const std::uint64_t nmask = std::uint64_t(hidden.batch) * hidden.rows;
  if (mask.size / 4 < nmask) {
    throw OpError(op + ": mask holds " + std::to_string(mask.size / 4) + " values, needs " + std::to_string(nmask));
  }
  if (hidden.batch == 0 || hidden.cols == 0) return;
  const host::Pipeline& pipe = ctx.pipeline("layer_mean_pool");
  // Pieces are whole batch entries (the mean runs over all rows).
  for (std::uint32_t b0 = 0; b0 < hidden.batch; ++b0) {
    const auto hb = detail::bind_view(ctx, hidden, b0, 1, 0, hidden.rows, op + ": hidden");
    const auto ob = detail::bind_view(ctx, out, b0, 1, 0, 1, op + ": out");
    const std::uint64_t m0 = std::uint64_t(b0) * hidden.rows;
    const auto mb = detail::bind_floats(ctx, mask, m0, m0 + hidden.rows, op + ": mask");
    pc::LayerPoolPC pc{};
    pc.batch = 1;
    pc.len = hidden.rows;
    pc.cols = hidden.cols;
    pc.h_off = hb.offset;
    pc.h_sb = detail::pc_u32(hidden.stride_batch, op + ": hidden.stride_batch");
    pc.h_st = detail::pc_u32(hidden.stride_row, op + ": hidden.stride_row");
    pc.h_sc = detail::pc_u32(hidden.stride_col, op + ": hidden.stride_col");
    pc.mask_off = mb.offset;
    pc.o_off = ob.offset;
    pc.o_sb = detail::pc_u32(out.stride_batch, op + ": out.stride_batch");
    pc.o_sc = detail::pc_u32(out.stride_col, op + ": out.stride_col");
    rec.dispatch(pipe, {host::read(hb.range), host::read(mb.range), host::write(ob.range)}, pc,
                 {host::div_up(hidden.cols, 64), 1, 1}, op);
  }
}

}  // namespace m2vk::ops

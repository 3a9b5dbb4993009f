// Element-wise activations (see m2vk/ops/activation.hpp, shaders/layer_activation.comp).
#include "m2vk/ops/activation.hpp"

#include <string>

#include "elementwise_grid.hpp"
#include "layer_binding.hpp"
#include "m2vk/ops/op_error.hpp"
#include "pc/layer_elementwise.h"

namespace m2vk::ops {

void record_activation(host::Context& ctx, host::CommandRecorder& rec, Activation act, const MatrixView& x,
                       const MatrixView& y) {
  const std::uint32_t xcols = act == Activation::Glu ? 2 * y.cols : y.cols;
  if (x.batch != y.batch || x.rows != y.rows || x.cols != xcols) {
    throw OpError("record_activation: x " + x.describe() + " does not match y " + y.describe() +
                  (act == Activation::Glu ? " (GLU: x needs twice y's columns)" : ""));
  }
  detail::check_in_buffer(x, "record_activation: x");
  detail::check_in_buffer(y, "record_activation: y");
  const char* variant = act == Activation::Gelu ? "layer_gelu" : act == Activation::Tanh ? "layer_tanh" : "layer_glu";
  const host::Pipeline& pipe = ctx.pipeline(variant);
  detail::for_each_piece(
      ctx, {&x, &y}, y.batch, y.rows, "record_activation",
      [&](std::uint32_t b0, std::uint32_t nb, std::uint32_t r0, std::uint32_t nr) {
        const auto xb = detail::bind_view(ctx, x, b0, nb, r0, nr, "record_activation: x");
        const auto yb = detail::bind_view(ctx, y, b0, nb, r0, nr, "record_activation: y");
        const auto grid = detail::elementwise_grid(ctx, std::uint64_t(nb) * nr * y.cols);
        pc::LayerActivationPC pc{};
        pc.batch = nb;
        pc.rows = nr;
        pc.cols = y.cols;
        pc.x_off = xb.offset;
        pc.x_sb = detail::pc_u32(x.stride_batch, "record_activation: x.stride_batch");
        pc.x_sr = detail::pc_u32(x.stride_row, "record_activation: x.stride_row");
        pc.x_sc = detail::pc_u32(x.stride_col, "record_activation: x.stride_col");
        pc.y_off = yb.offset;
        pc.y_sb = detail::pc_u32(y.stride_batch, "record_activation: y.stride_batch");
        pc.y_sr = detail::pc_u32(y.stride_row, "record_activation: y.stride_row");
        pc.y_sc = detail::pc_u32(y.stride_col, "record_activation: y.stride_col");
        pc.row_pitch = grid.row_pitch;
        rec.dispatch(pipe, {host::read(xb.range), host::write(yb.range)}, pc, grid.groups, variant);
      });
}

}  // namespace m2vk::ops

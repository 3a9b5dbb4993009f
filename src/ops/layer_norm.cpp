// LayerNorm (+ residual) over rows (see m2vk/ops/layer_norm.hpp, shaders/layer_norm.comp).
#include "m2vk/ops/layer_norm.hpp"

#include <optional>
#include <string>

#include "layer_binding.hpp"
#include "layer_norm_launch.hpp"
#include "m2vk/ops/op_error.hpp"
#include "pc/layer_norm.h"

namespace m2vk::ops {

LayerNormKernel layer_norm_kernel_for(const host::DeviceInfo& info, LayerNormKernel requested) {
  if (requested != LayerNormKernel::Auto) return requested;
  return info.type == host::DeviceType::Cpu ? LayerNormKernel::Invocation : LayerNormKernel::Workgroup;
}

void record_layer_norm(host::Context& ctx, host::CommandRecorder& rec, const MatrixView& x,
                       const std::optional<MatrixView>& residual, const LayerNormWeights& w, const MatrixView& y,
                       LayerNormKernel kernel) {
  if (x.batch != y.batch || x.rows != y.rows || x.cols != y.cols) {
    throw OpError("record_layer_norm: x " + x.describe() + " and y " + y.describe() + " differ in shape");
  }
  if (residual && !residual->same_layout(x)) {
    throw OpError("record_layer_norm: residual " + residual->describe() + " must have x's layout " + x.describe());
  }
  if (w.gamma.size / 4 < x.cols || w.beta.size / 4 < x.cols) {
    throw OpError("record_layer_norm: gamma/beta hold " + std::to_string(w.gamma.size / 4) + "/" +
                  std::to_string(w.beta.size / 4) + " floats, need " + std::to_string(x.cols));
  }
  if (x.cols == 0) throw OpError("record_layer_norm: rows of zero length");
  detail::check_in_buffer(x, "record_layer_norm: x");
  detail::check_in_buffer(y, "record_layer_norm: y");
  if (residual) detail::check_in_buffer(*residual, "record_layer_norm: residual");
  std::vector<const MatrixView*> views{&x, &y};
  if (residual) views.push_back(&*residual);
  // CPU devices: vec4 texel reads where every row is contiguous and 16-byte aligned
  // (shaders/layer_norm.comp, TEXEL); each piece is checked again once bound.
  bool texel_layout = layer_norm_kernel_for(ctx.device_info(), kernel) == LayerNormKernel::Invocation &&
                      detail::rows_vec4(x) && detail::rows_vec4(y) && (!residual || detail::rows_vec4(*residual));
  std::optional<detail::BoundFloats> gb, bb;  // gamma and beta as vec4 texels, one offset for both
  if (texel_layout) {
    gb = detail::bind_floats(ctx, w.gamma, 0, x.cols, "record_layer_norm: gamma");
    bb = detail::bind_floats(ctx, w.beta, 0, x.cols, "record_layer_norm: beta");
    texel_layout = gb->vec4_start() && gb->offset == bb->offset;
  }
  const std::uint64_t texel_floats = texel_layout ? ctx.limits().max_texel_elements * 4 : 0;
  detail::for_each_piece(
      ctx, views, x.batch, x.rows, "record_layer_norm",
      [&](std::uint32_t b0, std::uint32_t nb, std::uint32_t r0, std::uint32_t nr) {
        const auto xb = detail::bind_view(ctx, x, b0, nb, r0, nr, "record_layer_norm: x");
        const auto yb = detail::bind_view(ctx, y, b0, nb, r0, nr, "record_layer_norm: y");
        const auto rb = residual ? detail::bind_view(ctx, *residual, b0, nb, r0, nr, "record_layer_norm: residual") : xb;
        pc::LayerNormPC pc{};
        pc.batch = nb;
        pc.rows = nr;
        pc.cols = x.cols;
        pc.eps = w.eps;
        pc.x_off = xb.offset;
        pc.x_sb = detail::pc_u32(x.stride_batch, "record_layer_norm: x.stride_batch");
        pc.x_sr = detail::pc_u32(x.stride_row, "record_layer_norm: x.stride_row");
        pc.x_sc = detail::pc_u32(x.stride_col, "record_layer_norm: x.stride_col");
        pc.r_off = rb.offset;
        pc.has_r = residual ? 1u : 0u;
        pc.y_off = yb.offset;
        pc.y_sb = detail::pc_u32(y.stride_batch, "record_layer_norm: y.stride_batch");
        pc.y_sr = detail::pc_u32(y.stride_row, "record_layer_norm: y.stride_row");
        pc.y_sc = detail::pc_u32(y.stride_col, "record_layer_norm: y.stride_col");
        const detail::NormLaunch launch = detail::norm_launch(ctx, kernel, "layer_norm", std::uint64_t(nb) * nr);
        if (texel_layout && xb.vec4_start() && yb.vec4_start() && rb.vec4_start()) {
          pc.g_off = gb->offset;
          const VkFormat f4 = VK_FORMAT_R32G32B32A32_SFLOAT;
          rec.dispatch(ctx.pipeline("layer_norm_tx"),
                       {host::texels(xb.range, f4), host::texels(rb.range, f4), host::texels(gb->range, f4),
                        host::texels(bb->range, f4), host::read_write(yb.range)},
                       pc, launch.groups, "layer_norm");
          return;
        }
        // y may alias x (each invocation reads its columns before writing them): read-write.
        rec.dispatch(ctx.pipeline(launch.pipeline),
                     {host::read(xb.range), host::read(rb.range), host::read(w.gamma), host::read(w.beta),
                      host::read_write(yb.range)},
                     pc, launch.groups, "layer_norm");
      },
      0, texel_floats);
}

}  // namespace m2vk::ops

// Short depthwise causal conv + split (+ pre-gating) (see m2vk/ops/short_conv.hpp,
// shaders/layer_short_conv.comp).
#include "m2vk/ops/short_conv.hpp"

#include <string>

#include "elementwise_grid.hpp"
#include "layer_binding.hpp"
#include "m2vk/ops/op_error.hpp"
#include "pc/layer_short_conv.h"

namespace m2vk::ops {
namespace {

// Inputs bind as R32 texel buffers (see shaders/layer_short_conv.comp).
host::Binding texels(const host::BufferRange& r) { return host::texels(r, VK_FORMAT_R32_SFLOAT); }

void record(host::Context& ctx, host::CommandRecorder& rec, const MatrixView& p, const ShortConvWeights& w,
            const MatrixView& o0, const MatrixView* o1, const std::string& op) {
  const std::uint32_t H = w.hidden;
  if (H == 0 || p.cols != 3 * H) {
    throw OpError(op + ": p " + p.describe() + " must have 3 * hidden = " + std::to_string(3ull * H) + " columns");
  }
  const std::uint32_t ocols = o1 ? H : 3 * H;
  for (const MatrixView* o : {&o0, o1}) {
    if (!o) continue;
    if (o->batch != p.batch || o->rows != p.rows || o->cols != ocols) {
      throw OpError(op + ": output " + o->describe() + " is not (" + std::to_string(p.batch) + ", " +
                    std::to_string(p.rows) + ", " + std::to_string(ocols) + ")");
    }
    detail::check_in_buffer(*o, op + ": output");
  }
  if (o1 && !o1->same_layout(o0)) throw OpError(op + ": x1v and x2 must share strides");
  if (w.weight.size / 4 < 9ull * H || w.bias.size / 4 < 3ull * H) {
    throw OpError(op + ": weight (3H, 1, 3) / bias (3H) buffers too small for H = " + std::to_string(H));
  }
  detail::check_in_buffer(p, op + ": p");
  // Output pieces along time need the two input rows before them (the causal halo), hence the
  // reserve of two input rows in every binding's budget.
  std::vector<const MatrixView*> views{&p, &o0};
  if (o1) views.push_back(o1);
  detail::for_each_piece(ctx, views, p.batch, p.rows, op,
                         [&](std::uint32_t b0, std::uint32_t nb, std::uint32_t r0, std::uint32_t nr) {
    const std::uint32_t in_r0 = r0 >= 2 ? r0 - 2 : 0;
    const auto pb = detail::bind_view(ctx, p, b0, nb, in_r0, nr + (r0 - in_r0), op + ": p");
    const auto ob0 = detail::bind_view(ctx, o0, b0, nb, r0, nr, op + ": output");
    const auto ob1 = o1 ? detail::bind_view(ctx, *o1, b0, nb, r0, nr, op + ": x2") : ob0;
    // The vec4 variant (4 steps per invocation) where both outputs are time-contiguous whole
    // vec4s: channel-major (B, H, L) with L % 4 == 0, the layout the model uses.
    const bool v4 = o1 && o0.stride_row == 1 && o0.stride_col % 4 == 0 && o0.stride_batch % 4 == 0 && nr % 4 == 0 &&
                    ob0.vec4_start() && ob1.vec4_start();
    const host::Pipeline& pipe =
        ctx.pipeline(!o1 ? "layer_short_conv" : v4 ? "layer_short_conv_gated_v4" : "layer_short_conv_gated");
    // One workgroup per (time x channel) tile (see the shader): 16 x 16, or 64 x 16 with vec4s.
    constexpr std::uint32_t tile = M2VK_SHORT_CONV_TILE;
    static_assert(tile * tile == 256, "elementwise_grid() launches workgroups of 256");
    const std::uint64_t tiles = std::uint64_t(nb) * host::div_up(nr, v4 ? 4 * tile : tile) * host::div_up(H, tile);
    const auto grid = detail::elementwise_grid(ctx, tiles * tile * tile);
    pc::LayerShortConvPC pc{};
    pc.batch = nb;
    pc.rows = nr;
    pc.hidden = H;
    pc.t_base = r0;
    pc.p_row0 = in_r0;
    pc.p_off = pb.offset;
    pc.p_sb = detail::pc_u32(p.stride_batch, op + ": p.stride_batch");
    pc.p_st = detail::pc_u32(p.stride_row, op + ": p.stride_row");
    pc.p_sc = detail::pc_u32(p.stride_col, op + ": p.stride_col");
    pc.o0_off = ob0.offset;
    pc.o1_off = ob1.offset;
    pc.o_sb = detail::pc_u32(o0.stride_batch, op + ": out.stride_batch");
    pc.o_st = detail::pc_u32(o0.stride_row, op + ": out.stride_row");
    pc.o_sc = detail::pc_u32(o0.stride_col, op + ": out.stride_col");
    pc.row_pitch = grid.row_pitch;
    if (o1) {
      rec.dispatch(pipe,
                   {texels(pb.range), texels(w.weight), texels(w.bias), host::write(ob0.range),
                    host::write(ob1.range)},
                   pc, grid.groups, v4 ? op + "_v4" : op);
    } else {  // the full-output variant has no second output binding
      rec.dispatch(pipe, {texels(pb.range), texels(w.weight), texels(w.bias), host::write(ob0.range)}, pc,
                   grid.groups, op);
    }
  }, 2 * p.stride_row, ctx.limits().max_texel_elements);
}

}  // namespace

void record_short_conv(host::Context& ctx, host::CommandRecorder& rec, const MatrixView& p, const ShortConvWeights& w,
                       const MatrixView& q) {
  record(ctx, rec, p, w, q, nullptr, "record_short_conv");
}

void record_short_conv_gated(host::Context& ctx, host::CommandRecorder& rec, const MatrixView& p,
                             const ShortConvWeights& w, const MatrixView& x1v, const MatrixView& x2) {
  record(ctx, rec, p, w, x1v, &x2, "record_short_conv_gated");
}

}  // namespace m2vk::ops

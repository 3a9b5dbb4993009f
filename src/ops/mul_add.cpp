// y = a * b (+ c) (see m2vk/ops/mul_add.hpp, shaders/layer_mul_add.comp).
#include "m2vk/ops/mul_add.hpp"

#include <string>

#include "elementwise_grid.hpp"
#include "layer_binding.hpp"
#include "m2vk/ops/op_error.hpp"
#include "pc/layer_elementwise.h"

namespace m2vk::ops {

void record_mul_add(host::Context& ctx, host::CommandRecorder& rec, const MatrixView& a, const MatrixView& b,
                    const std::optional<MatrixView>& c, const MatrixView& y) {
  for (const MatrixView* v : {&b, &y}) {
    if (!v->same_layout(a)) throw OpError("record_mul_add: view " + v->describe() + " differs from a " + a.describe());
  }
  if (c && !c->same_layout(a)) throw OpError("record_mul_add: c " + c->describe() + " differs from a " + a.describe());
  detail::check_in_buffer(a, "record_mul_add: a");
  detail::check_in_buffer(b, "record_mul_add: b");
  detail::check_in_buffer(y, "record_mul_add: y");
  if (c) detail::check_in_buffer(*c, "record_mul_add: c");
  const host::Pipeline& pipe = ctx.pipeline("layer_mul_add");
  std::vector<const MatrixView*> views{&a, &b, &y};
  if (c) views.push_back(&*c);
  detail::for_each_piece(
      ctx, views, a.batch, a.rows, "record_mul_add",
      [&](std::uint32_t b0, std::uint32_t nb, std::uint32_t r0, std::uint32_t nr) {
        const auto ab = detail::bind_view(ctx, a, b0, nb, r0, nr, "record_mul_add: a");
        const auto bb = detail::bind_view(ctx, b, b0, nb, r0, nr, "record_mul_add: b");
        const auto yb = detail::bind_view(ctx, y, b0, nb, r0, nr, "record_mul_add: y");
        const auto cb = c ? detail::bind_view(ctx, *c, b0, nb, r0, nr, "record_mul_add: c") : ab;
        const auto grid = detail::elementwise_grid(ctx, std::uint64_t(nb) * nr * a.cols);
        pc::LayerMulAddPC pc{};
        pc.batch = nb;
        pc.rows = nr;
        pc.cols = a.cols;
        pc.a_off = ab.offset;
        pc.b_off = bb.offset;
        pc.c_off = cb.offset;
        pc.y_off = yb.offset;
        pc.sb = detail::pc_u32(a.stride_batch, "record_mul_add: stride_batch");
        pc.sr = detail::pc_u32(a.stride_row, "record_mul_add: stride_row");
        pc.sc = detail::pc_u32(a.stride_col, "record_mul_add: stride_col");
        pc.has_c = c ? 1u : 0u;
        pc.row_pitch = grid.row_pitch;
        // In-place use (y aliasing a, b or c) is element-for-element, so y is declared
        // read-write to keep the barrier tracking honest when ranges coincide.
        rec.dispatch(pipe, {host::read(ab.range), host::read(bb.range), host::read(cb.range), host::read_write(yb.range)},
                     pc, grid.groups, "layer_mul_add");
      });
}

}  // namespace m2vk::ops

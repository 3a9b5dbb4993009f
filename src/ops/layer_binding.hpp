// Internal helper of the layer ops: turns "floats [first, end) of a buffer range" into a
// binding the device accepts (offset aligned to minStorageBufferOffsetAlignment and to
// minTexelBufferOffsetAlignment, so it also serves as a texel-buffer binding; size within
// maxStorageBufferRange) plus the float offset of `first` inside that binding, which the
// shaders receive as a push constant.
#pragma once

#include <cstdint>
#include <string_view>

#include "m2vk/host/host.hpp"

namespace m2vk::ops::detail {

struct BoundFloats {
  host::BufferRange range;  // what to bind
  std::uint32_t offset = 0;  // float index of `first` inside `range`
  bool vec4_ok = false;  // range starts on 16 bytes: float index i % 4 == 0 is a vec4 boundary
  // `first` itself is a vec4 boundary of the binding (what vec4 loads and stores need).
  bool vec4_start() const { return vec4_ok && offset % 4 == 0; }
};

// Binds floats [first, end) of `buf`. Throws OpError naming `what` when the span exceeds the
// buffer or the device's binding limit.
BoundFloats bind_floats(const host::Context& ctx, const host::BufferRange& buf, std::uint64_t first,
                        std::uint64_t end, std::string_view what);

// Largest number of floats one binding may span on this device.
std::uint64_t max_binding_floats(const host::Context& ctx);

}  // namespace m2vk::ops::detail

#include <functional>
#include <vector>

#include "m2vk/ops/matrix_view.hpp"

namespace m2vk::ops::detail {

// Cuts the (batch, rows) space shared by `views` into pieces whose every view binding fits the
// device's maxStorageBufferRange: whole batch entries first, then row chunks (multiples of 4
// when possible). Calls fn(b0, nbatch, r0, nrows) for each piece in order. Throws OpError
// naming `op` when a single row of some view is already too large. `reserve_floats`: extra
// floats some binding needs beyond its piece (e.g. a halo of input rows). `max_floats`: a
// tighter per-binding limit than max_binding_floats() (e.g. maxTexelBufferElements); 0: none.
void for_each_piece(const host::Context& ctx, const std::vector<const MatrixView*>& views, std::uint32_t batch,
                    std::uint32_t rows, std::string_view op,
                    const std::function<void(std::uint32_t, std::uint32_t, std::uint32_t, std::uint32_t)>& fn,
                    std::uint64_t reserve_floats = 0, std::uint64_t max_floats = 0);

// Floats spanned by `nbatch` batch entries x `nrows` rows of a view, and the first of them.
std::uint64_t view_span(const MatrixView& v, std::uint32_t nbatch, std::uint32_t nrows);
std::uint64_t view_first(const MatrixView& v, std::uint32_t b0, std::uint32_t r0);

// Binds the piece of `v` (batch entries [b0, b0+nbatch), rows [r0, r0+nrows)).
BoundFloats bind_view(const host::Context& ctx, const MatrixView& v, std::uint32_t b0, std::uint32_t nbatch,
                      std::uint32_t r0, std::uint32_t nrows, std::string_view what);

// Rows of v are whole, contiguous vec4s: stride_col 1, cols and the row and batch strides
// multiples of 4 floats (the view's start is checked once bound: BoundFloats::vec4_start).
inline bool rows_vec4(const MatrixView& v) {
  return v.stride_col == 1 && v.cols % 4 == 0 && v.stride_row % 4 == 0 && v.stride_batch % 4 == 0;
}

// v as a 32-bit push constant; throws OpError naming `what` when it does not fit.
std::uint32_t pc_u32(std::uint64_t v, std::string_view what);

// Throws OpError when the view reaches past its buffer range.
void check_in_buffer(const MatrixView& v, std::string_view what);

}  // namespace m2vk::ops::detail

// See layer_binding.hpp.
#include "layer_binding.hpp"

#include <algorithm>
#include <numeric>
#include <string>

#include "m2vk/ops/op_error.hpp"

namespace m2vk::ops::detail {

std::uint64_t max_binding_floats(const host::Context& ctx) { return ctx.limits().max_storage_range / 4; }

BoundFloats bind_floats(const host::Context& ctx, const host::BufferRange& buf, std::uint64_t first,
                        std::uint64_t end, std::string_view what) {
  if (end <= first) end = first + 1;  // an empty view still needs a valid (non-empty) binding
  const std::uint64_t buf_floats = buf.size / 4;
  if (end > buf_floats) {
    throw OpError(std::string(what) + ": the view needs floats [" + std::to_string(first) + ", " +
                  std::to_string(end) + ") but its buffer range holds " + std::to_string(buf_floats) + " floats");
  }
  // Binding offsets must be multiples of the device alignment and of 4 floats (16 bytes), so
  // that `first` keeps its vec4 alignment inside the binding.
  const std::uint64_t align_bytes = std::lcm<std::uint64_t>(
      std::lcm<std::uint64_t>(std::max<std::uint64_t>(ctx.limits().storage_offset_alignment, 4), 16),
      std::max<std::uint64_t>(ctx.limits().texel_offset_alignment, 4));
  const std::uint64_t abs_first = buf.offset + first * 4;  // bytes from the VkBuffer's start
  std::uint64_t base = abs_first / align_bytes * align_bytes;
  if (base < buf.offset) base = buf.offset;  // the caller's range starts unaligned: bind from it
  const std::uint64_t rel = base - buf.offset;  // bytes into `buf`
  const std::uint64_t bytes = buf.offset + end * 4 - base;
  if (bytes > ctx.limits().max_storage_range) {
    throw OpError(std::string(what) + ": one dispatch would bind " + std::to_string(bytes) +
                  " bytes, more than the device's maxStorageBufferRange of " +
                  std::to_string(ctx.limits().max_storage_range) + " bytes");
  }
  const std::uint64_t off = (abs_first - base) / 4;
  if (off > 0xffffffffull) throw OpError(std::string(what) + ": float offset does not fit 32 bits");
  return {buf.slice(rel, bytes), static_cast<std::uint32_t>(off), base % 16 == 0};
}

}  // namespace m2vk::ops::detail

namespace m2vk::ops::detail {

std::uint64_t view_span(const MatrixView& v, std::uint32_t nbatch, std::uint32_t nrows) {
  if (nbatch == 0 || nrows == 0 || v.cols == 0) return 1;
  return std::uint64_t(nbatch - 1) * v.stride_batch + std::uint64_t(nrows - 1) * v.stride_row +
         std::uint64_t(v.cols - 1) * v.stride_col + 1;
}

std::uint64_t view_first(const MatrixView& v, std::uint32_t b0, std::uint32_t r0) {
  return v.offset + std::uint64_t(b0) * v.stride_batch + std::uint64_t(r0) * v.stride_row;
}

BoundFloats bind_view(const host::Context& ctx, const MatrixView& v, std::uint32_t b0, std::uint32_t nbatch,
                      std::uint32_t r0, std::uint32_t nrows, std::string_view what) {
  const std::uint64_t first = view_first(v, b0, r0);
  return bind_floats(ctx, v.buffer, first, first + view_span(v, nbatch, nrows), what);
}

std::uint32_t pc_u32(std::uint64_t v, std::string_view what) {
  if (v > 0xffffffffull) throw OpError(std::string(what) + " = " + std::to_string(v) + " does not fit 32 bits");
  return static_cast<std::uint32_t>(v);
}

void check_in_buffer(const MatrixView& v, std::string_view what) {
  if (v.extent() > v.buffer.size / 4) {
    throw OpError(std::string(what) + " " + v.describe() + ": reaches past its buffer range of " +
                  std::to_string(v.buffer.size / 4) + " floats");
  }
}

void for_each_piece(const host::Context& ctx, const std::vector<const MatrixView*>& views, std::uint32_t batch,
                    std::uint32_t rows, std::string_view op,
                    const std::function<void(std::uint32_t, std::uint32_t, std::uint32_t, std::uint32_t)>& fn,
                    std::uint64_t reserve_floats, std::uint64_t max_floats) {
  if (batch == 0 || rows == 0) return;
  // Slack for aligning a binding's start down to the device alignment.
  const std::uint64_t cap = max_floats ? std::min(max_floats, max_binding_floats(ctx)) : max_binding_floats(ctx);
  const std::uint64_t limit = cap - 256 - reserve_floats;
  auto fits = [&](std::uint32_t nb, std::uint32_t nr) {
    for (const MatrixView* v : views)
      if (view_span(*v, nb, nr) > limit) return false;
    return true;
  };
  std::uint32_t bstep = batch, rstep = rows;
  if (!fits(batch, rows)) {
    if (fits(1, rows)) {
      bstep = 1;
      while (bstep * 2 <= batch && fits(bstep * 2, rows)) bstep *= 2;
    } else {
      if (!fits(1, 1)) {
        throw OpError(std::string(op) + ": one row of a view spans more than one binding may hold (" +
                      std::to_string(cap * 4) + " bytes: maxStorageBufferRange" +
                      (max_floats ? " or maxTexelBufferElements" : "") + "); use a row-contiguous layout");
      }
      std::uint32_t lo = 1, hi = rows;
      while (lo < hi) {
        const std::uint32_t mid = lo + (hi - lo + 1) / 2;
        if (fits(1, mid)) lo = mid; else hi = mid - 1;
      }
      if (lo >= 4) lo -= lo % 4;
      bstep = 1;
      rstep = lo;
    }
  }
  for (std::uint32_t b0 = 0; b0 < batch; b0 += bstep)
    for (std::uint32_t r0 = 0; r0 < rows; r0 += rstep)
      fn(b0, std::min(bstep, batch - b0), r0, std::min(rstep, rows - r0));
}

}  // namespace m2vk::ops::detail

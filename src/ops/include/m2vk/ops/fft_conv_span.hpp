// Internal helper of the FFT convolution backends (fft_conv.cpp, vkfft_conv.cpp): the slice of a
// strided tensor that a run of rows touches, as a binding within maxStorageBufferRange.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

#include "m2vk/ops/fft_conv.hpp"

namespace m2vk::ops::detail {

using host::BufferRange;

// The bytes of `t` that rows [r0, r0 + count) touch, as an aligned binding, plus the element
// offset of the tensor's first element inside that binding (mod 2^32: the shaders add it to
// in-range indices with wrapping uint arithmetic, so a binding may start after element 0).
struct Span {
  BufferRange range;
  std::uint32_t elem_off = 0;
};

inline Span span_of(const FftTensor& t, std::uint32_t channels, std::uint32_t len, std::uint32_t r0, std::uint32_t count,
             VkDeviceSize align, std::uint32_t elem_bytes) {
  std::uint64_t lo = std::numeric_limits<std::uint64_t>::max(), hi = 0;
  for (std::uint32_t r = r0; r < r0 + count; ++r) {
    std::uint64_t b = r / channels, c = r % channels;
    std::uint64_t first = b * t.sb + c * t.sc;
    lo = std::min(lo, first);
    hi = std::max(hi, first + std::uint64_t(len - 1) * t.st + 1);
  }
  VkDeviceSize abs_lo = t.range.offset + lo * elem_bytes;
  VkDeviceSize start = abs_lo / align * align;
  VkDeviceSize end = t.range.offset + hi * elem_bytes;
  Span s;
  s.range = BufferRange{t.range.buffer, start, end - start,
                        t.range.mapped ? t.range.mapped - (t.range.offset - start) : nullptr};
  s.elem_off = static_cast<std::uint32_t>((t.range.offset - start) / elem_bytes);  // wraps when start > offset
  return s;
}

}  // namespace m2vk::ops::detail

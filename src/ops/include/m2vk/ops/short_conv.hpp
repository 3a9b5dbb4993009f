// The mixer's short depthwise causal convolution (architecture doc 3.3.1 steps 2-4): kernel 3
// over the 3H channels of the in-projection p, bias, then the split into x1 | x2 | v and,
// optionally, the pre-gating x1 * v.
//
// p is a (B, L, 3H) view (token-major as the GEMM writes by default, or channel-major); the
// outputs are (B, L, C) views too, usually channel-major (B, C, L) for the long convolution.
#pragma once

#include <cstdint>

#include "m2vk/host/host.hpp"
#include "m2vk/ops/matrix_view.hpp"

namespace m2vk::ops {

struct ShortConvWeights {
  host::BufferRange weight;  // (3H, 1, 3)
  host::BufferRange bias;    // (3H)
  std::uint32_t hidden = 0;  // H
};

// q = conv(p) + bias, all 3H channels into q (B, L, 3H); the golden `short_conv` tensor.
void record_short_conv(host::Context& ctx, host::CommandRecorder& rec, const MatrixView& p,
                       const ShortConvWeights& w, const MatrixView& q);

// x1v = x1 * v and x2, each (B, L, H) (same strides for both).
void record_short_conv_gated(host::Context& ctx, host::CommandRecorder& rec, const MatrixView& p,
                             const ShortConvWeights& w, const MatrixView& x1v, const MatrixView& x2);

}  // namespace m2vk::ops

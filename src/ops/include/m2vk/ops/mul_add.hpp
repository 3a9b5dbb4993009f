// y = a * b (+ c), element-wise over (B, M, C) views that share strides: the mixer's post-gating
// (y = long_conv * x2) and the residual long-convolution sum (+ yu) when the FFT op does not fuse
// them. y may alias a, b or c element-for-element (in place).
#pragma once

#include <optional>

#include "m2vk/host/host.hpp"
#include "m2vk/ops/matrix_view.hpp"

namespace m2vk::ops {

void record_mul_add(host::Context& ctx, host::CommandRecorder& rec, const MatrixView& a, const MatrixView& b,
                    const std::optional<MatrixView>& c, const MatrixView& y);

}  // namespace m2vk::ops

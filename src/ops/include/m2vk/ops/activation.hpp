// Element-wise activations on strided (B, M, C) views: GELU (exact erf), tanh, and GLU
// (y[.., c] = GELU(x[.., c]) * x[.., c + C] with x of 2C columns; the MLP's gate when the GEMM
// cannot fuse it). Tolerance vs double: 2e-7 * max(1, |x|) (the erf approximation's error).
#pragma once

#include "m2vk/host/host.hpp"
#include "m2vk/ops/matrix_view.hpp"

namespace m2vk::ops {

enum class Activation { Gelu, Tanh, Glu };

// y = act(x). Gelu/Tanh: x and y have the same shape; Glu: x has twice y's columns.
// y must not overlap x. Throws OpError on shape mismatches (naming both views).
void record_activation(host::Context& ctx, host::CommandRecorder& rec, Activation act, const MatrixView& x,
                       const MatrixView& y);

}  // namespace m2vk::ops

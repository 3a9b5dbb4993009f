// Errors of the layer ops (GEMMs, LayerNorm, short conv, pooling, element-wise): bad shapes,
// strides, layouts or device limits. Messages name the op, the argument and the values.
#pragma once

#include <stdexcept>

namespace m2vk::ops {

struct OpError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace m2vk::ops

// Internal: the 2-D grid of 256-wide workgroups that covers n invocations of an element-wise
// kernel (gl_GlobalInvocationID.x + y * row_pitch), within the device's group-count limits.
#pragma once

#include <cstdint>

#include "m2vk/host/host.hpp"
#include "m2vk/ops/op_error.hpp"

namespace m2vk::ops::detail {

struct ElementwiseGrid {
  host::Groups groups;
  std::uint32_t row_pitch = 0;  // invocations per grid row
};

inline ElementwiseGrid elementwise_grid(const host::Context& ctx, std::uint64_t n) {
  const std::uint64_t groups = (n + 255) / 256;
  const std::uint64_t max_x = ctx.limits().max_workgroup_count[0];
  const std::uint64_t gx = groups < max_x ? (groups == 0 ? 1 : groups) : max_x;
  const std::uint64_t gy = (groups + gx - 1) / gx;
  if (gy > ctx.limits().max_workgroup_count[1] || gx * 256 > 0xffffffffull) {
    throw OpError("element-wise op: " + std::to_string(n) + " elements exceed the device's workgroup-count limits");
  }
  return {{static_cast<std::uint32_t>(gx), static_cast<std::uint32_t>(gy == 0 ? 1 : gy), 1},
          static_cast<std::uint32_t>(gx * 256)};
}

}  // namespace m2vk::ops::detail

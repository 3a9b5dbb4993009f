// The launch shape of shaders/layer_norm.comp for both of its users (LayerNorm, embedding).
#pragma once

#include <cstdint>
#include <string>

#include "m2vk/host/host.hpp"
#include "m2vk/ops/layer_norm.hpp"

namespace m2vk::ops::detail {

struct NormLaunch {
  std::string pipeline;  // `base`, or base + "_wg" for one workgroup per row
  host::Groups groups;
};

// For `rows` rows: Invocation kernels cover 64 rows per workgroup; Workgroup kernels one row per
// workgroup, over a 2-D grid whose x count stays within the 65535 every device allows.
inline NormLaunch norm_launch(const host::Context& ctx, LayerNormKernel requested, const std::string& base,
                              std::uint64_t rows) {
  if (layer_norm_kernel_for(ctx.device_info(), requested) == LayerNormKernel::Invocation)
    return {base, {host::div_up(rows, 64), 1, 1}};
  const std::uint32_t x = static_cast<std::uint32_t>(rows < 65535 ? rows : 65535);
  return {base + "_wg", {x, host::div_up(rows, x), 1}};
}

}  // namespace m2vk::ops::detail

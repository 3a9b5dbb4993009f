// Precision selection for the GEMMs (see gemm_precision.hpp).
#include "m2vk/ops/gemm_precision.hpp"

#include <string>

#include "m2vk/ops/op_error.hpp"

namespace m2vk::ops {

std::string_view precision_name(Precision p) { return p == Precision::FP32 ? "fp32" : "fp16-coopmat"; }

Precision parse_precision(std::string_view name) {
  if (name == "fp32") return Precision::FP32;
  if (name == "fp16-coopmat" || name == "fp16") return Precision::FP16CoopMat;
  throw OpError("unknown GEMM precision '" + std::string(name) + "' (expected fp32 or fp16-coopmat)");
}

bool coopmat_enabled(const host::Context& ctx) { return ctx.cooperative_matrix_enabled(); }

std::string coopmat_missing(const host::DeviceInfo& info, bool enabled) {
  std::string why;
  auto add = [&](const std::string& s) { why += (why.empty() ? "" : "; ") + s; };
  if (!info.coopmat_nv_f16) {
    add(info.cooperative_matrix ? "VK_NV_cooperative_matrix with a 16x16x16 fp16 x fp16 + fp32 shape is missing (the kernel "
                                  "is written for the NV extension; the device has VK_KHR_cooperative_matrix only or other shapes)"
                                : "no VK_NV_cooperative_matrix");
  }
  if (!info.fp16_arithmetic) add("no shaderFloat16");
  if (!info.vulkan_memory_model) add("no vulkanMemoryModel");
  if (info.subgroup_size != 32) add("subgroup size " + std::to_string(info.subgroup_size) + " (kernel needs 32)");
  if (why.empty() && !enabled) add("the Vulkan context did not enable cooperative matrices");
  return why;
}

Precision resolve_precision(const host::DeviceInfo& info, bool enabled, Precision requested, PrecisionPolicy policy) {
  if (requested == Precision::FP32) return Precision::FP32;
  const std::string why = coopmat_missing(info, enabled);
  if (why.empty()) return Precision::FP16CoopMat;
  if (policy == PrecisionPolicy::Require) {
    throw OpError("GEMM precision fp16-coopmat is not available on device '" + info.name + "': " + why);
  }
  return Precision::FP32;
}

Precision resolve_precision(const host::Context& ctx, Precision requested, PrecisionPolicy policy) {
  return resolve_precision(ctx.device_info(), coopmat_enabled(ctx), requested, policy);
}

}  // namespace m2vk::ops

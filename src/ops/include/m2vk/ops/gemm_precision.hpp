// Which arithmetic the GEMMs use, and the rule that picks it for a device.
//
// FP16CoopMat needs VK_NV_cooperative_matrix with a 16x16x16 fp16 x fp16 + fp32 subgroup shape
// (DeviceInfo::coopmat_nv_f16), shaderFloat16, a subgroup size of 32 (the kernel's layout) and a
// Context that enabled them (host::Context does where the device has them). Debian 12's glslc
// (shaderc 2023.2, glslang 12) does not know GL_KHR_cooperative_matrix, so the kernel is written
// against GL_NV_cooperative_matrix (NVIDIA's drivers expose it); KHR-only devices (e.g. AMD)
// run fp32.
//
// Choice (documented in src/ops/README-layer-ops.md): asking for FP16CoopMat where it is
// unavailable falls back to FP32 by default, so one command line runs everywhere, and the
// effective precision is returned for the caller to report; PrecisionPolicy::Require throws.
#pragma once

#include <string>
#include <string_view>

#include "m2vk/host/host.hpp"

namespace m2vk::ops {

enum class Precision { FP32, FP16CoopMat };
enum class PrecisionPolicy { FallBack, Require };

std::string_view precision_name(Precision p);  // "fp32", "fp16-coopmat"
// Parses "fp32" / "fp16-coopmat" (also "fp16"); throws OpError listing the accepted names.
Precision parse_precision(std::string_view name);

// Whether the Context turned on what the cooperative-matrix kernel needs.
bool coopmat_enabled(const host::Context& ctx);

// Why FP16CoopMat cannot run on this device ("" when it can). `enabled`: the context's flag.
std::string coopmat_missing(const host::DeviceInfo& info, bool enabled);

// The precision to run: `requested`, or FP32 when FP16CoopMat is unavailable and the policy is
// FallBack. Throws OpError (naming the device and the missing piece) under Require.
Precision resolve_precision(const host::DeviceInfo& info, bool enabled, Precision requested,
                            PrecisionPolicy policy = PrecisionPolicy::FallBack);
Precision resolve_precision(const host::Context& ctx, Precision requested,
                            PrecisionPolicy policy = PrecisionPolicy::FallBack);

}  // namespace m2vk::ops

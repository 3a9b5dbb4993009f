// Internal: the few facts the runtime reads from a compute shader's SPIR-V, so callers never
// restate them: bindings (storage or uniform texel buffers), push-constant block size, specialization constant ids
// and the workgroup size (which may itself be specialized).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string_view>
#include <vector>

#include "m2vk/host/pipeline.hpp"

namespace m2vk::host::detail {

struct ShaderReflection {
  std::uint32_t binding_count = 0;  // highest binding in set 0, plus one
  std::vector<BindingKind> binding_kinds;  // binding_count entries
  std::uint32_t push_constant_size = 0;  // 0 when the shader has no push-constant block
  std::map<std::uint32_t, std::uint32_t> spec_defaults;  // SpecId -> default bits
  std::uint32_t local_size[3] = {1, 1, 1};  // before specialization
  std::int64_t local_size_spec[3] = {-1, -1, -1};  // SpecId that sets each dimension, or -1
  // Declares the CooperativeMatrixNV capability: the device must have VK_NV_cooperative_matrix
  // enabled (drivers may crash compiling it otherwise, RADV does).
  bool cooperative_matrix_nv = false;
};

// Throws HostError naming `name` when the words are not a SPIR-V module or use a descriptor set
// other than 0.
ShaderReflection reflect_spirv(std::span<const std::uint32_t> words, std::string_view name);

// Workgroup size after applying `spec` to the reflection.
void specialized_local_size(const ShaderReflection& r, const SpecConstants& spec, std::uint32_t out[3]);

}  // namespace m2vk::host::detail

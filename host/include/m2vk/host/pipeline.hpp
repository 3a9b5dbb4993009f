// Compute pipelines, created lazily from the embedded SPIR-V by Context::pipeline and cached
// by (variant name, specialization constants).
#pragma once

#include <vulkan/vulkan.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace m2vk::host {

// One specialization constant: `layout(constant_id = id) const ...` in GLSL. `value` holds the
// 32 bits of a uint, int, bool (0/1) or float; use the helpers for the non-uint ones.
struct SpecConstant {
  std::uint32_t id = 0;
  std::uint32_t value = 0;
  static SpecConstant u32(std::uint32_t id, std::uint32_t v) { return {id, v}; }
  static SpecConstant i32(std::uint32_t id, std::int32_t v) { return {id, std::bit_cast<std::uint32_t>(v)}; }
  static SpecConstant f32(std::uint32_t id, float v) { return {id, std::bit_cast<std::uint32_t>(v)}; }
  bool operator==(const SpecConstant&) const = default;
};
using SpecConstants = std::vector<SpecConstant>;

// "variant" or "variant{id=value,...}": one name per distinct pipeline, for plans and logs.
inline std::string pipeline_key(const std::string& variant, const SpecConstants& spec) {
  if (spec.empty()) return variant;
  std::string s = variant + "{";
  for (std::size_t i = 0; i < spec.size(); ++i)
    s += (i ? "," : "") + std::to_string(spec[i].id) + "=" + std::to_string(spec[i].value);
  return s + "}";
}

// What a binding of set 0 is in the shader (reflected from the SPIR-V).
enum class BindingKind : std::uint8_t {
  StorageBuffer,  // buffer block (std430 SSBO)
  UniformTexelBuffer,  // GLSL samplerBuffer / usamplerBuffer: read-only, fetched with texelFetch
};

// Pipelines a context has created so far and the wall time vkCreateComputePipelines took
// (for load / first-pass reports; a pipeline found in the registry costs nothing).
struct PipelineCreationStats {
  std::size_t count = 0;
  double seconds = 0.0;
};

// A ready pipeline. Owned by the Context's registry: references stay valid for the Context's
// lifetime.
struct Pipeline {
  std::string variant;
  SpecConstants spec;
  VkPipeline pipeline = VK_NULL_HANDLE;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
  std::uint32_t binding_count = 0;  // bindings 0..n-1 of set 0 (reflected)
  std::vector<BindingKind> binding_kinds;  // binding_count entries (reflected)
  std::uint32_t push_constant_size = 0;  // bytes of the shader's push-constant block (reflected)
  std::uint32_t local_size[3] = {1, 1, 1};  // workgroup size after specialization (reflected)
};

}  // namespace m2vk::host

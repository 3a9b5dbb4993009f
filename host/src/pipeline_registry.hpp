// Internal: pipelines keyed by (variant, specialization constants), created lazily from the
// embedded SPIR-V, with one descriptor-set/pipeline layout per (binding kinds, push size) and a
// VkPipelineCache persisted to disk.
#pragma once

#include <vulkan/vulkan.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "m2vk/host/device_info.hpp"
#include "m2vk/host/pipeline.hpp"
#include "spirv_reflect.hpp"

namespace m2vk::host::detail {

class PipelineRegistry {
 public:
  PipelineRegistry(VkDevice device, VkPhysicalDevice physical, const DeviceInfo& info, bool push_descriptor,
                   std::filesystem::path cache_file, bool persist, bool capture_statistics = false,
                   bool cooperative_matrix = false);
  ~PipelineRegistry();
  PipelineRegistry(const PipelineRegistry&) = delete;
  PipelineRegistry& operator=(const PipelineRegistry&) = delete;

  const Pipeline& get(std::string_view variant, const SpecConstants& spec);
  void save_cache();  // throws HostError when the file cannot be written
  const std::filesystem::path& cache_file() const { return cache_file_; }
  std::size_t loaded_bytes() const { return loaded_bytes_; }
  PipelineCreationStats creation() const { return creation_; }

 private:
  struct Layout {
    VkDescriptorSetLayout set = VK_NULL_HANDLE;
    VkPipelineLayout pipeline = VK_NULL_HANDLE;
  };
  const Layout& layout(const std::vector<BindingKind>& bindings, std::uint32_t push_size);
  void load_cache();

  VkDevice device_;
  VkPhysicalDeviceProperties props_{};
  const DeviceInfo& info_;
  bool push_descriptor_;
  std::filesystem::path cache_file_;
  bool persist_;
  bool capture_statistics_;  // VK_PIPELINE_CREATE_CAPTURE_STATISTICS_BIT_KHR on every pipeline
  bool cooperative_matrix_;  // VK_NV_cooperative_matrix enabled on the device
  std::size_t loaded_bytes_ = 0;
  PipelineCreationStats creation_;
  VkPipelineCache cache_ = VK_NULL_HANDLE;
  std::map<std::pair<std::vector<BindingKind>, std::uint32_t>, Layout> layouts_;
  std::map<std::string, ShaderReflection> reflections_;
  std::map<std::string, std::unique_ptr<Pipeline>> pipelines_;
};

VkDescriptorType descriptor_type(BindingKind kind);

// Writes bytes to path through a temporary file in the same folder and a rename, so readers
// never see a partial file. Throws HostError naming the path.
void write_file_atomically(const std::filesystem::path& path, const void* data, std::size_t size);

}  // namespace m2vk::host::detail

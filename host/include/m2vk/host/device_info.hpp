// What a Vulkan device is and can do, and how a device is chosen from a user's string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace m2vk::host {

enum class DeviceType { Other, IntegratedGpu, DiscreteGpu, VirtualGpu, Cpu };
std::string_view device_type_name(DeviceType type);  // "discrete", "integrated", "virtual", "cpu", "other"

struct MemoryHeap {
  std::uint64_t size = 0;
  bool device_local = false;
};

struct DeviceInfo {
  std::size_t index = 0;  // position in vkEnumeratePhysicalDevices
  std::string name;
  DeviceType type = DeviceType::Other;
  std::uint32_t vendor_id = 0;
  std::string vendor_name;  // from the PCI vendor id, or "0x...." when unknown
  std::uint32_t device_id = 0;
  std::string driver_name;  // VkPhysicalDeviceDriverProperties (Vulkan 1.2), else empty
  std::string driver_info;
  std::uint32_t driver_version = 0;
  std::uint32_t api_version = 0;  // VK_MAKE_API_VERSION encoding
  std::string api_version_string;  // "1.3.230"
  std::string uuid;  // deviceUUID as 32 lowercase hex digits with dashes (8-4-4-4-12)
  std::vector<MemoryHeap> memory_heaps;
  std::uint32_t subgroup_size = 0;
  bool subgroup_shuffle = false;  // subgroupShuffle* in compute shaders
  std::uint32_t max_shared_memory = 0;  // maxComputeSharedMemorySize, bytes
  std::uint64_t max_storage_buffer_range = 0;  // largest single storage-buffer binding, bytes
  std::uint64_t max_memory_allocation_size = 0;  // maxMemoryAllocationSize (maintenance3)
  std::uint64_t min_storage_buffer_offset_alignment = 0;
  std::uint64_t max_texel_buffer_elements = 0;  // maxTexelBufferElements: texels one texel-buffer view may span
  std::uint64_t min_texel_buffer_offset_alignment = 0;  // minTexelBufferOffsetAlignment, bytes
  std::uint32_t max_push_constants_size = 0;
  std::uint32_t max_workgroup_size[3] = {0, 0, 0};
  std::uint32_t max_workgroup_count[3] = {0, 0, 0};
  std::uint32_t max_workgroup_invocations = 0;
  bool fp16_arithmetic = false;  // shaderFloat16
  bool vulkan_memory_model = false;  // vulkanMemoryModel (the cooperative-matrix GEMM declares it)
  bool int8_arithmetic = false;  // shaderInt8
  bool storage_16bit = false;  // storageBuffer16BitAccess
  bool cooperative_matrix = false;  // VK_KHR_cooperative_matrix (or VK_NV_cooperative_matrix)
  // VK_NV_cooperative_matrix with its feature bit and the shape shaders/gemm_coopmat.comp uses:
  // 16x16x16, fp16 A and B, fp32 C and result, subgroup scope. The kernel is written against the
  // NV extension (Debian 12's glslc has no GL_KHR_cooperative_matrix), so KHR alone does not count.
  bool coopmat_nv_f16 = false;
  bool push_descriptor = false;  // VK_KHR_push_descriptor
  bool has_compute_queue = false;
  bool timestamps = false;  // the compute queue has timestamp bits
  float timestamp_period_ns = 0.0f;  // nanoseconds per timestamp tick
};

// Every Vulkan device the loader sees (creates and destroys a temporary instance).
// Throws VulkanError when there is no Vulkan loader/driver at all.
std::vector<DeviceInfo> list_devices();

// Preferred device: discrete > integrated > virtual > CPU > other, first of equals; devices
// without a compute queue only when nothing else exists. Throws HostError on an empty list.
std::size_t default_device_index(const std::vector<DeviceInfo>& devices);

// Chooses a device from a spec: an index ("1", at most 4 digits), a UUID (full or a prefix of at least 8 hex
// digits, dashes optional) or a case-insensitive name substring ("llvmpipe"). An empty spec
// uses the M2VK_DEVICE environment variable, and when that is unset or empty the default
// device. Unknown or ambiguous specs throw HostError listing the available devices.
std::size_t select_device(const std::vector<DeviceInfo>& devices, std::string_view spec);

// One line per device ("0: llvmpipe (...) [cpu] uuid ..."), for error messages.
std::string describe_devices(const std::vector<DeviceInfo>& devices);

}  // namespace m2vk::host

// Internal: filling a DeviceInfo from a VkPhysicalDevice, and the instance the queries need.
#pragma once

#include <vulkan/vulkan.h>

#include "m2vk/host/device_info.hpp"

namespace m2vk::host::detail {

// `instance` resolves instance-level entry points of extensions (cooperative-matrix shapes).
DeviceInfo query_device_info(VkInstance instance, VkPhysicalDevice physical, std::size_t index);
// Index of the first queue family with compute, or UINT32_MAX. Prefers compute-only families.
std::uint32_t find_compute_queue_family(VkPhysicalDevice physical);
// The instance API version we ask for: 1.2 where the loader has it, else what it has.
std::uint32_t instance_api_version();

}  // namespace m2vk::host::detail

// VulkanError and VkResult names.
#include "m2vk/host/error.hpp"

namespace m2vk::host {

std::string vk_result_name(VkResult result) {
  switch (result) {
#define M2VK_RESULT(x) \
  case x:              \
    return #x;
    M2VK_RESULT(VK_SUCCESS)
    M2VK_RESULT(VK_NOT_READY)
    M2VK_RESULT(VK_TIMEOUT)
    M2VK_RESULT(VK_EVENT_SET)
    M2VK_RESULT(VK_EVENT_RESET)
    M2VK_RESULT(VK_INCOMPLETE)
    M2VK_RESULT(VK_ERROR_OUT_OF_HOST_MEMORY)
    M2VK_RESULT(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    M2VK_RESULT(VK_ERROR_INITIALIZATION_FAILED)
    M2VK_RESULT(VK_ERROR_DEVICE_LOST)
    M2VK_RESULT(VK_ERROR_MEMORY_MAP_FAILED)
    M2VK_RESULT(VK_ERROR_LAYER_NOT_PRESENT)
    M2VK_RESULT(VK_ERROR_EXTENSION_NOT_PRESENT)
    M2VK_RESULT(VK_ERROR_FEATURE_NOT_PRESENT)
    M2VK_RESULT(VK_ERROR_INCOMPATIBLE_DRIVER)
    M2VK_RESULT(VK_ERROR_TOO_MANY_OBJECTS)
    M2VK_RESULT(VK_ERROR_FORMAT_NOT_SUPPORTED)
    M2VK_RESULT(VK_ERROR_FRAGMENTED_POOL)
    M2VK_RESULT(VK_ERROR_UNKNOWN)
    M2VK_RESULT(VK_ERROR_OUT_OF_POOL_MEMORY)
    M2VK_RESULT(VK_ERROR_INVALID_EXTERNAL_HANDLE)
    M2VK_RESULT(VK_ERROR_FRAGMENTATION)
    M2VK_RESULT(VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS)
    M2VK_RESULT(VK_PIPELINE_COMPILE_REQUIRED)
    M2VK_RESULT(VK_ERROR_VALIDATION_FAILED_EXT)
    M2VK_RESULT(VK_ERROR_INVALID_SHADER_NV)
#undef M2VK_RESULT
    default:
      return "VkResult(" + std::to_string(static_cast<int>(result)) + ")";
  }
}

static std::string vulkan_error_message(VkResult result, std::string_view call, std::string_view context) {
  std::string msg = std::string(call) + " failed with " + vk_result_name(result);
  if (!context.empty()) msg += " (" + std::string(context) + ")";
  if (result == VK_ERROR_DEVICE_LOST) msg += "; the Vulkan device was lost and this context can no longer be used";
  if (result == VK_ERROR_OUT_OF_DEVICE_MEMORY) msg += "; the GPU is out of memory";
  if (result == VK_ERROR_OUT_OF_HOST_MEMORY) msg += "; the host is out of memory";
  return msg;
}

VulkanError::VulkanError(VkResult result, std::string_view call, std::string_view context)
    : HostError(vulkan_error_message(result, call, context)), result_(result) {}

}  // namespace m2vk::host

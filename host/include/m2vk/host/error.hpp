// Errors of the host runtime. Every failing Vulkan call becomes a VulkanError naming the call,
// its VkResult and what was being done; misuse (bad sizes, unknown devices, ...) is a HostError.
#pragma once

#include <vulkan/vulkan.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace m2vk::host {

struct HostError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A shader needs a device feature that this context does not have enabled (e.g. cooperative
// matrices): the shader is valid, this device just cannot run it.
struct UnsupportedShader : HostError {
  using HostError::HostError;
};

class VulkanError : public HostError {
 public:
  VulkanError(VkResult result, std::string_view call, std::string_view context);
  VkResult result() const { return result_; }
  // True for VK_ERROR_DEVICE_LOST: the context cannot be used any more.
  bool device_lost() const { return result_ == VK_ERROR_DEVICE_LOST; }
  bool out_of_memory() const {
    return result_ == VK_ERROR_OUT_OF_DEVICE_MEMORY || result_ == VK_ERROR_OUT_OF_HOST_MEMORY;
  }

 private:
  VkResult result_;
};

// "VK_ERROR_DEVICE_LOST" etc.; "VkResult(<n>)" for values it does not know.
std::string vk_result_name(VkResult result);

// Throws VulkanError unless result is VK_SUCCESS (or another non-negative status).
inline void check(VkResult result, std::string_view call, std::string_view context = {}) {
  if (result < 0) throw VulkanError(result, call, context);
}

}  // namespace m2vk::host

// Internal: reading a compiled pipeline's driver statistics (VK_KHR_pipeline_executable_properties).
#pragma once

#include <vulkan/vulkan.h>

#include <vector>

#include "m2vk/host/context.hpp"

namespace m2vk::host::detail {

// Every executable of `pipeline` with its statistics. The device must have the extension enabled
// and the pipeline must have been created with VK_PIPELINE_CREATE_CAPTURE_STATISTICS_BIT_KHR.
// Throws VulkanError/HostError when the driver fails to answer.
std::vector<PipelineExecutableStatistics> pipeline_statistics(VkDevice device, VkPipeline pipeline);

}  // namespace m2vk::host::detail

// Internal: everything a Context owns, shared with the recorder and the pipeline registry.
#pragma once

#include <vulkan/vulkan.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "allocator.hpp"
#include "m2vk/host/context.hpp"
#include "pipeline_registry.hpp"

namespace m2vk::host::detail {

// Where the debug-utils callback records validation messages (address stable for the
// instance's lifetime).
struct MessageSink {
  mutable std::mutex mutex;
  std::vector<ValidationMessage> messages;
};

struct ContextState {
  ContextOptions options;
  DeviceInfo info;
  Limits limits;
  MessageSink sink;

  VkInstance instance = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger = VK_NULL_HANDLE;
  VkPhysicalDevice physical = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  std::uint32_t queue_family = 0;
  VkQueue queue = VK_NULL_HANDLE;
  VkCommandPool command_pool = VK_NULL_HANDLE;
  VkFence fence = VK_NULL_HANDLE;
  std::uint32_t timestamp_valid_bits = 0;
  bool push_descriptor = false;
  bool cooperative_matrix = false;
  bool executable_properties = false;  // VK_KHR_pipeline_executable_properties enabled (capture_statistics)  // VK_NV_cooperative_matrix enabled (DeviceInfo::coopmat_nv_f16)
  PFN_vkCmdPushDescriptorSetKHR cmd_push_descriptor_set = nullptr;

  std::unique_ptr<Allocator> allocator;
  std::unique_ptr<PipelineRegistry> pipelines;
  Buffer staging;  // host-visible, for upload/download

  // Context::log_dispatches: the pipelines recorders dispatched (pipeline_key), while on.
  std::mutex dispatch_log_mutex;
  bool dispatch_log_on = false;
  std::set<std::string> dispatch_log;
  void note_dispatch(const Pipeline& p) {
    if (!dispatch_log_on) return;
    std::lock_guard lock(dispatch_log_mutex);
    dispatch_log.insert(pipeline_key(p.variant, p.spec));
  }

  // Throws HostError naming `what` in a compile-only context (ContextOptions::compile_only).
  void require_memory(std::string_view what) const;
  // Allocates and begins a one-time command buffer, starting with a full barrier against all
  // earlier submissions.
  VkCommandBuffer begin_commands();
  // Ends, submits, waits for the fence and frees the command buffer (also on failure).
  void submit_and_wait(VkCommandBuffer cmd, std::string_view what);
};

// A full memory barrier: every earlier transfer/compute write is visible to every later
// transfer/compute access (and, with to_host, to the host).
void full_barrier(VkCommandBuffer cmd, bool to_host = false);

}  // namespace m2vk::host::detail

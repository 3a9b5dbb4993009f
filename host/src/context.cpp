// Context creation: instance (+ validation layer and a recording messenger), device selection,
// one compute queue, and the pieces built on them.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "context_state.hpp"
#include "device_query.hpp"
#include "pipeline_statistics.hpp"
#include "m2vk/host/error.hpp"

namespace m2vk::host {
namespace detail {
namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

VKAPI_ATTR VkBool32 VKAPI_CALL on_debug_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                VkDebugUtilsMessageTypeFlagsEXT /*types*/,
                                                const VkDebugUtilsMessengerCallbackDataEXT* data, void* user) {
  auto* sink = static_cast<MessageSink*>(user);
  ValidationMessage m;
  m.severity = (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT)     ? ValidationMessage::Severity::Error
               : (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) ? ValidationMessage::Severity::Warning
                                                                               : ValidationMessage::Severity::Info;
  if (data) {
    if (data->pMessageIdName) m.id = data->pMessageIdName;
    if (data->pMessage) m.message = data->pMessage;
  }
  std::lock_guard lock(sink->mutex);
  sink->messages.push_back(std::move(m));
  return VK_FALSE;  // never abort the call: we only record
}

VkDebugUtilsMessengerCreateInfoEXT messenger_info(MessageSink* sink) {
  VkDebugUtilsMessengerCreateInfoEXT ci{};
  ci.sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT;
  ci.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  ci.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
  ci.pfnUserCallback = on_debug_message;
  ci.pUserData = sink;
  return ci;
}

bool has_layer(const char* name) {
  std::uint32_t n = 0;
  vkEnumerateInstanceLayerProperties(&n, nullptr);
  std::vector<VkLayerProperties> layers(n);
  vkEnumerateInstanceLayerProperties(&n, layers.data());
  return std::any_of(layers.begin(), layers.end(), [&](const auto& l) { return std::strcmp(l.layerName, name) == 0; });
}

bool has_device_extension(VkPhysicalDevice physical, const char* name) {
  std::uint32_t n = 0;
  if (vkEnumerateDeviceExtensionProperties(physical, nullptr, &n, nullptr) != VK_SUCCESS) return false;
  std::vector<VkExtensionProperties> exts(n);
  if (vkEnumerateDeviceExtensionProperties(physical, nullptr, &n, exts.data()) != VK_SUCCESS) return false;
  return std::any_of(exts.begin(), exts.end(), [&](const auto& e) { return std::strcmp(e.extensionName, name) == 0; });
}

bool has_instance_extension(const char* name) {
  std::uint32_t n = 0;
  vkEnumerateInstanceExtensionProperties(kValidationLayer, &n, nullptr);
  std::vector<VkExtensionProperties> exts(n);
  vkEnumerateInstanceExtensionProperties(kValidationLayer, &n, exts.data());
  std::uint32_t m = 0;
  vkEnumerateInstanceExtensionProperties(nullptr, &m, nullptr);
  std::vector<VkExtensionProperties> more(m);
  vkEnumerateInstanceExtensionProperties(nullptr, &m, more.data());
  exts.insert(exts.end(), more.begin(), more.end());
  return std::any_of(exts.begin(), exts.end(), [&](const auto& e) { return std::strcmp(e.extensionName, name) == 0; });
}

void create_instance(ContextState& s) {
  VkApplicationInfo app{};
  app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO;
  app.pApplicationName = "m2vk";
  app.pEngineName = "m2vk";
  app.apiVersion = instance_api_version();
  if (app.apiVersion < VK_API_VERSION_1_1)
    throw HostError("the Vulkan loader supports only Vulkan " + std::to_string(VK_API_VERSION_MAJOR(app.apiVersion)) + "." +
                    std::to_string(VK_API_VERSION_MINOR(app.apiVersion)) + "; m2vk needs 1.1");

  std::vector<const char*> layers, extensions;
  VkDebugUtilsMessengerCreateInfoEXT dbg = messenger_info(&s.sink);
  const VkValidationFeatureEnableEXT enables[] = {VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT};
  VkValidationFeaturesEXT features{};
  features.sType = VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT;
  features.enabledValidationFeatureCount = 1;
  features.pEnabledValidationFeatures = enables;
  VkInstanceCreateInfo ci{};
  ci.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO;
  ci.pApplicationInfo = &app;
  if (s.options.validation) {
    if (!has_layer(kValidationLayer))
      throw HostError(std::string("validation was requested (M2VK_VALIDATION=1 or ContextOptions::validation) but ") + kValidationLayer +
                      " is not installed (Debian package: vulkan-validationlayers)");
    if (!has_instance_extension(VK_EXT_DEBUG_UTILS_EXTENSION_NAME))
      throw HostError("validation was requested but the instance lacks " VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    layers.push_back(kValidationLayer);
    extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    ci.pNext = &dbg;  // also catches messages from vkCreateInstance/vkDestroyInstance
    // Synchronization validation reports missing barriers (read-after-write hazards) that a
    // serial driver such as lavapipe would otherwise hide.
    if (has_instance_extension(VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME)) {
      extensions.push_back(VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME);
      dbg.pNext = &features;
    }
  }
  ci.enabledLayerCount = static_cast<std::uint32_t>(layers.size());
  ci.ppEnabledLayerNames = layers.data();
  ci.enabledExtensionCount = static_cast<std::uint32_t>(extensions.size());
  ci.ppEnabledExtensionNames = extensions.data();
  check(vkCreateInstance(&ci, nullptr, &s.instance), "vkCreateInstance",
        s.options.validation ? "with VK_LAYER_KHRONOS_validation" : "is a Vulkan driver installed?");
  if (s.options.validation) {
    auto create = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(s.instance, "vkCreateDebugUtilsMessengerEXT"));
    if (!create) throw HostError("vkCreateDebugUtilsMessengerEXT is missing although " VK_EXT_DEBUG_UTILS_EXTENSION_NAME " is enabled");
    dbg.pNext = nullptr;
    check(create(s.instance, &dbg, nullptr, &s.messenger), "vkCreateDebugUtilsMessengerEXT");
  }
}

void pick_device(ContextState& s) {
  std::uint32_t n = 0;
  check(vkEnumeratePhysicalDevices(s.instance, &n, nullptr), "vkEnumeratePhysicalDevices");
  std::vector<VkPhysicalDevice> physical(n);
  check(vkEnumeratePhysicalDevices(s.instance, &n, physical.data()), "vkEnumeratePhysicalDevices");
  std::vector<DeviceInfo> infos;
  for (std::uint32_t i = 0; i < n; ++i) infos.push_back(query_device_info(s.instance, physical[i], i));
  std::size_t index = select_device(infos, s.options.device_spec);
  const DeviceInfo& d = infos[index];
  if (!d.has_compute_queue) throw HostError("device " + std::to_string(index) + " (" + d.name + ") has no compute queue");
  if (d.api_version < VK_API_VERSION_1_1)
    throw HostError("device " + std::to_string(index) + " (" + d.name + ") supports only Vulkan " + d.api_version_string + "; m2vk needs 1.1");
  s.physical = physical[index];
  s.info = d;
  if (s.options.disable_subgroup_shuffle) s.info.subgroup_shuffle = false;
  s.queue_family = find_compute_queue_family(s.physical);

  Limits& l = s.limits;
  l.max_storage_range = d.max_storage_buffer_range;
  l.storage_offset_alignment = std::max<VkDeviceSize>(d.min_storage_buffer_offset_alignment, 1);
  l.max_allocation_size = d.max_memory_allocation_size;
  l.max_texel_elements = d.max_texel_buffer_elements;
  l.texel_offset_alignment = std::max<VkDeviceSize>(d.min_texel_buffer_offset_alignment, 1);
  for (int k = 0; k < 3; ++k) {
    l.max_workgroup_count[k] = d.max_workgroup_count[k];
    l.max_workgroup_size[k] = d.max_workgroup_size[k];
  }
  l.max_workgroup_invocations = d.max_workgroup_invocations;
  l.max_shared_memory = d.max_shared_memory;
  l.max_push_constants_size = d.max_push_constants_size;
  l.subgroup_size = d.subgroup_size;
}

void create_device(ContextState& s) {
  float priority = 1.0f;
  VkDeviceQueueCreateInfo qci{};
  qci.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO;
  qci.queueFamilyIndex = s.queue_family;
  qci.queueCount = 1;
  qci.pQueuePriorities = &priority;

  std::vector<const char*> extensions;
  s.push_descriptor = s.info.push_descriptor && !s.options.disable_push_descriptor;
  if (s.push_descriptor) extensions.push_back(VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME);

  // Enable the optional shader features ops may use (fp16/int8 arithmetic, 8/16-bit storage,
  // subgroup extended types), whatever of them the device has.
  VkPhysicalDeviceVulkan11Features f11{};
  f11.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES;
  VkPhysicalDeviceVulkan12Features f12{};
  f12.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES;
  VkPhysicalDeviceFeatures2 features{};
  features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
  VkPhysicalDeviceVulkan11Features e11{};
  e11.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES;
  VkPhysicalDeviceVulkan12Features e12{};
  e12.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES;
  VkPhysicalDeviceFeatures2 enable{};
  enable.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
  const bool v12 = s.info.api_version >= VK_API_VERSION_1_2;
  if (v12) {
    features.pNext = &f11;
    f11.pNext = &f12;
    vkGetPhysicalDeviceFeatures2(s.physical, &features);
    e11.storageBuffer16BitAccess = f11.storageBuffer16BitAccess;
    e11.uniformAndStorageBuffer16BitAccess = f11.uniformAndStorageBuffer16BitAccess;
    e12.storageBuffer8BitAccess = f12.storageBuffer8BitAccess;
    e12.uniformAndStorageBuffer8BitAccess = f12.uniformAndStorageBuffer8BitAccess;
    e12.shaderFloat16 = f12.shaderFloat16;
    e12.shaderInt8 = f12.shaderInt8;
    e12.shaderSubgroupExtendedTypes = f12.shaderSubgroupExtendedTypes;
    enable.features.shaderInt64 = features.features.shaderInt64;
    enable.features.shaderInt16 = features.features.shaderInt16;
    enable.pNext = &e11;
    e11.pNext = &e12;
  }
  // Cooperative matrices for the reduced-precision GEMM (gemm_coopmat.comp also needs
  // shaderFloat16, enabled above, and declares the VulkanMemoryModel capability through
  // GL_KHR_memory_scope_semantics: NVIDIA's validation layer rejects the module unless that
  // feature is on). Enabling an unused extension costs nothing.
  VkPhysicalDeviceCooperativeMatrixFeaturesNV ecm{};
  ecm.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV;
  s.cooperative_matrix = v12 && s.info.coopmat_nv_f16 && e12.shaderFloat16 && f12.vulkanMemoryModel &&
                         !s.options.disable_cooperative_matrix;
  if (s.cooperative_matrix) {
    extensions.push_back(VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME);
    ecm.cooperativeMatrix = VK_TRUE;
    e12.vulkanMemoryModel = VK_TRUE;
    e12.pNext = &ecm;
  }

  // Driver statistics about compiled pipelines (registers, spills, scratch, occupancy), only when
  // asked for: capturing them may cost compile time.
  VkPhysicalDevicePipelineExecutablePropertiesFeaturesKHR eexec{};
  eexec.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PIPELINE_EXECUTABLE_PROPERTIES_FEATURES_KHR;
  s.executable_properties = v12 && s.options.capture_statistics &&
                            has_device_extension(s.physical, VK_KHR_PIPELINE_EXECUTABLE_PROPERTIES_EXTENSION_NAME);
  if (s.executable_properties) {
    VkPhysicalDevicePipelineExecutablePropertiesFeaturesKHR have{};
    have.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PIPELINE_EXECUTABLE_PROPERTIES_FEATURES_KHR;
    VkPhysicalDeviceFeatures2 f{};
    f.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
    f.pNext = &have;
    vkGetPhysicalDeviceFeatures2(s.physical, &f);
    s.executable_properties = have.pipelineExecutableInfo == VK_TRUE;
  }
  if (s.executable_properties) {
    extensions.push_back(VK_KHR_PIPELINE_EXECUTABLE_PROPERTIES_EXTENSION_NAME);
    eexec.pipelineExecutableInfo = VK_TRUE;
    eexec.pNext = enable.pNext;
    enable.pNext = &eexec;
  }

  VkDeviceCreateInfo dci{};
  dci.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO;
  dci.pNext = v12 ? &enable : nullptr;
  dci.queueCreateInfoCount = 1;
  dci.pQueueCreateInfos = &qci;
  dci.enabledExtensionCount = static_cast<std::uint32_t>(extensions.size());
  dci.ppEnabledExtensionNames = extensions.data();
  check(vkCreateDevice(s.physical, &dci, nullptr, &s.device), "vkCreateDevice", s.info.name);
  vkGetDeviceQueue(s.device, s.queue_family, 0, &s.queue);
  if (s.push_descriptor) {
    s.cmd_push_descriptor_set =
        reinterpret_cast<PFN_vkCmdPushDescriptorSetKHR>(vkGetDeviceProcAddr(s.device, "vkCmdPushDescriptorSetKHR"));
    if (!s.cmd_push_descriptor_set) s.push_descriptor = false;
  }

  if (s.options.compile_only) return;  // no command pool or fence: nothing will be submitted

  std::uint32_t nf = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(s.physical, &nf, nullptr);
  std::vector<VkQueueFamilyProperties> families(nf);
  vkGetPhysicalDeviceQueueFamilyProperties(s.physical, &nf, families.data());
  s.timestamp_valid_bits = s.info.timestamp_period_ns > 0.0f ? families[s.queue_family].timestampValidBits : 0;

  VkCommandPoolCreateInfo pci{};
  pci.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO;
  pci.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT | VK_COMMAND_POOL_CREATE_TRANSIENT_BIT;
  pci.queueFamilyIndex = s.queue_family;
  // A device that compiles but cannot run (RADV's null device, RADV_FORCE_FAMILY) fails here:
  // say so, since the bare Vulkan result (VK_ERROR_INVALID_EXTERNAL_HANDLE there) names nothing.
  const std::string where = "on " + s.info.name + (s.info.memory_heaps.empty() ? " (a device without memory heaps cannot run kernels; "
                                                                                  "`m2vk kernels` compiles for it)"
                                                                                : "");
  check(vkCreateCommandPool(s.device, &pci, nullptr, &s.command_pool), "vkCreateCommandPool", where);
  VkFenceCreateInfo fci{};
  fci.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO;
  check(vkCreateFence(s.device, &fci, nullptr, &s.fence), "vkCreateFence", where);
}

std::string uuid_hex(const std::string& uuid) {
  std::string out;
  for (char c : uuid)
    if (c != '-') out += c;
  return out.empty() ? "unknown" : out;
}

}  // namespace

void full_barrier(VkCommandBuffer cmd, bool to_host) {
  VkMemoryBarrier mb{};
  mb.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER;
  mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  mb.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT |
                     VK_ACCESS_TRANSFER_WRITE_BIT | (to_host ? VK_ACCESS_HOST_READ_BIT : 0);
  VkPipelineStageFlags src = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
  VkPipelineStageFlags dst = src | (to_host ? VK_PIPELINE_STAGE_HOST_BIT : 0);
  vkCmdPipelineBarrier(cmd, src, dst, 0, 1, &mb, 0, nullptr, 0, nullptr);
}

void ContextState::require_memory(std::string_view what) const {
  if (options.compile_only)
    throw HostError(std::string(what) + " needs device memory or a queue, but this context on " + info.name +
                    " is compile-only (ContextOptions::compile_only: pipelines only)");
}

VkCommandBuffer ContextState::begin_commands() {
  require_memory("recording commands");
  VkCommandBufferAllocateInfo ai{};
  ai.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO;
  ai.commandPool = command_pool;
  ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  ai.commandBufferCount = 1;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  check(vkAllocateCommandBuffers(device, &ai, &cmd), "vkAllocateCommandBuffers");
  VkCommandBufferBeginInfo bi{};
  bi.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO;
  bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  VkResult r = vkBeginCommandBuffer(cmd, &bi);
  if (r != VK_SUCCESS) {
    vkFreeCommandBuffers(device, command_pool, 1, &cmd);
    check(r, "vkBeginCommandBuffer");
  }
  // Earlier submissions may have written what this one reads: order against all of them.
  full_barrier(cmd);
  return cmd;
}

void ContextState::submit_and_wait(VkCommandBuffer cmd, std::string_view what) {
  struct FreeOnExit {
    ContextState& s;
    VkCommandBuffer c;
    ~FreeOnExit() { vkFreeCommandBuffers(s.device, s.command_pool, 1, &c); }
  } guard{*this, cmd};
  full_barrier(cmd, true);  // device writes visible to the host after the fence
  check(vkEndCommandBuffer(cmd), "vkEndCommandBuffer", what);
  VkSubmitInfo si{};
  si.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO;
  si.commandBufferCount = 1;
  si.pCommandBuffers = &cmd;
  check(vkResetFences(device, 1, &fence), "vkResetFences", what);
  check(vkQueueSubmit(queue, 1, &si, fence), "vkQueueSubmit", what);
  check(vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX), "vkWaitForFences", what);
}

}  // namespace detail

Context::Context() : s_(std::make_unique<detail::ContextState>()) {}

std::unique_ptr<Context> Context::create(const ContextOptions& options) {
  std::unique_ptr<Context> ctx(new Context());
  detail::ContextState& s = *ctx->s_;
  s.options = options;
  detail::create_instance(s);
  detail::pick_device(s);
  detail::create_device(s);
  if (!options.compile_only)
    s.allocator = std::make_unique<detail::Allocator>(s.device, s.physical, s.info, options.block_size);
  std::filesystem::path dir = options.cache_dir.empty() ? default_cache_dir() : options.cache_dir;
  s.pipelines = std::make_unique<detail::PipelineRegistry>(
      s.device, s.physical, s.info, s.push_descriptor, dir / ("pipeline-cache-" + detail::uuid_hex(s.info.uuid) + ".bin"),
      options.persist_pipeline_cache, s.executable_properties, s.cooperative_matrix);
  return ctx;
}

Context::~Context() {
  detail::ContextState& s = *s_;
  // Only a context that could submit waits: without a fence nothing was submitted, and a device
  // that failed to create one (RADV's null device) crashes in vkDeviceWaitIdle.
  if (s.device && s.fence) vkDeviceWaitIdle(s.device);
  s.staging.reset();
  s.pipelines.reset();
  s.allocator.reset();
  if (s.fence) vkDestroyFence(s.device, s.fence, nullptr);
  if (s.command_pool) vkDestroyCommandPool(s.device, s.command_pool, nullptr);
  if (s.device) vkDestroyDevice(s.device, nullptr);
  if (s.messenger) {
    auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(s.instance, "vkDestroyDebugUtilsMessengerEXT"));
    if (destroy) destroy(s.instance, s.messenger, nullptr);
  }
  if (s.instance) vkDestroyInstance(s.instance, nullptr);
}

const DeviceInfo& Context::device_info() const { return s_->info; }
const Limits& Context::limits() const { return s_->limits; }
VkDevice Context::device() const { return s_->device; }
VkPhysicalDevice Context::physical_device() const { return s_->physical; }
VkQueue Context::queue() const { return s_->queue; }
std::uint32_t Context::queue_family() const { return s_->queue_family; }
bool Context::validation_enabled() const { return s_->options.validation; }
bool Context::cooperative_matrix_enabled() const { return s_->cooperative_matrix; }

Buffer Context::create_buffer(VkDeviceSize size, MemoryKind kind) {
  s_->require_memory("creating a buffer");
  return s_->allocator->allocate(size, kind);
}

const Pipeline& Context::pipeline(std::string_view variant, const SpecConstants& spec) { return s_->pipelines->get(variant, spec); }

bool Context::compile_only() const { return s_->options.compile_only; }
bool Context::statistics_available() const { return s_->executable_properties; }

std::vector<PipelineExecutableStatistics> Context::pipeline_statistics(const Pipeline& p) {
  if (!s_->executable_properties) return {};
  return detail::pipeline_statistics(s_->device, p.pipeline);
}

CommandRecorder Context::record(RecordOptions options) { return CommandRecorder(*this, options); }

void Context::log_dispatches(bool on) {
  std::lock_guard lock(s_->dispatch_log_mutex);
  if (on) s_->dispatch_log.clear();
  s_->dispatch_log_on = on;
}

std::set<std::string> Context::dispatched_pipelines() const {
  std::lock_guard lock(s_->dispatch_log_mutex);
  return s_->dispatch_log;
}

void Context::wait_idle() { check(vkDeviceWaitIdle(s_->device), "vkDeviceWaitIdle"); }

std::vector<ValidationMessage> Context::validation_messages() const {
  std::lock_guard lock(s_->sink.mutex);
  return s_->sink.messages;
}

void Context::clear_validation_messages() {
  std::lock_guard lock(s_->sink.mutex);
  s_->sink.messages.clear();
}

std::filesystem::path Context::pipeline_cache_path() const { return s_->pipelines->cache_file(); }
std::size_t Context::pipeline_cache_loaded_bytes() const { return s_->pipelines->loaded_bytes(); }
void Context::save_pipeline_cache() { s_->pipelines->save_cache(); }
PipelineCreationStats Context::pipeline_creation() const { return s_->pipelines->creation(); }

void Context::debug_make_invalid_call() {
  // vkCmdFillBuffer needs a size that is a multiple of 4; the validation layer reports
  // VUID-vkCmdFillBuffer-size-00028 and skips the call, so the driver never sees it.
  Buffer b = create_buffer(256);
  VkCommandBuffer cmd = s_->begin_commands();
  vkCmdFillBuffer(cmd, b.range().buffer, b.range().offset, 3, 0);
  vkEndCommandBuffer(cmd);
  vkFreeCommandBuffers(s_->device, s_->command_pool, 1, &cmd);
}

}  // namespace m2vk::host

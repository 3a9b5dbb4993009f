// The host runtime's entry point: one Vulkan device with one compute queue, its memory
// allocator, pipeline registry, command pool and (optionally) the validation layer.
// A Context is used from one thread at a time. Buffers and recorders must not outlive it.
#pragma once

#include <vulkan/vulkan.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "m2vk/host/buffer.hpp"
#include "m2vk/host/device_info.hpp"
#include "m2vk/host/pipeline.hpp"
#include "m2vk/host/recorder.hpp"

namespace m2vk::host {

// M2VK_VALIDATION=1 in the environment.
bool validation_from_env();

struct ContextOptions {
  std::string device_spec;  // see select_device(); empty: M2VK_DEVICE, else the default device
  bool validation = validation_from_env();  // VK_LAYER_KHRONOS_validation + recorded messages
  // Where the VkPipelineCache is kept; empty: M2VK_CACHE_DIR, $XDG_CACHE_HOME/m2vk, ~/.cache/m2vk.
  std::filesystem::path cache_dir;
  bool persist_pipeline_cache = true;
  // Test hooks: pretend VK_KHR_push_descriptor is missing (exercises pooled descriptor sets).
  bool disable_push_descriptor = false;
  // Test hook: pretend the device has no subgroup shuffles (DeviceInfo::subgroup_shuffle false),
  // so ops take their fallback kernels (e.g. the GEMM's two-accumulator GLU).
  bool disable_subgroup_shuffle = false;
  // Leave VK_NV_cooperative_matrix off even where the device has it (reduced-precision GEMMs then
  // fall back to fp32).
  bool disable_cooperative_matrix = false;
  VkDeviceSize block_size = 64ull << 20;  // device memory block for sub-allocation
  // Device and pipelines only: no memory allocator, staging buffer, command pool or fence, so the
  // context works on a device that cannot allocate memory (RADV's null device, which compiles for
  // a real GPU it does not have). create_buffer, upload, download and record then throw HostError.
  bool compile_only = false;
  // Enable VK_KHR_pipeline_executable_properties where the device has it and create pipelines
  // with VK_PIPELINE_CREATE_CAPTURE_STATISTICS_BIT_KHR, so pipeline_statistics() answers.
  bool capture_statistics = false;
};

// One statistic a driver reports about a compiled pipeline (VK_KHR_pipeline_executable_properties),
// named as the driver spells it (RADV: "VGPRs", "Spilled VGPRs", "Scratch size", ...).
struct PipelineStatistic {
  std::string name;
  std::string description;
  double value = 0;  // integers and floats alike (the driver's bool32 becomes 0/1)
};

// The statistics of one executable of a pipeline (a compute pipeline has one; a driver may
// report more, e.g. one per shader stage or compiler pass).
struct PipelineExecutableStatistics {
  std::string executable;  // the driver's name for the executable, e.g. "Compute Shader"
  std::uint32_t subgroup_size = 0;  // what the driver compiled it for
  std::vector<PipelineStatistic> statistics;
};

struct ValidationMessage {
  enum class Severity { Info, Warning, Error } severity = Severity::Warning;
  std::string id;  // e.g. "VUID-vkCmdFillBuffer-size-00027"
  std::string message;
};

// Device limits callers use to size and split their work.
struct Limits {
  VkDeviceSize max_storage_range = 0;  // largest binding (maxStorageBufferRange)
  VkDeviceSize storage_offset_alignment = 0;  // binding offsets must be multiples of this
  VkDeviceSize max_allocation_size = 0;  // largest single buffer
  VkDeviceSize max_texel_elements = 0;  // texels one texel-buffer binding may span (maxTexelBufferElements)
  VkDeviceSize texel_offset_alignment = 0;  // texel-buffer binding offsets must be multiples of this
  std::uint32_t max_workgroup_count[3] = {0, 0, 0};
  std::uint32_t max_workgroup_size[3] = {0, 0, 0};
  std::uint32_t max_workgroup_invocations = 0;
  std::uint32_t max_shared_memory = 0;
  std::uint32_t max_push_constants_size = 0;
  std::uint32_t subgroup_size = 0;
};

namespace detail {
struct ContextState;
class Allocator;
}  // namespace detail

class Context {
 public:
  // Creates instance, device and queue. Throws HostError (unknown device spec, validation layer
  // requested but not installed) or VulkanError.
  static std::unique_ptr<Context> create(const ContextOptions& options = {});
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  const DeviceInfo& device_info() const;
  const Limits& limits() const;

  // Memory. Throws HostError when size exceeds the allocation limit or the heap, naming both.
  Buffer create_buffer(VkDeviceSize size, MemoryKind kind = MemoryKind::DeviceLocal);

  // Synchronous transfers through a host-visible staging buffer (chunked; any size).
  void upload(const BufferRange& dst, const void* data, std::size_t bytes, VkDeviceSize dst_offset = 0);
  void download(const BufferRange& src, void* data, std::size_t bytes, VkDeviceSize src_offset = 0);
  template <class T>
  void upload(const BufferRange& dst, std::span<const T> values, VkDeviceSize dst_offset = 0) {
    static_assert(std::is_trivially_copyable_v<T>);
    upload(dst, values.data(), values.size_bytes(), dst_offset);
  }
  template <class T>
  void upload(const BufferRange& dst, const std::vector<T>& values, VkDeviceSize dst_offset = 0) {
    upload(dst, std::span<const T>(values), dst_offset);
  }
  // The whole range as T values (range size must be a multiple of sizeof(T)).
  template <class T>
  std::vector<T> download(const BufferRange& src) {
    static_assert(std::is_trivially_copyable_v<T>);
    std::vector<T> out(static_cast<std::size_t>(src.size / sizeof(T)));
    download(src, out.data(), out.size() * sizeof(T));
    return out;
  }

  // The pipeline of an embedded shader variant with these specialization constants, created on
  // first use and cached. Throws m2vk::shaders::UnknownShader for an unknown variant.
  const Pipeline& pipeline(std::string_view variant, const SpecConstants& spec = {});
  // Whether the driver reports pipeline statistics here (ContextOptions::capture_statistics on a
  // device with VK_KHR_pipeline_executable_properties; lavapipe has none).
  bool statistics_available() const;
  // What the driver reports about p's compiled code; empty where statistics_available() is false.
  std::vector<PipelineExecutableStatistics> pipeline_statistics(const Pipeline& p);
  bool compile_only() const;

  CommandRecorder record(RecordOptions options = {});
  // While on, every pipeline a recorder of this context dispatches is noted (pipeline_key
  // names); turning it on clears the set. Lets tests compare a planner's list with what ran.
  void log_dispatches(bool on);
  std::set<std::string> dispatched_pipelines() const;
  // Same as rec.submit_and_wait().
  void submit(CommandRecorder& rec) { rec.submit_and_wait(); }
  void wait_idle();

  // Validation-layer warnings and errors recorded so far (never printed).
  std::vector<ValidationMessage> validation_messages() const;
  void clear_validation_messages();
  bool validation_enabled() const;
  // Whether VK_NV_cooperative_matrix (with shaderFloat16) was enabled at device creation: true on
  // devices with DeviceInfo::coopmat_nv_f16 unless ContextOptions::disable_cooperative_matrix.
  bool cooperative_matrix_enabled() const;

  // The pipeline cache file (written atomically on destruction and by save_pipeline_cache()).
  std::filesystem::path pipeline_cache_path() const;
  // Bytes of valid cache data loaded at creation (0: none, or the file was ignored as corrupt/foreign).
  std::size_t pipeline_cache_loaded_bytes() const;
  // Pipelines created so far by pipeline() and the time that took.
  PipelineCreationStats pipeline_creation() const;
  void save_pipeline_cache();

  // Test-only: makes a call that the validation layer rejects (it never reaches the driver),
  // to prove that messages are recorded.
  void debug_make_invalid_call();

  VkDevice device() const;
  VkPhysicalDevice physical_device() const;
  VkQueue queue() const;
  std::uint32_t queue_family() const;
  detail::ContextState& state() { return *s_; }

 private:
  Context();
  std::unique_ptr<detail::ContextState> s_;
};

// The user cache directory: M2VK_CACHE_DIR, else $XDG_CACHE_HOME/m2vk, else ~/.cache/m2vk.
std::filesystem::path default_cache_dir();

}  // namespace m2vk::host

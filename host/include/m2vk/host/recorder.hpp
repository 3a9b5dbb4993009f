// Command recording: dispatches, copies and fills into one command buffer, with barriers derived
// from how each buffer range was last used, and optional named GPU timings.
//
//   auto rec = ctx.record();
//   rec.dispatch(ctx.pipeline("saxpy"), {host::read(x), host::write(y)}, pc, {groups}, "saxpy");
//   rec.submit_and_wait();
#pragma once

#include <vulkan/vulkan.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "m2vk/host/buffer.hpp"
#include "m2vk/host/pipeline.hpp"

namespace m2vk::host {

class Context;

enum class Access { Read, Write, ReadWrite };

// A binding and how the shader uses it (drives the automatic barriers). Storage buffers leave
// texel_format undefined; uniform texel buffers (samplerBuffer) give the format the shader reads
// the range as, e.g. VK_FORMAT_R32G32B32A32_SFLOAT (one vec4 per texel): use host::texels().
struct Binding {
  BufferRange range;
  Access access = Access::ReadWrite;
  VkFormat texel_format = VK_FORMAT_UNDEFINED;
};
inline Binding read(const BufferRange& r) { return {r, Access::Read}; }
// A read-only uniform texel buffer: the runtime creates (and caches) the VkBufferView.
inline Binding texels(const BufferRange& r, VkFormat format) { return {r, Access::Read, format}; }
// Bytes per texel of the formats texel bindings accept (R32_SFLOAT, R32_UINT, R32G32_SFLOAT,
// R32G32B32A32_SFLOAT, R32G32B32A32_UINT); 0 for any other format.
std::uint32_t texel_size(VkFormat format);
inline Binding write(const BufferRange& r) { return {r, Access::Write}; }
inline Binding read_write(const BufferRange& r) { return {r, Access::ReadWrite}; }

struct Groups {
  std::uint32_t x = 1, y = 1, z = 1;
};

// Number of workgroups of size `local` needed to cover `n` items.
constexpr std::uint32_t div_up(std::uint64_t n, std::uint32_t local) {
  return static_cast<std::uint32_t>((n + local - 1) / local);
}

struct DispatchTiming {
  std::string name;
  double ms = 0.0;
};

struct RecordOptions {
  bool profile = false;  // timestamp every dispatch/copy/fill; read back with timings()
  // Planning only: no command buffer (works on a compile-only context), nothing reaches the
  // device. dispatch() checks the binding and push-constant counts against the pipeline and
  // notes the pipeline in planned(); copy/fill/barriers do nothing; submit_and_wait() throws.
  // Lets the planner run the ops' own record functions to learn which pipelines they choose.
  bool plan_only = false;
};

// A pipeline a plan-only recorder was asked to dispatch.
struct PlannedDispatch {
  std::string variant;
  SpecConstants spec;
};

namespace detail {
struct RecorderState;
template <class T>
struct is_span : std::false_type {};
template <class T, std::size_t N>
struct is_span<std::span<T, N>> : std::true_type {};
// Types accepted as a push-constant struct: plain data, not pointers or byte spans.
template <class PC>
constexpr bool push_struct_v = std::is_trivially_copyable_v<PC> && !std::is_pointer_v<PC> && !is_span<PC>::value;
template <class PC>
std::span<const std::byte> push_bytes(const PC& pc) {
  return {reinterpret_cast<const std::byte*>(&pc), sizeof(PC)};
}
}  // namespace detail

class CommandRecorder {
 public:
  CommandRecorder(Context& ctx, RecordOptions options);
  ~CommandRecorder();
  CommandRecorder(CommandRecorder&&) noexcept;
  CommandRecorder& operator=(CommandRecorder&&) noexcept;
  CommandRecorder(const CommandRecorder&) = delete;
  CommandRecorder& operator=(const CommandRecorder&) = delete;

  // Records one dispatch. `bindings` fill bindings 0..n-1 (their count must match the shader);
  // `push` holds the push-constant bytes (size must match the shader's block). Throws HostError
  // for a binding larger than maxStorageBufferRange, a misaligned offset, a count mismatch, a
  // binding whose kind (storage vs texel buffer) differs from the shader's, a texel range that is
  // not whole texels or exceeds maxTexelBufferElements, or a group count over the device limit,
  // each naming `name` and the sizes.
  void dispatch(const Pipeline& pipeline, std::span<const Binding> bindings, std::span<const std::byte> push,
                Groups groups, std::string_view name = {});
  void dispatch(const Pipeline& pipeline, std::initializer_list<Binding> bindings, std::span<const std::byte> push,
                Groups groups, std::string_view name = {}) {
    dispatch(pipeline, std::span<const Binding>(bindings.begin(), bindings.size()), push, groups, name);
  }
  // Push constants given as a struct (e.g. m2vk::pc::SaxpyPC).
  template <class PC, class = std::enable_if_t<detail::push_struct_v<PC>>>
  void dispatch(const Pipeline& pipeline, std::initializer_list<Binding> bindings, const PC& pc, Groups groups,
                std::string_view name = {}) {
    dispatch(pipeline, bindings, detail::push_bytes(pc), groups, name);
  }
  template <class PC, class = std::enable_if_t<detail::push_struct_v<PC>>>
  void dispatch(const Pipeline& pipeline, std::span<const Binding> bindings, const PC& pc, Groups groups,
                std::string_view name = {}) {
    dispatch(pipeline, bindings, detail::push_bytes(pc), groups, name);
  }

  // Copies src.size bytes from src to dst (dst.size must be >= src.size).
  void copy(const BufferRange& src, const BufferRange& dst, std::string_view name = "copy");
  // Fills the range with a 32-bit pattern (size and offset multiples of 4).
  void fill(const BufferRange& dst, std::uint32_t value, std::string_view name = "fill");
  // Full memory barrier between everything before and after (rarely needed: barriers are automatic).
  void barrier();
  // For work recorded by foreign code straight into command_buffer() (e.g. VkFFT): declares the
  // ranges it will access, so a barrier is inserted before it and later work waits for it.
  void external_access(std::span<const Binding> bindings);
  void external_access(std::initializer_list<Binding> bindings) {
    external_access(std::span<const Binding>(bindings.begin(), bindings.size()));
  }
  // The same, and the foreign work counts as one op named `name` in timings() when profiling
  // (the recorder's timestamps cannot see inside it otherwise): record it, then call
  // end_external(). Recording or submitting anything else in between is an error.
  void begin_external(std::string_view name, std::span<const Binding> bindings);
  void begin_external(std::string_view name, std::initializer_list<Binding> bindings) {
    begin_external(name, std::span<const Binding>(bindings.begin(), bindings.size()));
  }
  void end_external();
  VkCommandBuffer command_buffer() const;

  // Ends recording, submits to the compute queue and waits. The recorder is then finished: it
  // cannot record more, and timings() is available. Throws VulkanError (e.g. device lost).
  void submit_and_wait();
  bool submitted() const;
  std::size_t dispatch_count() const;
  // Barriers inserted so far (automatic and explicit): lets tests check the hazard tracking.
  std::size_t barrier_count() const;

  // {name, ms} for each dispatch/copy/fill in record order, when recorded with profile = true on
  // a device with timestamps (empty otherwise). Valid after submit_and_wait.
  std::vector<DispatchTiming> timings() const;
  bool profiling() const;

  // The dispatches of a plan-only recorder, in record order (empty for a real one).
  const std::vector<PlannedDispatch>& planned() const;
  bool plan_only() const;

 private:
  std::unique_ptr<detail::RecorderState> s_;
};

}  // namespace m2vk::host

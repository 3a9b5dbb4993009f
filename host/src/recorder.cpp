// CommandRecorder: dispatch/copy/fill recording with automatic barriers, descriptors through
// VK_KHR_push_descriptor (or pooled sets freed with the recorder), and per-command timestamps.
#include "m2vk/host/recorder.hpp"

#include <algorithm>
#include <string>

#include "context_state.hpp"
#include "hazard_tracker.hpp"
#include "m2vk/host/context.hpp"
#include "m2vk/host/error.hpp"

namespace m2vk::host {
namespace detail {

constexpr std::uint32_t kQueriesPerPool = 512;  // two timestamps per command
constexpr std::uint32_t kSetsPerPool = 256;

struct RecorderState {
  Context* ctx = nullptr;
  ContextState* cs = nullptr;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  bool submitted = false;
  bool profiling = false;
  bool plan_only = false;
  std::vector<PlannedDispatch> planned;
  HazardTracker hazards;
  std::size_t dispatches = 0;
  std::size_t barriers = 0;
  VkPipeline bound = VK_NULL_HANDLE;

  std::vector<VkQueryPool> query_pools;
  std::uint32_t queries_in_last = kQueriesPerPool;  // forces a pool on first use
  std::vector<std::string> names;
  std::vector<DispatchTiming> timings;
  std::string external_open;  // name of the begin_external() section being recorded, if any

  std::vector<VkDescriptorPool> descriptor_pools;

  ~RecorderState() {
    if (!cs) return;
    if (cmd) vkFreeCommandBuffers(cs->device, cs->command_pool, 1, &cmd);
    for (auto p : query_pools) vkDestroyQueryPool(cs->device, p, nullptr);
    for (auto p : descriptor_pools) vkDestroyDescriptorPool(cs->device, p, nullptr);
  }

  void require_open(std::string_view what) const {
    if (submitted) throw HostError("cannot record " + std::string(what) + ": this recorder was already submitted; call ctx.record() again");
    if (!cmd && !plan_only) throw HostError("cannot record " + std::string(what) + ": the recorder is empty (moved-from)");
    if (!external_open.empty())
      throw HostError("cannot record " + std::string(what) + ": external work '" + external_open +
                      "' is still being recorded (call end_external() first)");
  }

  void barrier_if_needed(std::span<const Binding> accesses) {
    if (hazards.needs_barrier(accesses)) {
      full_barrier(cmd);
      hazards.clear();
      ++barriers;
    }
    hazards.add(accesses);
  }

  void timestamp() {
    if (queries_in_last == kQueriesPerPool) {
      VkQueryPoolCreateInfo qci{};
      qci.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO;
      qci.queryType = VK_QUERY_TYPE_TIMESTAMP;
      qci.queryCount = kQueriesPerPool;
      VkQueryPool pool = VK_NULL_HANDLE;
      check(vkCreateQueryPool(cs->device, &qci, nullptr, &pool), "vkCreateQueryPool", "timestamps");
      query_pools.push_back(pool);
      vkCmdResetQueryPool(cmd, pool, 0, kQueriesPerPool);
      queries_in_last = 0;
    }
    // BOTTOM_OF_PIPE: written once all earlier commands have finished, so the difference of two
    // stamps around a command covers that command (and any barrier wait just before it).
    vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, query_pools.back(), queries_in_last++);
  }

  void begin_op(std::string_view name) {
    if (!profiling) return;
    names.emplace_back(name);
    timestamp();
  }
  void end_op() {
    if (profiling) timestamp();
  }

  VkDescriptorSet allocate_set(VkDescriptorSetLayout layout) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!descriptor_pools.empty()) {
        VkDescriptorSetAllocateInfo ai{};
        ai.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO;
        ai.descriptorPool = descriptor_pools.back();
        ai.descriptorSetCount = 1;
        ai.pSetLayouts = &layout;
        VkDescriptorSet set = VK_NULL_HANDLE;
        VkResult r = vkAllocateDescriptorSets(cs->device, &ai, &set);
        if (r == VK_SUCCESS) return set;
        if (r != VK_ERROR_OUT_OF_POOL_MEMORY && r != VK_ERROR_FRAGMENTED_POOL) check(r, "vkAllocateDescriptorSets");
      }
      const VkDescriptorPoolSize sizes[2] = {{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, kSetsPerPool * 8},
                                             {VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, kSetsPerPool * 4}};
      VkDescriptorPoolCreateInfo pci{};
      pci.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO;
      pci.maxSets = kSetsPerPool;
      pci.poolSizeCount = 2;
      pci.pPoolSizes = sizes;
      VkDescriptorPool pool = VK_NULL_HANDLE;
      check(vkCreateDescriptorPool(cs->device, &pci, nullptr, &pool), "vkCreateDescriptorPool");
      descriptor_pools.push_back(pool);
    }
    throw HostError("vkAllocateDescriptorSets failed even from a fresh descriptor pool");
  }
};

// Limits of a uniform texel buffer binding (VkBufferViewCreateInfo valid usage).
template <class Fail>
void check_texels(const Binding& b, const std::string& which, const Limits& lim, Fail&& fail) {
  const BufferRange& r = b.range;
  const std::uint32_t texel = texel_size(b.texel_format);
  if (texel == 0) fail(which + ": texel format " + std::to_string(b.texel_format) + " is not supported (see host::texel_size)");
  if (r.size % texel != 0)
    fail(which + " spans " + std::to_string(r.size) + " bytes, not a whole number of " + std::to_string(texel) + "-byte texels");
  if (r.size / texel > lim.max_texel_elements)
    fail(which + " spans " + std::to_string(r.size / texel) + " texels, more than the device's maxTexelBufferElements of " +
         std::to_string(lim.max_texel_elements) + "; bind it in slices");
  if (r.offset % lim.texel_offset_alignment != 0)
    fail(which + " starts at offset " + std::to_string(r.offset) + ", not a multiple of minTexelBufferOffsetAlignment " +
         std::to_string(lim.texel_offset_alignment));
}

}  // namespace detail

std::uint32_t texel_size(VkFormat format) {
  switch (format) {
    case VK_FORMAT_R32_SFLOAT:
    case VK_FORMAT_R32_UINT: return 4;
    case VK_FORMAT_R32G32_SFLOAT: return 8;
    case VK_FORMAT_R32G32B32A32_SFLOAT:
    case VK_FORMAT_R32G32B32A32_UINT: return 16;
    default: return 0;
  }
}

CommandRecorder::CommandRecorder(Context& ctx, RecordOptions options) : s_(std::make_unique<detail::RecorderState>()) {
  s_->ctx = &ctx;
  s_->cs = &ctx.state();
  s_->plan_only = options.plan_only;
  s_->profiling = options.profile && s_->cs->timestamp_valid_bits > 0 && !options.plan_only;
  if (!options.plan_only) s_->cmd = s_->cs->begin_commands();
}

CommandRecorder::~CommandRecorder() = default;
CommandRecorder::CommandRecorder(CommandRecorder&&) noexcept = default;
CommandRecorder& CommandRecorder::operator=(CommandRecorder&&) noexcept = default;

VkCommandBuffer CommandRecorder::command_buffer() const { return s_ ? s_->cmd : VK_NULL_HANDLE; }
bool CommandRecorder::submitted() const { return s_ && s_->submitted; }
std::size_t CommandRecorder::dispatch_count() const { return s_ ? s_->dispatches : 0; }
bool CommandRecorder::plan_only() const { return s_ && s_->plan_only; }
const std::vector<PlannedDispatch>& CommandRecorder::planned() const {
  static const std::vector<PlannedDispatch> none;
  return s_ ? s_->planned : none;
}
std::size_t CommandRecorder::barrier_count() const { return s_ ? s_->barriers : 0; }
bool CommandRecorder::profiling() const { return s_ && s_->profiling; }
std::vector<DispatchTiming> CommandRecorder::timings() const { return s_ ? s_->timings : std::vector<DispatchTiming>{}; }

void CommandRecorder::dispatch(const Pipeline& p, std::span<const Binding> bindings, std::span<const std::byte> push, Groups g,
                               std::string_view name_in) {
  std::string name = name_in.empty() ? p.variant : std::string(name_in);
  if (!s_) throw HostError("dispatch '" + name + "': the recorder is empty (moved-from)");
  detail::RecorderState& s = *s_;
  s.require_open("dispatch '" + name + "'");
  const Limits& lim = s.cs->limits;
  auto fail = [&](const std::string& why) { throw HostError("dispatch '" + name + "' (shader " + p.variant + "): " + why); };

  if (bindings.size() != p.binding_count)
    fail(std::to_string(bindings.size()) + " buffers bound, the shader declares " + std::to_string(p.binding_count));
  if (s.plan_only) {
    if (push.size() != p.push_constant_size)
      fail(std::to_string(push.size()) + " push-constant bytes given, the shader's block has " + std::to_string(p.push_constant_size));
    s.planned.push_back({p.variant, p.spec});
    ++s.dispatches;
    return;
  }
  s.cs->note_dispatch(p);
  for (std::size_t i = 0; i < bindings.size(); ++i) {
    const BufferRange& r = bindings[i].range;
    std::string which = "binding " + std::to_string(i);
    if (!r.buffer) fail(which + " is an empty buffer");
    if (r.size == 0) fail(which + " is an empty (0-byte) range");
    const bool texel = i < p.binding_kinds.size() && p.binding_kinds[i] == BindingKind::UniformTexelBuffer;
    if (texel != (bindings[i].texel_format != VK_FORMAT_UNDEFINED))
      fail(which + (texel ? " is a uniform texel buffer (samplerBuffer) in the shader; bind it with host::texels(range, format)"
                          : " is a storage buffer in the shader but was bound as texels (format " +
                                std::to_string(bindings[i].texel_format) + ")"));
    if (texel) {
      detail::check_texels(bindings[i], which, lim, fail);
      continue;
    }
    if (r.size > lim.max_storage_range)
      fail(which + " spans " + std::to_string(r.size) + " bytes, more than the device's maxStorageBufferRange of " +
           std::to_string(lim.max_storage_range) + " bytes; bind it in slices (BufferRange::slice)");
    if (r.offset % lim.storage_offset_alignment != 0)
      fail(which + " starts at offset " + std::to_string(r.offset) + ", not a multiple of minStorageBufferOffsetAlignment " +
           std::to_string(lim.storage_offset_alignment));
  }
  if (push.size() != p.push_constant_size)
    fail(std::to_string(push.size()) + " push-constant bytes given, the shader's block has " + std::to_string(p.push_constant_size));
  const std::uint32_t counts[3] = {g.x, g.y, g.z};
  for (int k = 0; k < 3; ++k)
    if (counts[k] > lim.max_workgroup_count[k])
      fail("group count " + std::to_string(counts[k]) + " in dimension " + std::string(1, "xyz"[k]) + " exceeds the device limit " +
           std::to_string(lim.max_workgroup_count[k]));

  s.barrier_if_needed(bindings);
  if (s.bound != p.pipeline) {
    vkCmdBindPipeline(s.cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p.pipeline);
    s.bound = p.pipeline;
  }
  if (!bindings.empty()) {
    std::vector<VkDescriptorBufferInfo> infos(bindings.size());
    std::vector<VkBufferView> views(bindings.size(), VK_NULL_HANDLE);
    std::vector<VkWriteDescriptorSet> writes(bindings.size());
    VkDescriptorSet set = s.cs->push_descriptor ? VK_NULL_HANDLE : s.allocate_set(p.set_layout);
    for (std::size_t i = 0; i < bindings.size(); ++i) {
      const BufferRange& r = bindings[i].range;
      writes[i].sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
      writes[i].dstSet = set;
      writes[i].dstBinding = static_cast<std::uint32_t>(i);
      writes[i].descriptorCount = 1;
      if (bindings[i].texel_format != VK_FORMAT_UNDEFINED) {
        views[i] = s.cs->allocator->texel_view(r, bindings[i].texel_format);
        writes[i].descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER;
        writes[i].pTexelBufferView = &views[i];
      } else {
        infos[i] = {r.buffer, r.offset, r.size};
        writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        writes[i].pBufferInfo = &infos[i];
      }
    }
    if (s.cs->push_descriptor) {
      s.cs->cmd_push_descriptor_set(s.cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p.layout, 0, static_cast<std::uint32_t>(writes.size()),
                                    writes.data());
    } else {
      vkUpdateDescriptorSets(s.cs->device, static_cast<std::uint32_t>(writes.size()), writes.data(), 0, nullptr);
      vkCmdBindDescriptorSets(s.cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p.layout, 0, 1, &set, 0, nullptr);
    }
  }
  if (!push.empty())
    vkCmdPushConstants(s.cmd, p.layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, static_cast<std::uint32_t>(push.size()), push.data());
  s.begin_op(name);
  vkCmdDispatch(s.cmd, g.x, g.y, g.z);
  s.end_op();
  ++s.dispatches;
}

void CommandRecorder::copy(const BufferRange& src, const BufferRange& dst, std::string_view name) {
  if (!s_) throw HostError("copy: the recorder is empty (moved-from)");
  s_->require_open("copy '" + std::string(name) + "'");
  if (s_->plan_only) return;
  if (!src.buffer || !dst.buffer) throw HostError("copy '" + std::string(name) + "': empty buffer");
  if (dst.size < src.size)
    throw HostError("copy '" + std::string(name) + "': destination of " + std::to_string(dst.size) + " bytes is smaller than the source of " +
                    std::to_string(src.size) + " bytes");
  if (src.size == 0) return;
  BufferRange dst_used = dst.slice(0, src.size);
  if (src.buffer == dst.buffer && src.offset < dst_used.offset + dst_used.size && dst_used.offset < src.offset + src.size)
    throw HostError("copy '" + std::string(name) + "': source and destination overlap");
  const Binding acc[2] = {read(src), write(dst_used)};
  s_->barrier_if_needed(acc);
  s_->begin_op(name);
  VkBufferCopy region{src.offset, dst_used.offset, src.size};
  vkCmdCopyBuffer(s_->cmd, src.buffer, dst.buffer, 1, &region);
  s_->end_op();
}

void CommandRecorder::fill(const BufferRange& dst, std::uint32_t value, std::string_view name) {
  if (!s_) throw HostError("fill: the recorder is empty (moved-from)");
  s_->require_open("fill '" + std::string(name) + "'");
  if (s_->plan_only) return;
  if (!dst.buffer) throw HostError("fill '" + std::string(name) + "': empty buffer");
  if (dst.size % 4 != 0 || dst.offset % 4 != 0)
    throw HostError("fill '" + std::string(name) + "': offset " + std::to_string(dst.offset) + " and size " + std::to_string(dst.size) +
                    " must be multiples of 4");
  if (dst.size == 0) return;
  const Binding acc[1] = {write(dst)};
  s_->barrier_if_needed(acc);
  s_->begin_op(name);
  vkCmdFillBuffer(s_->cmd, dst.buffer, dst.offset, dst.size, value);
  s_->end_op();
}

void CommandRecorder::barrier() {
  if (!s_) throw HostError("barrier: the recorder is empty (moved-from)");
  s_->require_open("a barrier");
  if (s_->plan_only) return;
  detail::full_barrier(s_->cmd);
  s_->hazards.clear();
  ++s_->barriers;
}

void CommandRecorder::external_access(std::span<const Binding> bindings) {
  if (!s_) throw HostError("external_access: the recorder is empty (moved-from)");
  s_->require_open("external work");
  if (s_->plan_only) return;
  s_->barrier_if_needed(bindings);
  s_->bound = VK_NULL_HANDLE;  // foreign code may bind its own pipeline
}

void CommandRecorder::begin_external(std::string_view name, std::span<const Binding> bindings) {
  if (name.empty()) throw HostError("begin_external: the external work needs a name");
  external_access(bindings);
  s_->begin_op(name);
  s_->external_open = name;
}

void CommandRecorder::end_external() {
  if (!s_) throw HostError("end_external: the recorder is empty (moved-from)");
  if (s_->external_open.empty()) throw HostError("end_external: no external work was begun (begin_external)");
  s_->external_open.clear();
  s_->end_op();
}

void CommandRecorder::submit_and_wait() {
  if (!s_) throw HostError("submit: the recorder is empty (moved-from)");
  detail::RecorderState& s = *s_;
  if (s.submitted) throw HostError("this recorder was already submitted");
  if (s.plan_only) throw HostError("a plan-only recorder (RecordOptions::plan_only) cannot be submitted");
  if (!s.external_open.empty())
    throw HostError("cannot submit: external work '" + s.external_open + "' is still being recorded (call end_external() first)");
  VkCommandBuffer cmd = std::exchange(s.cmd, VK_NULL_HANDLE);
  s.submitted = true;
  s.cs->submit_and_wait(cmd, "command buffer with " + std::to_string(s.dispatches) + " dispatches");
  if (!s.profiling || s.names.empty()) return;

  std::vector<std::uint64_t> stamps;
  for (std::size_t i = 0; i < s.query_pools.size(); ++i) {
    std::uint32_t n = i + 1 == s.query_pools.size() ? s.queries_in_last : detail::kQueriesPerPool;
    std::vector<std::uint64_t> part(n);
    check(vkGetQueryPoolResults(s.cs->device, s.query_pools[i], 0, n, n * sizeof(std::uint64_t), part.data(), sizeof(std::uint64_t),
                                VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT),
          "vkGetQueryPoolResults", "timestamps");
    stamps.insert(stamps.end(), part.begin(), part.end());
  }
  const std::uint32_t bits = s.cs->timestamp_valid_bits;
  const std::uint64_t mask = bits >= 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << bits) - 1);
  const double ns_per_tick = s.cs->info.timestamp_period_ns;
  for (std::size_t i = 0; i < s.names.size() && 2 * i + 1 < stamps.size(); ++i) {
    std::uint64_t ticks = (stamps[2 * i + 1] - stamps[2 * i]) & mask;  // wraps modulo the valid bits
    s.timings.push_back({s.names[i], static_cast<double>(ticks) * ns_per_tick * 1e-6});
  }
}

}  // namespace m2vk::host

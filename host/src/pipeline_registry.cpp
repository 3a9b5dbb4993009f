// Lazily built compute pipelines and the on-disk pipeline cache.
#include "pipeline_registry.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "m2vk/host/error.hpp"
#include "m2vk/shaders.hpp"

namespace m2vk::host::detail {
namespace {

std::string spec_key(std::string_view variant, const SpecConstants& spec) {
  SpecConstants sorted = spec;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  std::string key(variant);
  for (const auto& s : sorted) key += "|" + std::to_string(s.id) + "=" + std::to_string(s.value);
  return key;
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, const void* data, std::size_t size) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) throw HostError("cannot create folder " + path.parent_path().string() + ": " + ec.message());
  std::filesystem::path tmp = path;
  tmp += ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
    out.close();
    if (!out) {
      std::filesystem::remove(tmp, ec);
      throw HostError("cannot write " + tmp.string());
    }
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw HostError("cannot rename " + tmp.string() + " to " + path.string());
  }
}

PipelineRegistry::PipelineRegistry(VkDevice device, VkPhysicalDevice physical, const DeviceInfo& info, bool push_descriptor,
                                   std::filesystem::path cache_file, bool persist, bool capture_statistics,
                                   bool cooperative_matrix)
    : device_(device),
      info_(info),
      push_descriptor_(push_descriptor),
      cache_file_(std::move(cache_file)),
      persist_(persist),
      capture_statistics_(capture_statistics),
      cooperative_matrix_(cooperative_matrix) {
  vkGetPhysicalDeviceProperties(physical, &props_);
  load_cache();
}

PipelineRegistry::~PipelineRegistry() {
  if (persist_) {
    try {
      save_cache();
    } catch (...) {
      // A cache that cannot be written only costs compile time next run; never fatal.
    }
  }
  for (auto& [key, p] : pipelines_) vkDestroyPipeline(device_, p->pipeline, nullptr);
  for (auto& [key, l] : layouts_) {
    vkDestroyPipelineLayout(device_, l.pipeline, nullptr);
    vkDestroyDescriptorSetLayout(device_, l.set, nullptr);
  }
  if (cache_) vkDestroyPipelineCache(device_, cache_, nullptr);
}

// Loads the cache file when its header says it was written by this very device and driver;
// a missing, truncated, corrupt or foreign file is ignored (an empty cache is used instead).
void PipelineRegistry::load_cache() {
  std::vector<char> data;
  if (persist_ && !cache_file_.empty()) {
    std::ifstream in(cache_file_, std::ios::binary);
    if (in) data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  bool valid = false;
  if (data.size() >= 16 + VK_UUID_SIZE) {
    std::uint32_t header[4];
    std::memcpy(header, data.data(), sizeof header);
    valid = header[0] >= 16 + VK_UUID_SIZE && header[0] <= data.size() && header[1] == VK_PIPELINE_CACHE_HEADER_VERSION_ONE &&
            header[2] == props_.vendorID && header[3] == props_.deviceID &&
            std::memcmp(data.data() + 16, props_.pipelineCacheUUID, VK_UUID_SIZE) == 0;
  }
  VkPipelineCacheCreateInfo ci{};
  ci.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO;
  if (valid) {
    ci.initialDataSize = data.size();
    ci.pInitialData = data.data();
    if (vkCreatePipelineCache(device_, &ci, nullptr, &cache_) == VK_SUCCESS) {
      loaded_bytes_ = data.size();
      return;
    }
    cache_ = VK_NULL_HANDLE;
  }
  ci.initialDataSize = 0;
  ci.pInitialData = nullptr;
  check(vkCreatePipelineCache(device_, &ci, nullptr, &cache_), "vkCreatePipelineCache", "empty cache");
}

void PipelineRegistry::save_cache() {
  if (cache_file_.empty()) return;
  std::size_t size = 0;
  check(vkGetPipelineCacheData(device_, cache_, &size, nullptr), "vkGetPipelineCacheData", "size");
  std::vector<char> data(size);
  check(vkGetPipelineCacheData(device_, cache_, &size, data.data()), "vkGetPipelineCacheData", "data");
  write_file_atomically(cache_file_, data.data(), size);
}

VkDescriptorType descriptor_type(BindingKind kind) {
  return kind == BindingKind::UniformTexelBuffer ? VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER : VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
}

const PipelineRegistry::Layout& PipelineRegistry::layout(const std::vector<BindingKind>& kinds, std::uint32_t push_size) {
  auto key = std::make_pair(kinds, push_size);
  auto it = layouts_.find(key);
  if (it != layouts_.end()) return it->second;
  const auto bindings = static_cast<std::uint32_t>(kinds.size());
  std::vector<VkDescriptorSetLayoutBinding> b(bindings);
  for (std::uint32_t i = 0; i < bindings; ++i) {
    b[i].binding = i;
    b[i].descriptorType = descriptor_type(kinds[i]);
    b[i].descriptorCount = 1;
    b[i].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
  }
  Layout l;
  VkDescriptorSetLayoutCreateInfo dci{};
  dci.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO;
  dci.flags = push_descriptor_ ? VK_DESCRIPTOR_SET_LAYOUT_CREATE_PUSH_DESCRIPTOR_BIT_KHR : 0;
  dci.bindingCount = bindings;
  dci.pBindings = b.data();
  check(vkCreateDescriptorSetLayout(device_, &dci, nullptr, &l.set), "vkCreateDescriptorSetLayout",
        std::to_string(bindings) + " bindings");
  VkPushConstantRange range{VK_SHADER_STAGE_COMPUTE_BIT, 0, push_size};
  VkPipelineLayoutCreateInfo pci{};
  pci.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO;
  pci.setLayoutCount = 1;
  pci.pSetLayouts = &l.set;
  pci.pushConstantRangeCount = push_size ? 1 : 0;
  pci.pPushConstantRanges = &range;
  VkResult r = vkCreatePipelineLayout(device_, &pci, nullptr, &l.pipeline);
  if (r != VK_SUCCESS) {
    vkDestroyDescriptorSetLayout(device_, l.set, nullptr);
    check(r, "vkCreatePipelineLayout", std::to_string(push_size) + " push-constant bytes");
  }
  return layouts_.emplace(key, l).first->second;
}

const Pipeline& PipelineRegistry::get(std::string_view variant, const SpecConstants& spec) {
  std::string key = spec_key(variant, spec);
  auto found = pipelines_.find(key);
  if (found != pipelines_.end()) return *found->second;

  std::span<const std::uint32_t> words = shaders::find(variant);
  std::string name(variant);
  auto refl_it = reflections_.find(name);
  if (refl_it == reflections_.end()) refl_it = reflections_.emplace(name, reflect_spirv(words, name)).first;
  const ShaderReflection& refl = refl_it->second;

  for (const auto& s : spec)
    if (!refl.spec_defaults.count(s.id))
      throw HostError("shader '" + name + "' has no specialization constant with constant_id " + std::to_string(s.id));
  if (refl.cooperative_matrix_nv && !cooperative_matrix_)
    throw UnsupportedShader("shader '" + name + "' uses cooperative matrices (SPIR-V capability CooperativeMatrixNV), but " +
                    VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME + " is not enabled on " + info_.name);
  if (refl.push_constant_size > info_.max_push_constants_size)
    throw HostError("shader '" + name + "' has " + std::to_string(refl.push_constant_size) +
                    " bytes of push constants; the device allows " + std::to_string(info_.max_push_constants_size));

  auto p = std::make_unique<Pipeline>();
  p->variant = name;
  p->spec = spec;
  p->binding_count = refl.binding_count;
  p->binding_kinds = refl.binding_kinds;
  p->push_constant_size = refl.push_constant_size;
  specialized_local_size(refl, spec, p->local_size);
  std::uint64_t invocations = std::uint64_t{p->local_size[0]} * p->local_size[1] * p->local_size[2];
  for (int k = 0; k < 3; ++k)
    if (p->local_size[k] == 0 || p->local_size[k] > info_.max_workgroup_size[k])
      throw HostError("shader '" + name + "': workgroup size " + std::to_string(p->local_size[k]) + " in dimension " +
                      std::to_string(k) + " is outside the device limit " + std::to_string(info_.max_workgroup_size[k]));
  if (invocations > info_.max_workgroup_invocations)
    throw HostError("shader '" + name + "': " + std::to_string(invocations) + " invocations per workgroup exceed the device limit " +
                    std::to_string(info_.max_workgroup_invocations));

  const Layout& l = layout(refl.binding_kinds, refl.push_constant_size);
  p->layout = l.pipeline;
  p->set_layout = l.set;

  VkShaderModuleCreateInfo smci{};
  smci.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO;
  smci.codeSize = words.size_bytes();
  smci.pCode = words.data();
  VkShaderModule module = VK_NULL_HANDLE;
  check(vkCreateShaderModule(device_, &smci, nullptr, &module), "vkCreateShaderModule", "shader '" + name + "'");

  std::vector<VkSpecializationMapEntry> entries;
  std::vector<std::uint32_t> values;
  for (const auto& s : spec) {
    entries.push_back({s.id, static_cast<std::uint32_t>(values.size() * 4), 4});
    values.push_back(s.value);
  }
  VkSpecializationInfo si{};
  si.mapEntryCount = static_cast<std::uint32_t>(entries.size());
  si.pMapEntries = entries.data();
  si.dataSize = values.size() * 4;
  si.pData = values.data();

  VkComputePipelineCreateInfo cci{};
  cci.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO;
  cci.flags = capture_statistics_ ? VK_PIPELINE_CREATE_CAPTURE_STATISTICS_BIT_KHR : 0;
  cci.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
  cci.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  cci.stage.module = module;
  cci.stage.pName = "main";
  cci.stage.pSpecializationInfo = entries.empty() ? nullptr : &si;
  cci.layout = l.pipeline;
  const auto start = std::chrono::steady_clock::now();
  VkResult r = vkCreateComputePipelines(device_, cache_, 1, &cci, nullptr, &p->pipeline);
  creation_.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  vkDestroyShaderModule(device_, module, nullptr);
  check(r, "vkCreateComputePipelines", "shader '" + key + "'");
  ++creation_.count;
  return *pipelines_.emplace(key, std::move(p)).first->second;
}

}  // namespace m2vk::host::detail

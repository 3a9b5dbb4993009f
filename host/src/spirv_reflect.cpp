// A minimal SPIR-V walker: reads decorations, types and constants it needs, nothing more.
// Instruction layout: word 0 = (word count << 16) | opcode, then operands.
#include "spirv_reflect.hpp"

#include <string>
#include <unordered_map>
#include <vector>

#include "m2vk/host/error.hpp"

namespace m2vk::host::detail {
namespace {

// Opcodes and enums from the SPIR-V specification (unified headers are not needed for so few).
enum : std::uint32_t {
  OpExecutionMode = 16,
  OpCapability = 17,
  OpTypeInt = 21,
  OpTypeFloat = 22,
  OpTypeVector = 23,
  OpTypeMatrix = 24,
  OpTypeImage = 25,
  OpTypeSampledImage = 27,
  OpTypeArray = 28,
  OpTypeStruct = 30,
  OpTypePointer = 32,
  OpConstant = 43,
  OpConstantComposite = 44,
  OpSpecConstantTrue = 48,
  OpSpecConstantFalse = 49,
  OpSpecConstant = 50,
  OpSpecConstantComposite = 51,
  OpVariable = 59,
  OpDecorate = 71,
  OpMemberDecorate = 72,
  OpExecutionModeId = 331,
};
enum : std::uint32_t {
  DecorationSpecId = 1,
  DecorationArrayStride = 6,
  DecorationMatrixStride = 7,
  DecorationBuiltIn = 11,
  DecorationBinding = 33,
  DecorationDescriptorSet = 34,
  DecorationOffset = 35,
  BuiltInWorkgroupSize = 25,
  ExecutionModeLocalSize = 17,
  ExecutionModeLocalSizeId = 38,
  StorageClassPushConstant = 9,
  DimBuffer = 5,
  CapabilityCooperativeMatrixNV = 5357,
};

struct Type {
  std::uint32_t op = 0;
  std::vector<std::uint32_t> operands;  // after the result id
};

}  // namespace

ShaderReflection reflect_spirv(std::span<const std::uint32_t> words, std::string_view name) {
  auto bad = [&](const std::string& why) { return HostError("shader '" + std::string(name) + "': " + why); };
  if (words.size() < 5 || words[0] != 0x07230203u) throw bad("not a SPIR-V module (bad magic number)");

  std::unordered_map<std::uint32_t, Type> types;
  std::unordered_map<std::uint32_t, std::uint32_t> constants;  // id -> 32-bit value
  std::unordered_map<std::uint32_t, std::vector<std::uint32_t>> composites;  // id -> constituents
  std::unordered_map<std::uint32_t, std::uint32_t> spec_ids, bindings, sets, array_strides;
  std::unordered_map<std::uint32_t, std::map<std::uint32_t, std::uint32_t>> member_offsets;  // struct -> member -> offset
  std::uint32_t workgroup_size_id = 0;
  std::vector<std::uint32_t> push_variables;
  std::unordered_map<std::uint32_t, std::uint32_t> variable_types;  // variable id -> pointer type id
  ShaderReflection r;
  std::uint32_t local_size_ids[3] = {0, 0, 0};

  for (std::size_t i = 5; i < words.size();) {
    std::uint32_t count = words[i] >> 16, op = words[i] & 0xffffu;
    if (count == 0 || i + count > words.size()) throw bad("truncated SPIR-V instruction at word " + std::to_string(i));
    const std::uint32_t* w = &words[i];
    switch (op) {
      case OpCapability:
        if (count >= 2 && w[1] == CapabilityCooperativeMatrixNV) r.cooperative_matrix_nv = true;
        break;
      case OpDecorate:
        if (count >= 4) {
          if (w[2] == DecorationSpecId) spec_ids[w[1]] = w[3];
          if (w[2] == DecorationBinding) bindings[w[1]] = w[3];
          if (w[2] == DecorationDescriptorSet) sets[w[1]] = w[3];
          if (w[2] == DecorationArrayStride) array_strides[w[1]] = w[3];
          if (w[2] == DecorationBuiltIn && w[3] == BuiltInWorkgroupSize) workgroup_size_id = w[1];
        }
        break;
      case OpMemberDecorate:
        if (count >= 5 && w[3] == DecorationOffset) member_offsets[w[1]][w[2]] = w[4];
        break;
      case OpExecutionMode:
        if (count >= 6 && w[2] == ExecutionModeLocalSize)
          for (int k = 0; k < 3; ++k) r.local_size[k] = w[3 + k];
        break;
      case OpExecutionModeId:
        if (count >= 6 && w[2] == ExecutionModeLocalSizeId)
          for (int k = 0; k < 3; ++k) local_size_ids[k] = w[3 + k];
        break;
      case OpTypeInt:
      case OpTypeFloat:
      case OpTypeVector:
      case OpTypeMatrix:
      case OpTypeArray:
      case OpTypeStruct:
      case OpTypePointer:
      case OpTypeImage:
      case OpTypeSampledImage:
        if (count >= 2) types[w[1]] = Type{op, std::vector<std::uint32_t>(w + 2, w + count)};
        break;
      case OpConstant:
      case OpSpecConstant:
        if (count >= 4) constants[w[2]] = w[3];
        break;
      case OpSpecConstantTrue:
        if (count >= 3) constants[w[2]] = 1;
        break;
      case OpSpecConstantFalse:
        if (count >= 3) constants[w[2]] = 0;
        break;
      case OpConstantComposite:
      case OpSpecConstantComposite:
        if (count >= 3) composites[w[2]] = std::vector<std::uint32_t>(w + 3, w + count);
        break;
      case OpVariable:
        if (count >= 4 && w[3] == StorageClassPushConstant) push_variables.push_back(w[1]);
        if (count >= 4) variable_types[w[2]] = w[1];
        break;
      default:
        break;
    }
    i += count;
  }

  // Descriptor kind of a bound variable: a buffer-dimension image that is sampled (samplerBuffer,
  // possibly wrapped in a sampled-image type) is a uniform texel buffer; blocks are storage buffers.
  auto kind_of = [&](std::uint32_t var, std::uint32_t binding) {
    auto vt = variable_types.find(var);
    auto ptr = vt == variable_types.end() ? types.end() : types.find(vt->second);
    if (ptr == types.end() || ptr->second.op != OpTypePointer || ptr->second.operands.size() < 2)
      return BindingKind::StorageBuffer;
    auto t = types.find(ptr->second.operands[1]);
    if (t != types.end() && t->second.op == OpTypeSampledImage && !t->second.operands.empty())
      t = types.find(t->second.operands[0]);
    if (t == types.end() || t->second.op != OpTypeImage) return BindingKind::StorageBuffer;
    const auto& o = t->second.operands;  // sampled type, Dim, Depth, Arrayed, MS, Sampled, Format
    if (o.size() >= 6 && o[1] == DimBuffer && o[5] == 1) return BindingKind::UniformTexelBuffer;
    throw bad("binding " + std::to_string(binding) + " is an image type the runtime does not bind (only storage buffers and samplerBuffer)");
  };
  std::map<std::uint32_t, BindingKind> kinds;
  for (const auto& [id, binding] : bindings) {
    auto set = sets.find(id);
    if (set != sets.end() && set->second != 0)
      throw bad("uses descriptor set " + std::to_string(set->second) + "; the runtime binds set 0 only");
    if (binding + 1 > r.binding_count) r.binding_count = binding + 1;
    kinds[binding] = kind_of(id, binding);
  }
  r.binding_kinds.assign(r.binding_count, BindingKind::StorageBuffer);  // unused numbers stay storage buffers
  for (const auto& [binding, kind] : kinds) r.binding_kinds[binding] = kind;
  for (const auto& [id, spec_id] : spec_ids) {
    auto c = constants.find(id);
    r.spec_defaults[spec_id] = c == constants.end() ? 0 : c->second;
  }

  // Push-constant block size: last member offset + its size. Members are 32-bit scalars by
  // convention (shaders/include/pc), but vectors, matrices and arrays of them are handled too.
  auto size_of = [&](auto&& self, std::uint32_t type_id) -> std::uint32_t {
    auto t = types.find(type_id);
    if (t == types.end()) throw bad("push-constant member of unknown type %" + std::to_string(type_id));
    const auto& o = t->second.operands;
    switch (t->second.op) {
      case OpTypeInt:
      case OpTypeFloat:
        return o.at(0) / 8;
      case OpTypeVector:
        return self(self, o.at(0)) * o.at(1);
      case OpTypeMatrix:
        return self(self, o.at(0)) * o.at(1);  // column-major, no stride padding assumed
      case OpTypeArray: {
        auto len = constants.find(o.at(1));
        auto stride = array_strides.find(type_id);
        std::uint32_t n = len == constants.end() ? 0 : len->second;
        std::uint32_t s = stride == array_strides.end() ? self(self, o.at(0)) : stride->second;
        return n * s;
      }
      case OpTypeStruct: {
        std::uint32_t end = 0;
        const auto& offsets = member_offsets[type_id];
        for (std::uint32_t m = 0; m < o.size(); ++m) {
          auto off = offsets.find(m);
          std::uint32_t e = (off == offsets.end() ? 0 : off->second) + self(self, o[m]);
          if (e > end) end = e;
        }
        return end;
      }
      default:
        throw bad("push-constant member of unsupported type (opcode " + std::to_string(t->second.op) + ")");
    }
  };
  for (std::uint32_t var_type : push_variables) {
    auto ptr = types.find(var_type);
    if (ptr == types.end() || ptr->second.op != OpTypePointer || ptr->second.operands.size() < 2) continue;
    r.push_constant_size = size_of(size_of, ptr->second.operands[1]);
  }

  // Workgroup size: a WorkgroupSize built-in (local_size_x_id) overrides the execution mode.
  auto resolve = [&](std::uint32_t id, int k) {
    auto sid = spec_ids.find(id);
    if (sid != spec_ids.end()) r.local_size_spec[k] = sid->second;
    auto c = constants.find(id);
    if (c != constants.end()) r.local_size[k] = c->second;
  };
  if (workgroup_size_id) {
    auto comp = composites.find(workgroup_size_id);
    if (comp != composites.end() && comp->second.size() == 3)
      for (int k = 0; k < 3; ++k) resolve(comp->second[k], k);
  } else if (local_size_ids[0]) {
    for (int k = 0; k < 3; ++k) resolve(local_size_ids[k], k);
  }
  return r;
}

void specialized_local_size(const ShaderReflection& r, const SpecConstants& spec, std::uint32_t out[3]) {
  for (int k = 0; k < 3; ++k) {
    out[k] = r.local_size[k];
    if (r.local_size_spec[k] < 0) continue;
    for (const auto& s : spec)
      if (static_cast<std::int64_t>(s.id) == r.local_size_spec[k]) out[k] = s.value;
  }
}

}  // namespace m2vk::host::detail

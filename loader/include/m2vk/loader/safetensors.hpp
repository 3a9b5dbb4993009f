// safetensors reading (validated, mmap, zero-copy) and writing (aligned, atomic).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "m2vk/loader/tensor_store.hpp"

namespace m2vk::loader {

// Largest accepted JSON header (the reference implementation uses the same limit).
inline constexpr uint64_t kSafetensorsMaxHeader = 100u * 1024u * 1024u;

// One entry of a parsed safetensors header; offsets are relative to the data section.
struct SafetensorsEntry {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;
  uint64_t end = 0;
};

struct SafetensorsHeader {
  uint64_t header_size = 0;  // N of the 8-byte prefix
  std::vector<SafetensorsEntry> entries;  // sorted by data offset
  std::map<std::string, std::string> metadata;
};

// Validates a header against every rule of the format (header length limit, UTF-8 JSON object,
// string-only __metadata__, duplicate keys, known dtypes, shape x dtype size = byte length with
// overflow checks, offsets contiguous from 0 with no holes or overlaps, data section length equal
// to file_size - 8 - N). `what` names the file in errors. `bytes` holds at least the prefix and
// header; file_size is the whole file length.
SafetensorsHeader parse_safetensors_header(std::span<const std::byte> bytes, uint64_t file_size,
                                           const std::string& what);

// Reads one safetensors file (mmap).
TensorStore load_safetensors(const std::filesystem::path& file);
// Reads the shards listed by a model.safetensors.index.json (weight_map: name -> shard file).
TensorStore load_safetensors_index(const std::filesystem::path& index_json);

// Describes a tensor to write; fill() writes its bytes (exactly nbytes) into the output buffer.
struct TensorToWrite {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::function<void(std::span<std::byte>)> fill;
};

// Writes a safetensors file: header padded with spaces so the data section starts 64-byte aligned,
// tensors placed largest element size first (each naturally aligned), bytes produced one tensor at a
// time. Written to `<file>.tmp-<pid>` and renamed; removed on failure. Returns data bytes written.
uint64_t write_safetensors(const std::filesystem::path& file, const std::vector<TensorToWrite>& tensors,
                           const std::map<std::string, std::string>& metadata,
                           const std::function<void(size_t done, uint64_t bytes_done)>& on_tensor = {});

}  // namespace m2vk::loader

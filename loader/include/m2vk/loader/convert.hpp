// Streaming conversion of any supported checkpoint to safetensors, and bit-exact verification.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "m2vk/loader/tensor_store.hpp"

namespace m2vk::loader {

// Reported after each tensor is written; only tools/ draws it.
struct ConvertProgress {
  size_t tensors_done = 0;
  size_t tensors_total = 0;
  uint64_t bytes_done = 0;
  uint64_t bytes_total = 0;
  std::string_view current;  // name of the tensor just written
};
using ProgressFn = std::function<void(const ConvertProgress&)>;

struct ConvertResult {
  std::filesystem::path output;
  std::string source_format;
  size_t tensors = 0;
  uint64_t data_bytes = 0;
  std::vector<std::string> notes;
};

// Converts src (a file or model folder) to a safetensors file at dst, tensor by tensor (peak memory
// near the largest tensor). Keys are written as stored (no normalisation) so the file mirrors the
// source; metadata records the format version, source file, size, mtime and content hash.
// The output is written to a temporary file and renamed, so a failure leaves no partial file.
ConvertResult convert_to_safetensors(const std::filesystem::path& src, const std::filesystem::path& dst,
                                     const ProgressFn& progress = {});

// Compares every tensor of src with the one of the same name in the safetensors file dst, bit for
// bit (dtype, shape and bytes). Throws LoaderError naming the first mismatch; returns the count.
size_t verify_conversion(const std::filesystem::path& src, const std::filesystem::path& dst);

// Describes where load_checkpoint() keeps the cache for a checkpoint file: `<stem>.safetensors`
// beside it when the folder is writable, else in the user cache directory (M2VK_CACHE_DIR,
// $XDG_CACHE_HOME/m2vk or ~/.cache/m2vk).
std::filesystem::path cache_path_for(const std::filesystem::path& checkpoint);

}  // namespace m2vk::loader

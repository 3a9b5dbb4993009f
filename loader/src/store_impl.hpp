// The inside of a TensorStore: the tensors plus whatever owns their bytes (mmaps, heap buffers).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "m2vk/loader/tensor_store.hpp"

namespace m2vk::loader {

struct TensorStore::Impl {
  std::vector<Tensor> tensors;
  std::unordered_map<std::string, size_t> by_name;
  std::filesystem::path source;
  std::string format;
  std::vector<std::string> notes;
  std::map<std::string, std::string> metadata;  // safetensors __metadata__
  std::vector<std::shared_ptr<const void>> owners;  // keep mmaps / buffers alive

  // A heap buffer of n bytes owned by the store (not zero-filled: the caller overwrites it).
  std::span<std::byte> alloc(size_t n);
  // Rebuilds by_name; throws LoaderError on a duplicate name.
  void index();
};

}  // namespace m2vk::loader

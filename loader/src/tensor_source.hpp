// A checkpoint opened for reading tensor by tensor: descriptors first (names, dtypes, shapes, sizes),
// bytes on request. Conversion streams through this interface so peak memory stays near the largest
// tensor; a full load asks for every tensor.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "m2vk/loader/tensor_store.hpp"

namespace m2vk::loader {

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t nbytes = 0;
  std::string storage_id;
};

class TensorSource {
 public:
  virtual ~TensorSource() = default;
  virtual std::string format() const = 0;
  virtual const std::vector<TensorInfo>& infos() const = 0;
  // Writes the contiguous row-major bytes of tensor i into out (out.size() == infos()[i].nbytes).
  virtual void read(size_t i, std::span<std::byte> out) = 0;
  virtual std::vector<std::string> notes() const { return {}; }
};

std::unique_ptr<TensorSource> open_torch_zip(const std::filesystem::path& file);
std::unique_ptr<TensorSource> open_torch_legacy(const std::filesystem::path& file);
std::unique_ptr<TensorSource> open_npz(const std::filesystem::path& file);

// Sniffs the format from the first bytes and opens the matching torch / npz reader.
// ("PK\3\4" with a data.pkl record -> torch zip; with .npy records -> npz; 0x80 -> legacy torch.)
std::unique_ptr<TensorSource> open_tensor_source(const std::filesystem::path& file);

// Loads every tensor of a source into heap buffers owned by a new store.
TensorStore load_all(TensorSource& src, const std::filesystem::path& file);

}  // namespace m2vk::loader

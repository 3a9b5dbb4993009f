// Checkpoint loading: bytes in, validated named tensors out.
//
// load_checkpoint() reads PyTorch zip / legacy files (through a non-executing pickle reader),
// safetensors (mmap, zero-copy), sharded safetensors index files and npz archives. Every malformed
// input is a LoaderError whose message names the file and the record at fault.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace m2vk::loader {

// Element types, kept exactly as stored; to_float32() converts on request.
enum class DType : uint8_t { F32, F16, BF16, F64, I8, I16, I32, I64, U8, BOOL };

size_t dtype_size(DType);
std::string_view dtype_name(DType);  // safetensors names: "F32", "F16", "BF16", "F64", "I8", ..., "BOOL"
// Parses a safetensors dtype name; throws LoaderError for an unknown one.
DType dtype_from_name(std::string_view name);

// Every loader failure. The message names the file and the record (tensor, zip entry, pickle
// offset, JSON field) at fault.
struct LoaderError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One tensor: contiguous, row-major, little-endian. The bytes are owned by the TensorStore.
struct Tensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::span<const std::byte> bytes;
  int64_t numel() const;
  // Keys that shared one storage in the source file carry the same id (shown by `m2vk inspect`).
  std::string storage_id;
};

// The tensors of one checkpoint. Movable, not copyable; owns the mmaps and heap buffers that the
// tensors' bytes point into.
class TensorStore {
 public:
  TensorStore();
  ~TensorStore();
  TensorStore(TensorStore&&) noexcept;
  TensorStore& operator=(TensorStore&&) noexcept;
  TensorStore(const TensorStore&) = delete;
  TensorStore& operator=(const TensorStore&) = delete;

  const Tensor* find(std::string_view name) const;  // nullptr if absent
  const Tensor& at(std::string_view name) const;    // throws LoaderError naming the tensor and file
  const std::vector<Tensor>& tensors() const;       // in file order
  const std::filesystem::path& source() const;      // file actually read (the cache when used)
  std::string format() const;                       // "safetensors", "pytorch-zip", "pytorch-legacy", "npz", ...
  std::vector<std::string> notes() const;           // e.g. key prefix stripped, cache used/rebuilt

  // Building a store (used by the format readers).
  struct Impl;
  explicit TensorStore(std::unique_ptr<Impl> impl);
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

struct LoadOptions {
  bool use_cache = true;       // convert non-safetensors checkpoints to a safetensors cache and load that
  bool normalize_keys = true;  // map `_orig_mod.`, `module.`, `model.`, Composer `state.model` to HF names
};

// Loads a checkpoint file or a model folder. A folder is searched for model.safetensors,
// model.safetensors.index.json, then pytorch_model.bin, model.pt, then *.npz; the error lists
// what was looked for.
TensorStore load_checkpoint(const std::filesystem::path& file_or_dir, const LoadOptions& = {});

// Explicit conversion of any floating or integer dtype to float32 values.
std::vector<float> to_float32(const Tensor&);

}  // namespace m2vk::loader

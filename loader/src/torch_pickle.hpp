// The torch layer over the pickle reader: an allow-list of the globals torch.save uses, persistent
// ids turned into storage references, and the selection of the state dict (flat, Composer
// `state.model`, or common wrapper keys) with every tensor's storage, offset, sizes and strides
// checked against its storage.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "m2vk/loader/tensor_store.hpp"
#include "pickle_reader.hpp"

namespace m2vk::loader {

// A tensor as the pickle describes it: a strided view of a storage.
struct TorchTensorDesc {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<int64_t> stride;
  uint64_t offset = 0;  // in elements from the start of the root storage
  std::string storage_key;
  uint64_t storage_numel = 0;  // elements in the root storage
  uint64_t nbytes = 0;         // contiguous size of the tensor
  bool contiguous_whole = false;  // row-major, offset 0 and covering the whole storage
};

// Which pickle variant the storages come from.
enum class TorchFlavor { Zip, Legacy };

// Installs the allow-list (on_reduce) and storage references (on_persistent) on a reader. Returns
// the storages met so far, by key (filled as the reader runs; the legacy reader needs their sizes).
using StorageMap = std::unordered_map<std::string, pickle::Value*>;
std::shared_ptr<StorageMap> install_torch_hooks(pickle::Reader& reader, TorchFlavor flavor);

struct TorchStateDict {
  std::vector<TorchTensorDesc> tensors;  // in pickle order
  std::vector<std::string> notes;
};

// Finds the state dict in an unpickled checkpoint and validates every tensor in it. Tensors outside
// it (optimizer state, ...) and unknown objects around it are ignored; an unknown object where a
// tensor is expected is an error. `what` names the file.
TorchStateDict select_state_dict(const pickle::Value* root, const std::string& what);

// Copies the strided view `d` out of its storage bytes into contiguous row-major `out`
// (out.size() == d.nbytes). The view was validated by select_state_dict.
void materialize(const TorchTensorDesc& d, std::span<const std::byte> storage, std::span<std::byte> out);

}  // namespace m2vk::loader

// Fuzzes the non-executing pickle reader and the torch layer: any byte string must give a value or
// a LoaderError, never a crash, hang or leak. Selected tensors are materialised from a dummy
// storage to exercise the view checks.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "pickle_reader.hpp"
#include "torch_pickle.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace m2vk::loader;
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  try {
    pickle::Reader r(bytes, "fuzz.pkl");
    install_torch_hooks(r, size % 2 ? TorchFlavor::Zip : TorchFlavor::Legacy);
    TorchStateDict sd = select_state_dict(r.load(), "fuzz.pt");
    for (const auto& d : sd.tensors) {
      uint64_t storage_bytes = d.storage_numel * dtype_size(d.dtype);
      if (storage_bytes > (1u << 20) || d.nbytes > (1u << 20)) continue;
      std::vector<std::byte> storage(storage_bytes), out(d.nbytes);
      materialize(d, storage, out);
    }
  } catch (const LoaderError&) {
  }
  return 0;
}

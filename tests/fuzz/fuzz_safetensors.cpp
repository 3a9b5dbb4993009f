// Fuzzes the safetensors header validation: any byte string is either a header whose entries lie
// inside the file or a LoaderError.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "m2vk/loader/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace m2vk::loader;
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  try {
    SafetensorsHeader h = parse_safetensors_header(bytes, size, "fuzz.safetensors");
    for (const auto& e : h.entries) {
      if (8 + h.header_size + e.end > size) std::abort();  // validation let a tensor past the end
    }
  } catch (const LoaderError&) {
  }
  return 0;
}

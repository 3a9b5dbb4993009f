// Fuzzes the zip layer and every reader behind it (torch zip, legacy torch, npz): the input is
// written to a temporary file and loaded without the cache.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include "m2vk/loader/tensor_store.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path =
      (std::filesystem::temp_directory_path() / ("m2vk-fuzz-zip-" + std::to_string(::getpid()) + ".pt")).string();
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    m2vk::loader::LoadOptions o;
    o.use_cache = false;
    auto store = m2vk::loader::load_checkpoint(path, o);
    for (const auto& t : store.tensors()) (void)m2vk::loader::to_float32(t);
  } catch (const m2vk::loader::LoaderError&) {
  }
  return 0;
}

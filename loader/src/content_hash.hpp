// A fast 64-bit content hash for cache validation (not cryptographic: it detects a changed
// checkpoint, it does not defend against a forged one). Four independent multiply-rotate lanes over
// 32-byte blocks (the structure of xxHash64, constants from it) so it runs near memory bandwidth.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace m2vk::loader {

uint64_t content_hash(std::span<const std::byte> data);
// Hash of a whole file (mmap), as 16 lowercase hex digits.
std::string file_content_hash(const std::filesystem::path& file);

}  // namespace m2vk::loader

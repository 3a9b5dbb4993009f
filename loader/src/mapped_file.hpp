// Read-only memory map of a whole file (RAII). Errors name the file and the failing call.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>

namespace m2vk::loader {

class MappedFile {
 public:
  // Throws LoaderError if the file cannot be opened, stat'ed or mapped.
  static std::shared_ptr<MappedFile> open(const std::filesystem::path& file);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const std::byte> bytes() const { return {data_, size_}; }
  size_t size() const { return size_; }

 private:
  MappedFile() = default;
  const std::byte* data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
};

}  // namespace m2vk::loader

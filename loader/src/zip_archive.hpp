// Read access to a zip archive through libzip, with the checks a checkpoint needs: consistent
// central directory and local headers, no duplicate names, no encryption, only the compression
// methods the caller allows, sizes within limits (zip bombs), and CRC checked on every read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

struct zip;

namespace m2vk::loader {

class ZipArchive {
 public:
  struct Entry {
    std::string name;
    uint64_t size = 0;        // uncompressed
    uint64_t comp_size = 0;
    uint16_t method = 0;      // libzip ZIP_CM_*
    uint64_t index = 0;
  };

  // Opens and validates the archive. allow_deflate: accept deflated entries (npz); torch archives
  // must be stored. Throws LoaderError naming the file (and entry).
  ZipArchive(const std::filesystem::path& file, bool allow_deflate);
  ~ZipArchive();
  ZipArchive(const ZipArchive&) = delete;
  ZipArchive& operator=(const ZipArchive&) = delete;

  const std::vector<Entry>& entries() const { return entries_; }
  const Entry* find(const std::string& name) const;
  // Reads a whole entry into out (out.size() == entry size); verifies its CRC.
  void read(const Entry& e, std::span<std::byte> out) const;
  std::vector<std::byte> read(const Entry& e) const;
  // The first min(n, size) bytes of an entry (no CRC check: the entry is not read to its end).
  std::vector<std::byte> read_prefix(const Entry& e, uint64_t n) const;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  uint64_t file_size_ = 0;
  ::zip* zip_ = nullptr;
  std::vector<Entry> entries_;
};

}  // namespace m2vk::loader

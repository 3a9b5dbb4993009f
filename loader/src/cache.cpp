#include "cache.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <vector>

#include "content_hash.hpp"
#include "m2vk/loader/convert.hpp"
#include "m2vk/loader/safetensors.hpp"

namespace m2vk::loader {

FileStamp stamp_of(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) throw LoaderError(file.string() + ": stat failed: " + std::strerror(errno));
  return {static_cast<uint64_t>(st.st_size), int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

std::filesystem::path user_cache_dir() {
  if (const char* d = std::getenv("M2VK_CACHE_DIR"); d && *d) return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return std::filesystem::path(d) / "m2vk";
  if (const char* d = std::getenv("HOME"); d && *d) return std::filesystem::path(d) / ".cache" / "m2vk";
  throw LoaderError("no cache directory: set M2VK_CACHE_DIR, XDG_CACHE_HOME or HOME");
}

std::filesystem::path cache_path_for(const std::filesystem::path& checkpoint) {
  std::filesystem::path abs = std::filesystem::absolute(checkpoint).lexically_normal();
  std::filesystem::path beside = abs.parent_path() / (abs.stem().string() + ".safetensors");
  // access() alone says yes to root everywhere; a folder whose mode has no write bit (a read-only
  // data set, a package install) is treated as read-only too, so the cache never lands there.
  struct stat st {};
  bool writable = ::access(abs.parent_path().c_str(), W_OK) == 0 && ::stat(abs.parent_path().c_str(), &st) == 0 &&
                  (st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) != 0;
  if (writable && check_cache(beside, abs) != CacheState::Foreign) return beside;
  // Read-only folder (or a foreign file in the way): the user cache, keyed by the absolute path.
  std::string p = abs.string();
  uint64_t h = content_hash(std::span<const std::byte>(reinterpret_cast<const std::byte*>(p.data()), p.size()));
  char hex[17];
  for (int k = 0; k < 16; ++k) hex[k] = "0123456789abcdef"[(h >> (60 - 4 * k)) & 15];
  hex[16] = 0;
  return user_cache_dir() / (abs.stem().string() + "-" + hex + ".safetensors");
}

CacheState check_cache(const std::filesystem::path& cache, const std::filesystem::path& source, std::string* why) {
  auto say = [&](const std::string& s) {
    if (why) *why = s;
  };
  std::error_code ec;
  if (!std::filesystem::is_regular_file(cache, ec)) return CacheState::Missing;
  SafetensorsHeader h;
  try {
    // Only the header is needed: read the prefix and the JSON, validate against the file size.
    std::ifstream in(cache, std::ios::binary);
    std::vector<std::byte> head(8);
    in.read(reinterpret_cast<char*>(head.data()), 8);
    if (in.gcount() != 8) throw LoaderError("short");
    uint64_t n = 0;
    for (int i = 0; i < 8; ++i) n |= uint64_t(std::to_integer<uint8_t>(head[size_t(i)])) << (8 * i);
    if (n > kSafetensorsMaxHeader) throw LoaderError("header too large");
    head.resize(8 + n);
    in.read(reinterpret_cast<char*>(head.data() + 8), static_cast<std::streamsize>(n));
    if (static_cast<uint64_t>(in.gcount()) != n) throw LoaderError("short");
    h = parse_safetensors_header(head, std::filesystem::file_size(cache), cache.string());
  } catch (const std::exception& e) {
    say(std::string("unreadable cache: ") + e.what());
    return CacheState::Stale;
  }
  auto get = [&](const char* k) {
    auto it = h.metadata.find(k);
    return it == h.metadata.end() ? std::string() : it->second;
  };
  if (get(kMetaSource).empty()) return CacheState::Foreign;
  if (get(kMetaVersion) != kCacheVersion) {
    say("cache format version changed");
    return CacheState::Stale;
  }
  FileStamp s = stamp_of(source);
  if (get(kMetaSourceSize) != std::to_string(s.size)) {
    say("source size changed");
    return CacheState::Stale;
  }
  if (get(kMetaSourceMtime) == std::to_string(s.mtime_ns)) return CacheState::Current;
  if (get(kMetaSourceHash) == file_content_hash(source)) {
    say("source modification time changed, content hash unchanged");
    return CacheState::Current;
  }
  say("source content changed");
  return CacheState::Stale;
}

}  // namespace m2vk::loader

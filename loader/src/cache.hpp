// The safetensors cache of non-safetensors checkpoints: where it lives and whether it is current.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace m2vk::loader {

// Size and modification time of a file, as recorded in the cache metadata.
struct FileStamp {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
};
FileStamp stamp_of(const std::filesystem::path& file);

// Metadata keys written by convert_to_safetensors().
inline constexpr const char* kMetaVersion = "m2vk.cache_version";
inline constexpr const char* kMetaSource = "m2vk.source";
inline constexpr const char* kMetaSourceFormat = "m2vk.source_format";
inline constexpr const char* kMetaSourceSize = "m2vk.source_size";
inline constexpr const char* kMetaSourceMtime = "m2vk.source_mtime_ns";
inline constexpr const char* kMetaSourceHash = "m2vk.source_hash";
inline constexpr const char* kMetaSourceNotes = "m2vk.source_notes";
inline constexpr const char* kCacheVersion = "1";

// The user cache directory: $M2VK_CACHE_DIR, else $XDG_CACHE_HOME/m2vk, else ~/.cache/m2vk.
std::filesystem::path user_cache_dir();

// How a cache file relates to its source.
enum class CacheState { Missing, Current, Stale, Foreign };
// Current: size and mtime match, or they differ only in mtime and the content hash matches.
// Foreign: the file exists but was not written by m2vk (never overwritten).
CacheState check_cache(const std::filesystem::path& cache, const std::filesystem::path& source,
                       std::string* why = nullptr);

}  // namespace m2vk::loader

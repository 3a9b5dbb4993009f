// Where m2vk keeps its per-user caches.
#include <cstdlib>

#include "m2vk/host/context.hpp"

namespace m2vk::host {

std::filesystem::path default_cache_dir() {
  if (const char* d = std::getenv("M2VK_CACHE_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::filesystem::path(x) / "m2vk";
  if (const char* h = std::getenv("HOME"); h && *h) return std::filesystem::path(h) / ".cache" / "m2vk";
  return std::filesystem::temp_directory_path() / "m2vk-cache";
}

bool validation_from_env() {
  const char* v = std::getenv("M2VK_VALIDATION");
  return v && *v && std::string(v) != "0";
}

}  // namespace m2vk::host

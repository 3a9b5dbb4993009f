// Runtime lookup of the embedded SPIR-V variants by name.
#include <algorithm>

#include "m2vk/shaders.hpp"
#include "shader_table.hpp"

namespace m2vk::shaders {

std::optional<std::span<const std::uint32_t>> try_find(std::string_view name) {
  const detail::TableEntry* begin = detail::kTable;
  const detail::TableEntry* end = detail::kTable + detail::kTableSize;
  auto it = std::lower_bound(begin, end, name, [](const detail::TableEntry& e, std::string_view n) { return e.name < n; });
  if (it == end || it->name != name || name.empty()) return std::nullopt;
  return it->words;
}

std::span<const std::uint32_t> find(std::string_view name) {
  if (auto words = try_find(name)) return *words;
  std::string known;
  for (const auto& n : names()) known += (known.empty() ? "" : ", ") + n;
  throw UnknownShader("unknown shader variant '" + std::string(name) + "' (embedded variants: " +
                      (known.empty() ? "none" : known) + "; add one in shaders/variants/<op>.cmake)");
}

std::vector<std::string> names() {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < detail::kTableSize; ++i)
    if (!detail::kTable[i].name.empty()) out.emplace_back(detail::kTable[i].name);
  return out;
}

}  // namespace m2vk::shaders

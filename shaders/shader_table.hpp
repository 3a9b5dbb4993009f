// Internal: the generated table of embedded SPIR-V variants (see CMakeLists.txt).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace m2vk::shaders::detail {

struct TableEntry {
  std::string_view name;
  std::span<const std::uint32_t> words;
};

extern const TableEntry kTable[];  // sorted by name
extern const std::size_t kTableSize;

}  // namespace m2vk::shaders::detail

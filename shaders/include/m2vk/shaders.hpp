// The SPIR-V of every shader variant, embedded at build time (shaders/variants/*.cmake).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace m2vk::shaders {

// Unknown variant name; the message lists the known ones.
struct UnknownShader : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The SPIR-V words of variant `name`, or nullopt.
std::optional<std::span<const std::uint32_t>> try_find(std::string_view name);
// The SPIR-V words of variant `name`; throws UnknownShader.
std::span<const std::uint32_t> find(std::string_view name);
// Every variant name, sorted.
std::vector<std::string> names();

}  // namespace m2vk::shaders

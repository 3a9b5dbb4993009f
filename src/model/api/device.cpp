// Device selection. The GPU forward path does not exist yet: gpu_path_available() is the single
// hook that flips "auto" to the GPU once it does.
#include <charconv>
#include <stdexcept>
#include <string>

#include "m2vk/model.hpp"

namespace m2vk {

bool gpu_path_available() { return false; }

Device Device::parse(std::string_view text) {
  Device d;
  auto parse_index = [&](std::string_view s) {
    int v = -1;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v < 0)
      throw std::invalid_argument("device '" + std::string(text) + "': expected auto, cpu, gpu, gpu:N or N");
    return v;
  };
  if (text == "auto") {
    d.kind = Kind::Auto;
  } else if (text == "cpu") {
    d.kind = Kind::Cpu;
  } else if (text == "gpu") {
    d.kind = Kind::Gpu;
  } else if (text.substr(0, 4) == "gpu:") {
    d.kind = Kind::Gpu;
    d.index = parse_index(text.substr(4));
  } else {
    d.kind = Kind::Gpu;
    d.index = parse_index(text);
  }
  return d;
}

std::string Device::to_string() const {
  switch (kind) {
    case Kind::Auto: return "auto";
    case Kind::Cpu: return "cpu";
    case Kind::Gpu: return index < 0 ? "gpu" : "gpu:" + std::to_string(index);
  }
  return "?";
}

Device Device::resolve() const {
  if (kind == Kind::Cpu) return *this;
  if (kind == Kind::Auto) {
    Device d;
    d.kind = gpu_path_available() ? Kind::Gpu : Kind::Cpu;
    return d;
  }
  if (!gpu_path_available())
    throw DeviceUnavailable("device '" + to_string() +
                            "': the GPU path is not available yet in this build; use --device cpu (or auto)");
  return *this;
}

}  // namespace m2vk

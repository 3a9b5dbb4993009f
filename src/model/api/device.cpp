// Device selection: "auto" is the GPU whenever a Vulkan device exists (gpu_path_available), and
// which GPU follows src/model/gpu's rule (explicit spec, M2VK_DEVICE, CUDA_VISIBLE_DEVICES, best).
#include <charconv>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "m2vk/gpu/device_choice.hpp"
#include "m2vk/host/device_info.hpp"
#include "m2vk/model.hpp"

namespace m2vk {

bool gpu_path_available() { return !gpu::vulkan_devices().empty(); }

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
  } else {
    // "gpu:SPEC" or "SPEC": an index, else a UUID or name substring checked by resolve().
    const std::string_view spec = text.substr(0, 4) == "gpu:" ? text.substr(4) : text;
    if (spec.empty()) throw std::invalid_argument("device '" + std::string(text) + "': expected auto, cpu, gpu, gpu:SPEC or SPEC");
    d.kind = Kind::Gpu;
    if (spec.find_first_not_of("0123456789") == std::string_view::npos && spec.size() <= 4) {
      d.index = parse_index(spec);
    } else {
      // A name or UUID must match a device now, so a typo is a usage error listing the devices.
      try {
        host::select_device(gpu::vulkan_devices(), spec);
      } catch (const std::exception& e) {
        throw std::invalid_argument("device '" + std::string(text) + "': expected auto, cpu, gpu, gpu:SPEC or SPEC "
                                    "(an index, UUID or name of a Vulkan device): " + e.what());
      }
      d.spec = std::string(spec);
    }
  }
  return d;
}

std::string Device::to_string() const {
  switch (kind) {
    case Kind::Auto: return "auto";
    case Kind::Cpu: return "cpu";
    case Kind::Gpu: return !spec.empty() ? "gpu:" + spec : index < 0 ? "gpu" : "gpu:" + std::to_string(index);
  }
  return "?";
}

Device Device::resolve() const {
  if (kind == Kind::Cpu) return *this;
  const auto& devices = gpu::vulkan_devices();
  if (kind == Kind::Auto) {
    const char* env = std::getenv("M2VK_DEVICE");
    if (env && std::string_view(env) == "cpu") return parse("cpu");
    try {
      auto choice = gpu::choose_device_from_env(devices, "");
      Device d;
      d.kind = choice ? Kind::Gpu : Kind::Cpu;
      if (choice) d.index = static_cast<int>(choice->index);
      return d;
    } catch (const std::exception&) {
      return parse("cpu");  // M2VK_DEVICE names no device: "auto" still runs
    }
  }
  if (devices.empty())
    throw DeviceUnavailable("device '" + to_string() +
                            "': no Vulkan device found (install a GPU driver, or mesa-vulkan-drivers for the lavapipe "
                            "CPU device); use --device cpu (or auto)");
  Device d = *this;
  try {
    auto choice = gpu::choose_device_from_env(devices, spec.empty() ? (index < 0 ? "" : std::to_string(index)) : spec);
    if (!choice) throw DeviceUnavailable("device '" + to_string() + "': CUDA_VISIBLE_DEVICES hides every GPU");
    d.index = static_cast<int>(choice->index);
    d.spec.clear();
  } catch (const DeviceUnavailable&) {
    throw;
  } catch (const std::exception& e) {
    throw DeviceUnavailable("device '" + to_string() + "': " + e.what());
  }
  return d;
}

}  // namespace m2vk

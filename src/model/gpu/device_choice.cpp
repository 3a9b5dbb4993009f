// Device choice for the GPU forward path (see m2vk/gpu/device_choice.hpp).
#include "m2vk/gpu/device_choice.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <mutex>

#include "m2vk/host/error.hpp"

namespace m2vk::gpu {
namespace {

std::string trim(std::string_view s) {
  std::string out;
  for (char c : s)
    if (!std::isspace(static_cast<unsigned char>(c))) out += c;
  return out;
}

std::string hex_digits(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != '-') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool all_hex(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

std::vector<CudaDeviceEntry> parse_cuda_visible_devices(std::string_view text) {
  std::vector<CudaDeviceEntry> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = text.find(',', pos);
    const std::string item = trim(text.substr(pos, comma == std::string_view::npos ? text.npos : comma - pos));
    CudaDeviceEntry e;
    if (all_digits(item) && item.size() <= 6) {
      e.kind = CudaDeviceEntry::Kind::Index;
      e.index = static_cast<std::size_t>(std::stoul(item));
    } else if (item.size() > 4 && (item.rfind("GPU-", 0) == 0 || item.rfind("gpu-", 0) == 0) &&
               all_hex(hex_digits(item.substr(4)))) {
      e.kind = CudaDeviceEntry::Kind::Uuid;
      e.uuid_hex = hex_digits(item.substr(4));
    } else {
      break;  // CUDA stops at the first invalid entry: "-1" hides everything after it
    }
    out.push_back(std::move(e));
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

std::vector<std::size_t> cuda_visible_vulkan_devices(const std::vector<host::DeviceInfo>& devices,
                                                     const std::vector<CudaDeviceEntry>& entries) {
  std::vector<std::size_t> nvidia;
  for (std::size_t i = 0; i < devices.size(); ++i)
    if (devices[i].vendor_id == kNvidiaVendorId) nvidia.push_back(i);
  std::vector<std::size_t> out;
  auto add = [&](std::size_t i) {
    if (std::find(out.begin(), out.end(), i) == out.end()) out.push_back(i);
  };
  for (const auto& e : entries) {
    if (e.kind == CudaDeviceEntry::Kind::Index) {
      if (e.index < nvidia.size()) add(nvidia[e.index]);
      continue;
    }
    std::vector<std::size_t> hits;
    for (std::size_t i : nvidia)
      if (hex_digits(devices[i].uuid).rfind(e.uuid_hex, 0) == 0) hits.push_back(i);
    if (hits.size() == 1) add(hits[0]);  // an ambiguous prefix selects nothing, as in CUDA
  }
  return out;
}

std::optional<DeviceChoice> choose_device(const std::vector<host::DeviceInfo>& devices, std::string_view spec,
                                          const char* m2vk_device, const char* cuda_visible) {
  if (!spec.empty()) return DeviceChoice{host::select_device(devices, spec), "--device '" + std::string(spec) + "'"};
  // M2VK_DEVICE=cpu chooses the CPU path for "auto" (Device::resolve); an explicit GPU request
  // then falls through to the remaining rules.
  if (m2vk_device && *m2vk_device && std::string_view(m2vk_device) != "cpu")
    return DeviceChoice{host::select_device(devices, m2vk_device), "M2VK_DEVICE='" + std::string(m2vk_device) + "'"};
  if (devices.empty()) return std::nullopt;

  const bool has_nvidia = std::any_of(devices.begin(), devices.end(),
                                      [](const host::DeviceInfo& d) { return d.vendor_id == kNvidiaVendorId; });
  if (cuda_visible && has_nvidia) {
    const std::string var = "CUDA_VISIBLE_DEVICES='" + std::string(cuda_visible) + "'";
    const auto visible = cuda_visible_vulkan_devices(devices, parse_cuda_visible_devices(cuda_visible));
    if (!visible.empty()) return DeviceChoice{visible.front(), var};
    // Every NVIDIA GPU is hidden: choose among the other devices by the usual ranking.
    std::vector<host::DeviceInfo> others;
    std::vector<std::size_t> where;
    for (std::size_t i = 0; i < devices.size(); ++i)
      if (devices[i].vendor_id != kNvidiaVendorId) {
        others.push_back(devices[i]);
        where.push_back(i);
      }
    if (others.empty()) return std::nullopt;
    const std::size_t k = host::default_device_index(others);
    return DeviceChoice{where[k], var + " hides every NVIDIA GPU; default ranking of the rest"};
  }
  return DeviceChoice{host::default_device_index(devices), "default ranking"};
}

std::optional<DeviceChoice> choose_device_from_env(const std::vector<host::DeviceInfo>& devices,
                                                   std::string_view spec) {
  return choose_device(devices, spec, std::getenv("M2VK_DEVICE"), std::getenv("CUDA_VISIBLE_DEVICES"));
}

const std::vector<host::DeviceInfo>& vulkan_devices() {
  static std::once_flag once;
  static std::vector<host::DeviceInfo> devices;
  std::call_once(once, [] {
    try {
      devices = host::list_devices();
    } catch (const std::exception&) {
      devices.clear();  // no loader / driver: the CPU path is the only one
    }
  });
  return devices;
}

}  // namespace m2vk::gpu

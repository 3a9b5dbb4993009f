// Choosing a device: the default ranking and the user's --device / M2VK_DEVICE spec.
#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "m2vk/host/device_info.hpp"
#include "m2vk/host/error.hpp"

namespace m2vk::host {
namespace {

int type_rank(const DeviceInfo& d) {
  int rank = 0;
  switch (d.type) {
    case DeviceType::DiscreteGpu:
      rank = 5;
      break;
    case DeviceType::IntegratedGpu:
      rank = 4;
      break;
    case DeviceType::VirtualGpu:
      rank = 3;
      break;
    case DeviceType::Cpu:
      rank = 2;
      break;
    case DeviceType::Other:
      rank = 1;
      break;
  }
  return d.has_compute_queue ? rank + 10 : rank;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string strip_dashes(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != '-') out += c;
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool all_hex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

[[noreturn]] void fail(const std::string& what, const std::vector<DeviceInfo>& devices) {
  std::string list = describe_devices(devices);
  if (!list.empty() && list.back() == '\n') list.pop_back();
  throw HostError(what + "; available devices:\n" + list);
}

}  // namespace

std::string describe_devices(const std::vector<DeviceInfo>& devices) {
  if (devices.empty()) return "  (none)\n";
  std::string s;
  for (const auto& d : devices)
    s += "  " + std::to_string(d.index) + ": " + d.name + " [" + std::string(device_type_name(d.type)) + "] uuid " +
         (d.uuid.empty() ? "?" : d.uuid) + "\n";
  return s;
}

std::size_t default_device_index(const std::vector<DeviceInfo>& devices) {
  if (devices.empty()) throw HostError("no Vulkan device found (install a GPU driver, or mesa-vulkan-drivers for lavapipe)");
  std::size_t best = 0;
  for (std::size_t i = 1; i < devices.size(); ++i)
    if (type_rank(devices[i]) > type_rank(devices[best])) best = i;
  return best;
}

std::size_t select_device(const std::vector<DeviceInfo>& devices, std::string_view spec_in) {
  std::string spec(spec_in);
  std::string source = "device spec";
  if (spec.empty()) {
    const char* env = std::getenv("M2VK_DEVICE");
    if (env && *env) {
      spec = env;
      source = "M2VK_DEVICE";
    }
  }
  if (spec.empty()) return default_device_index(devices);
  if (devices.empty()) fail("no Vulkan device found for " + source + " '" + spec + "'", devices);

  // Short digit strings are indices; long ones ("00000000...") are UUID prefixes.
  if (all_digits(spec) && spec.size() <= 4) {
    std::size_t index = 0;
    for (char c : spec) index = index * 10 + static_cast<std::size_t>(c - '0');
    if (index < devices.size()) return index;
    fail(source + " '" + spec + "': there is no device with index " + spec, devices);
  }

  std::string hex = lower(strip_dashes(spec));
  if (hex.size() >= 8 && all_hex(hex)) {
    std::vector<std::size_t> hits;
    for (std::size_t i = 0; i < devices.size(); ++i)
      if (strip_dashes(devices[i].uuid).rfind(hex, 0) == 0) hits.push_back(i);
    if (hits.size() == 1) return hits[0];
    if (hits.size() > 1) fail(source + " '" + spec + "': UUID prefix matches several devices; give more digits", devices);
  }

  std::string needle = lower(spec);
  std::vector<std::size_t> hits;
  for (std::size_t i = 0; i < devices.size(); ++i)
    if (lower(devices[i].name).find(needle) != std::string::npos) hits.push_back(i);
  if (hits.size() == 1) return hits[0];
  if (hits.size() > 1) fail(source + " '" + spec + "' matches several device names; use an index or a UUID", devices);
  fail(source + " '" + spec + "' matches no device (give an index, a UUID or part of a name)", devices);
}

}  // namespace m2vk::host

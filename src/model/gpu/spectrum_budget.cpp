// The default filter-spectrum budget (m2vk/gpu/spectrum_budget.hpp).
#include "m2vk/gpu/spectrum_budget.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace m2vk::gpu {
namespace {

using u64 = std::uint64_t;

std::string gib(u64 b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(b) / double(1ull << 30));
  return buf;
}

// The first number in a file ("max" or a missing file: nullopt).
std::optional<u64> read_number(const char* path) {
  std::ifstream in(path);
  u64 v = 0;
  if (in >> v) return v;
  return std::nullopt;
}

// MemAvailable from /proc/meminfo, in bytes.
std::optional<u64> mem_available() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::string key;
    u64 kb = 0;
    if (ss >> key >> kb && key == "MemAvailable:") return kb * 1024;
  }
  return std::nullopt;
}

// Limit less usage of this process's cgroup (unified hierarchy, else v1 memory controller).
std::optional<u64> cgroup_headroom() {
  for (const auto& [limit, usage] : {std::pair{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"},
                                     std::pair{"/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                               "/sys/fs/cgroup/memory/memory.usage_in_bytes"}}) {
    const auto l = read_number(limit), u = read_number(usage);
    if (l && u && *l < (1ull << 60)) return *l > *u ? *l - *u : 0;  // v1 "no limit" is a huge number
  }
  return std::nullopt;
}

}  // namespace

std::optional<u64> host_memory_available() {
  const auto avail = mem_available(), cg = cgroup_headroom();
  if (avail && cg) return std::min(*avail, *cg);
  return avail ? avail : cg;
}

SpectrumBudget default_spectrum_budget(const host::DeviceInfo& device, u64 weights_bytes, std::optional<u64> host_available) {
  constexpr u64 kFloor = 64ull << 20;  // always enough for one layer's spectra at short lengths
  SpectrumBudget b;
  u64 heap = 0;
  for (const auto& h : device.memory_heaps)
    if (h.device_local) heap = std::max(heap, h.size);
  if (device.type == host::DeviceType::Cpu && host_available) {
    b.bytes = std::max(kFloor, *host_available / 2);
    b.reason = "half of the " + gib(*host_available) + " of host memory available (a CPU device's memory is host memory)";
    return b;
  }
  const u64 reserve = heap / 4 + weights_bytes;
  b.bytes = std::max(kFloor, heap > reserve ? heap - reserve : 0);
  b.reason = "the " + gib(heap) + " device-local heap less the weights (" + gib(weights_bytes) +
             ") and a quarter kept for activations and scratch";
  if (device.type == host::DeviceType::Cpu) b.reason += " (host memory unknown)";
  return b;
}

}  // namespace m2vk::gpu

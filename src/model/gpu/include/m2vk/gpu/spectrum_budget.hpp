// How many bytes of cached Hyena filter spectra a device can keep (GpuOptions::spectrum_budget_bytes
// when the user gives none). Spectra that stay cached are built once per (filter, length); a budget
// too small for all of a length's spectra makes every pass rebuild them (a quarter of the 80M
// pass at 32k tokens), so the budget comes from the memory the device really has:
// - a CPU device (lavapipe) allocates "device memory" from the host and reports a nominal heap
//   (2 GiB whatever the machine has): half of the host memory available to this process
//   (MemAvailable, within a cgroup memory limit);
// - a GPU: its largest device-local heap less the weights and a quarter of the heap kept for
//   activations, FFT scratch and other processes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "m2vk/host/device_info.hpp"

namespace m2vk::gpu {

struct SpectrumBudget {
  std::uint64_t bytes = 0;
  std::string reason;  // the rule and its inputs, for `m2vk devices` and --profile
};

// Host memory this process may still use: MemAvailable, capped by the cgroup (v2 or v1) limit
// less its usage; nullopt where neither can be read.
std::optional<std::uint64_t> host_memory_available();

// The rule above for `device` with `weights_bytes` already on it; host_available is
// host_memory_available() (a parameter so tests can give one).
SpectrumBudget default_spectrum_budget(const host::DeviceInfo& device, std::uint64_t weights_bytes,
                                       std::optional<std::uint64_t> host_available);

}  // namespace m2vk::gpu

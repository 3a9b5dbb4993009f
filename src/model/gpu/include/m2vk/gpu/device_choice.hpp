// Which Vulkan device the GPU forward path runs on: an explicit --device spec, else M2VK_DEVICE,
// else the first GPU that CUDA_VISIBLE_DEVICES makes visible, else the runtime's default ranking.
//
// CUDA_VISIBLE_DEVICES is honoured so that schedulers which hand out NVIDIA GPUs that way (Slurm,
// Kubernetes device plugins, ...) work unchanged: "GPU-<uuid>" entries match the Vulkan deviceUUID
// (NVIDIA's Vulkan driver reports the same UUID as nvidia-smi), plain indices map to the NVIDIA
// Vulkan devices in enumeration order. The variable only restricts NVIDIA devices; it is ignored
// on machines without one. Pure functions over a device list, so tests use fake lists.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "m2vk/host/device_info.hpp"

namespace m2vk::gpu {

inline constexpr std::uint32_t kNvidiaVendorId = 0x10de;

// One parsed CUDA_VISIBLE_DEVICES entry.
struct CudaDeviceEntry {
  enum class Kind { Index, Uuid } kind = Kind::Index;
  std::size_t index = 0;  // Kind::Index
  std::string uuid_hex;   // Kind::Uuid: lowercase hex digits without dashes (a prefix is allowed)
};

// Parses the variable like the CUDA runtime does: comma-separated entries, spaces ignored;
// parsing stops at the first entry that is neither a non-negative index nor "GPU-<hex uuid>"
// (so "-1", "" and "none" make nothing visible; "MIG-..." instances have no Vulkan device).
std::vector<CudaDeviceEntry> parse_cuda_visible_devices(std::string_view text);

// Indices into `devices` of the NVIDIA devices the entries make visible, in entry order, without
// duplicates. Entries that match nothing are skipped.
std::vector<std::size_t> cuda_visible_vulkan_devices(const std::vector<host::DeviceInfo>& devices,
                                                     const std::vector<CudaDeviceEntry>& entries);

struct DeviceChoice {
  std::size_t index = 0;  // into the device list
  std::string reason;     // "--device 'llvmpipe'", "CUDA_VISIBLE_DEVICES", "default ranking", ...
};

// The rule above. `spec`: the explicit choice ("" = none; index, UUID or name substring as in
// host::select_device). `m2vk_device` / `cuda_visible`: the variables' values (nullptr = unset).
// Returns nullopt when no device can be used (none at all, or CUDA_VISIBLE_DEVICES hides every
// NVIDIA device and nothing else exists) and no explicit choice was made; throws
// host::HostError for an explicit spec that matches nothing (listing the devices).
std::optional<DeviceChoice> choose_device(const std::vector<host::DeviceInfo>& devices, std::string_view spec,
                                          const char* m2vk_device, const char* cuda_visible);

// The same with the process environment.
std::optional<DeviceChoice> choose_device_from_env(const std::vector<host::DeviceInfo>& devices,
                                                   std::string_view spec);

// Every Vulkan device, or an empty list when there is no Vulkan loader or driver at all (cached
// after the first call: enumerating creates an instance).
const std::vector<host::DeviceInfo>& vulkan_devices();

}  // namespace m2vk::gpu

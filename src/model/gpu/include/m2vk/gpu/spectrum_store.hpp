// Filter spectra kept on disk between processes. A spectrum is a pure function of a Hyena
// filter's weights, the FFT size and the kernels that built it; on a CPU device (lavapipe)
// building the 24 of the 80M models costs a first pass at a new length 0.6-8 s, which every fresh
// `m2vk embed` process paid again. Reading them back costs a fraction of that (a file read and a
// copy), so each process after the first at a length starts where the first left off, the way a
// pipeline cache does for compiled kernels.
//
// One file per spectrum (`<hash>.spectrum` in the store's folder), keyed by everything its bytes
// depend on: the device (UUID, driver, subgroup size), the shipped kernels (kernels_identity()),
// the filter's weights (a hash of their values), and the spectrum's own shape (backend, plan,
// channels, filter length, direction). A file read back is therefore bit for bit what this device
// would compute. Files are written atomically (temporary file + rename) with a hash of their
// payload; a missing, foreign, truncated or corrupt file is skipped (and a corrupt one removed),
// never an error. The folder's total size stays within a cap, least recently used files removed
// first; an FFT size whose whole set of spectra would not fit is not stored at all (storing part
// of it would only churn the folder).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "m2vk/ops/fft_conv.hpp"

namespace m2vk::host {
class Context;
struct DeviceInfo;
}  // namespace m2vk::host

namespace m2vk::gpu {

// What one stored spectrum is: the filter it was built from and its shape.
struct SpectrumId {
  std::string filter;    // the filter's weights hash (hex) and name, e.g. "3f..e1 layer0.filter_fn"
  ops::FftBackend backend = ops::FftBackend::Ours;
  ops::FftPlan plan;     // VkFFT spectra: n only
  std::uint32_t channels = 0;
  std::uint32_t len = 0;  // filter length
  bool bidirectional = false;
  std::string text() const;  // canonical one-line form (part of the file's key)
};

// Counters of one store over a process (for --profile and the benchmarks).
struct SpectrumStoreStats {
  std::size_t read = 0, written = 0, skipped = 0;  // skipped: not stored (cap, disk space, I/O error)
  std::uint64_t read_bytes = 0, written_bytes = 0;
  double read_ms = 0.0, write_ms = 0.0;
  std::string last_skip;  // why the last skipped write was skipped
};

// The default cap of the spectrum files, and why: 4 GiB on a CPU device (building spectra there
// takes seconds, reading them a fraction), off on a GPU (building them there takes milliseconds,
// less than reading and uploading them); M2VK_SPECTRUM_CACHE_MB, when set, overrides both (0 = off).
struct SpectrumStoreDefault {
  std::uint64_t bytes = 0;
  std::string reason;
};
SpectrumStoreDefault default_spectrum_store(const host::DeviceInfo& info);

// The device part of every key: UUID, driver version and info, subgroup size.
std::string spectrum_device_identity(const host::DeviceInfo& info);

// 64-bit hash (XXH3) of a byte range, as 16 hex digits; `seed` chains several ranges.
std::uint64_t hash_bytes(const void* data, std::size_t bytes, std::uint64_t seed = 0);
std::string hex64(std::uint64_t v);

class SpectrumStore {
 public:
  // `identity`: spectrum_device_identity() plus anything else every key shares (the kernels).
  SpectrumStore(std::filesystem::path dir, std::uint64_t max_bytes, std::string identity);

  const std::filesystem::path& dir() const { return dir_; }
  std::uint64_t max_bytes() const { return max_bytes_; }
  const SpectrumStoreStats& stats() const { return stats_; }

  // The stored spectrum for `id`, uploaded into a new device buffer; null when none is stored or
  // its file is unusable. Throws only what the device throws (out of memory).
  std::shared_ptr<ops::FilterSpectrum> load(host::Context& ctx, const SpectrumId& id);
  // Stores `s` (built for `id`) unless `group_bytes`, the size of every spectrum of its FFT size
  // together, exceeds the cap or the disk lacks room; evicts least recently used files to stay
  // within the cap. Returns "" when stored, else why not (also counted in stats().skipped).
  std::string save(host::Context& ctx, const SpectrumId& id, const ops::FilterSpectrum& s, std::uint64_t group_bytes);

  // The file that holds `id`.
  std::filesystem::path path_for(const SpectrumId& id) const;

 private:
  std::string key(const SpectrumId& id) const;
  void evict_for(std::uint64_t incoming);

  std::filesystem::path dir_;
  std::uint64_t max_bytes_;
  std::string identity_;
  SpectrumStoreStats stats_;
};

}  // namespace m2vk::gpu

// Host-side cache of evaluated Hyena filters: float32 (H, L) values of one filter direction per
// (layer, filter, length), evaluated with the CPU reference's double-precision implicit MLP
// (src/ref, architecture doc 7.2: evaluate filters in at least float32) and kept within a byte
// budget so that spectra evicted from the device can be rebuilt without re-running the MLP.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "m2vk/config.hpp"
#include "m2vk/weights.hpp"

namespace m2vk::gpu {

struct FilterValues {
  std::int64_t channels = 0, length = 0;
  std::vector<float> fwd;  // (H, L)
  std::vector<float> rev;  // (H, L); empty for causal filters
  std::uint64_t bytes() const { return (fwd.size() + rev.size()) * sizeof(float); }
};

class FilterBank {
 public:
  explicit FilterBank(std::uint64_t budget_bytes) : budget_(budget_bytes) {}
  // The values of `filter` for `length` (cached under `key`); throws std::invalid_argument when
  // length exceeds the filter table.
  std::shared_ptr<const FilterValues> get(const std::string& key, const HyenaFilterWeights& filter, double w_mod,
                                          std::int64_t length);
  std::uint64_t bytes() const { return bytes_; }

 private:
  struct Entry {
    std::string key;
    std::int64_t length;
    std::shared_ptr<const FilterValues> values;
  };
  std::uint64_t budget_;
  std::uint64_t bytes_ = 0;
  std::list<Entry> entries_;  // front = most recently used
};

}  // namespace m2vk::gpu

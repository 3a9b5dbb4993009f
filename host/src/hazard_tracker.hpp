// Internal: decides when a barrier is needed between recorded commands. Tracks the byte ranges
// read and written since the last barrier; a new command that reads something written (RAW),
// or writes something read or written (WAR, WAW), needs a barrier first. Independent commands
// (disjoint ranges, or only reads) run without one.
#pragma once

#include <vulkan/vulkan.h>

#include <span>
#include <unordered_map>
#include <vector>

#include "m2vk/host/recorder.hpp"

namespace m2vk::host::detail {

class HazardTracker {
 public:
  // True when `accesses` conflict with what was recorded since the last barrier.
  bool needs_barrier(std::span<const Binding> accesses) const;
  // Records the accesses of a command that was just recorded.
  void add(std::span<const Binding> accesses);
  // A barrier was recorded: everything before it is complete and visible.
  void clear() {
    reads_.clear();
    writes_.clear();
  }

 private:
  struct Span {
    VkDeviceSize lo, hi;
  };
  using Map = std::unordered_map<VkBuffer, std::vector<Span>>;
  static bool overlaps(const Map& m, const BufferRange& r);
  Map reads_, writes_;
};

}  // namespace m2vk::host::detail

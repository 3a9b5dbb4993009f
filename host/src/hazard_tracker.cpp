#include "hazard_tracker.hpp"

namespace m2vk::host::detail {

bool HazardTracker::overlaps(const Map& m, const BufferRange& r) {
  auto it = m.find(r.buffer);
  if (it == m.end()) return false;
  for (const Span& s : it->second)
    if (r.offset < s.hi && s.lo < r.offset + r.size) return true;
  return false;
}

bool HazardTracker::needs_barrier(std::span<const Binding> accesses) const {
  for (const Binding& b : accesses) {
    if (overlaps(writes_, b.range)) return true;  // RAW or WAW
    if (b.access != Access::Read && overlaps(reads_, b.range)) return true;  // WAR
  }
  return false;
}

void HazardTracker::add(std::span<const Binding> accesses) {
  for (const Binding& b : accesses) {
    Span s{b.range.offset, b.range.offset + b.range.size};
    if (b.access != Access::Write) reads_[b.range.buffer].push_back(s);
    if (b.access != Access::Read) writes_[b.range.buffer].push_back(s);
  }
}

}  // namespace m2vk::host::detail

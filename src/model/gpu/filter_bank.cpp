// Host filter cache (see filter_bank.hpp).
#include "filter_bank.hpp"

#include "m2vk/ref/mixer_ops.hpp"

namespace m2vk::gpu {

std::shared_ptr<const FilterValues> FilterBank::get(const std::string& key, const HyenaFilterWeights& filter,
                                                    double w_mod, std::int64_t length) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->key == key && it->length == length) {
      entries_.splice(entries_.begin(), entries_, it);
      return entries_.front().values;
    }
  }
  auto v = std::make_shared<FilterValues>();
  v->length = length;
  v->channels = filter.fwd.w6.shape.at(0);
  const std::vector<double> f = ref::hyena_filter(filter, filter.fwd, w_mod, length);
  v->fwd.assign(f.begin(), f.end());
  if (filter.rev) {
    const std::vector<double> r = ref::hyena_filter(filter, *filter.rev, w_mod, length);
    v->rev.assign(r.begin(), r.end());
  }
  bytes_ += v->bytes();
  entries_.push_front(Entry{key, length, v});
  while (bytes_ > budget_ && entries_.size() > 1) {
    bytes_ -= entries_.back().values->bytes();
    entries_.pop_back();
  }
  return v;
}

}  // namespace m2vk::gpu

// parallel_for: splits [0, n) into contiguous chunks over a few std::threads. The reference path
// uses it for independent rows / channels only, so results do not depend on the thread count.
#pragma once

#include <algorithm>
#include <cstdint>
#include <exception>
#include <thread>
#include <vector>

namespace m2vk::ref {

// Threads to use: hardware concurrency capped at 8 (the reference path is not the fast path).
inline int64_t worker_count() {
  const unsigned hc = std::thread::hardware_concurrency();
  return std::clamp<int64_t>(hc == 0 ? 1 : hc, 1, 8);
}

// Calls fn(begin, end) on disjoint chunks covering [0, n). Work below `min_chunk` items per thread
// runs inline. The first exception thrown by a chunk is rethrown after all threads joined.
template <typename Fn>
void parallel_for(int64_t n, int64_t min_chunk, Fn&& fn) {
  if (n <= 0) return;
  const int64_t threads = std::min<int64_t>(worker_count(), std::max<int64_t>(1, n / std::max<int64_t>(1, min_chunk)));
  if (threads <= 1) {
    fn(int64_t{0}, n);
    return;
  }
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(static_cast<size_t>(threads));
  const int64_t chunk = (n + threads - 1) / threads;
  for (int64_t t = 0; t < threads; ++t) {
    const int64_t b = t * chunk, e = std::min(n, b + chunk);
    if (b >= e) break;
    pool.emplace_back([&, t, b, e] {
      try {
        fn(b, e);
      } catch (...) {
        errors[static_cast<size_t>(t)] = std::current_exception();
      }
    });
  }
  for (auto& th : pool) th.join();
  for (auto& err : errors)
    if (err) std::rethrow_exception(err);
}

}  // namespace m2vk::ref

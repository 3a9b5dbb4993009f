// The server's Prometheus metrics (text exposition format 0.0.4), updated by the HTTP threads and
// the inference worker, rendered by GET /metrics.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace m2vk::server {

// Cumulative histogram with fixed upper bounds (Prometheus `le` buckets).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  // `name_bucket{le=...}`, `name_sum`, `name_count` lines.
  void render(std::string& out, const std::string& name) const;
  std::uint64_t count() const { return count_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;  // per bucket, not cumulative; last = +Inf
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

class Metrics {
 public:
  Metrics();
  void count_request(const std::string& route, int status);
  void add_tokens(std::int64_t real_tokens, std::int64_t inputs);
  void set_queue_depth(std::size_t rows);
  void set_in_flight(std::size_t requests);
  void observe_queue_time(double seconds);
  void observe_batch(std::int64_t rows, std::int64_t padded_tokens, double seconds);
  void observe_failed_batch();
  std::string render() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;
  std::uint64_t tokens_ = 0, inputs_ = 0, failed_batches_ = 0;
  std::size_t queue_depth_ = 0, in_flight_ = 0;
  Histogram queue_seconds_, inference_seconds_, batch_rows_, batch_tokens_;
};

}  // namespace m2vk::server

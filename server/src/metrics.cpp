#include "metrics.hpp"

#include <cmath>
#include <cstdio>

namespace m2vk::server {

namespace {

std::string number(double v) {
  if (std::isinf(v)) return "+Inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double v) {
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += v;
  ++count_;
}

void Histogram::render(std::string& out, const std::string& name) const {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i];
    const double le = i < bounds_.size() ? bounds_[i] : INFINITY;
    out += name + "_bucket{le=\"" + number(le) + "\"} " + std::to_string(cumulative) + "\n";
  }
  out += name + "_sum " + number(sum_) + "\n" + name + "_count " + std::to_string(count_) + "\n";
}

Metrics::Metrics()
    : queue_seconds_({0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60}),
      inference_seconds_({0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300}),
      batch_rows_({1, 2, 4, 8, 16, 32, 64, 128}),
      batch_tokens_({128, 512, 2048, 8192, 32768, 131072, 524288}) {}

void Metrics::count_request(const std::string& route, int status) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{route, status}];
}

void Metrics::add_tokens(std::int64_t real_tokens, std::int64_t inputs) {
  std::lock_guard<std::mutex> lock(mutex_);
  tokens_ += static_cast<std::uint64_t>(real_tokens);
  inputs_ += static_cast<std::uint64_t>(inputs);
}

void Metrics::set_queue_depth(std::size_t rows) {
  std::lock_guard<std::mutex> lock(mutex_);
  queue_depth_ = rows;
}

void Metrics::set_in_flight(std::size_t requests) {
  std::lock_guard<std::mutex> lock(mutex_);
  in_flight_ = requests;
}

void Metrics::observe_queue_time(double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  queue_seconds_.observe(seconds);
}

void Metrics::observe_batch(std::int64_t rows, std::int64_t padded_tokens, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  batch_rows_.observe(static_cast<double>(rows));
  batch_tokens_.observe(static_cast<double>(padded_tokens));
  inference_seconds_.observe(seconds);
}

void Metrics::observe_failed_batch() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++failed_batches_;
}

std::string Metrics::render() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  header(out, "m2vk_requests_total", "counter", "HTTP requests answered, by route and status.");
  for (const auto& [key, n] : requests_)
    out += "m2vk_requests_total{route=\"" + key.first + "\",status=\"" + std::to_string(key.second) + "\"} " +
           std::to_string(n) + "\n";
  header(out, "m2vk_input_tokens_total", "counter", "Real (unpadded) tokens of the inputs accepted for inference.");
  out += "m2vk_input_tokens_total " + std::to_string(tokens_) + "\n";
  header(out, "m2vk_inputs_total", "counter", "Inputs (texts or token arrays) accepted for inference.");
  out += "m2vk_inputs_total " + std::to_string(inputs_) + "\n";
  header(out, "m2vk_queue_depth", "gauge", "Inputs waiting for a forward pass.");
  out += "m2vk_queue_depth " + std::to_string(queue_depth_) + "\n";
  header(out, "m2vk_requests_in_flight", "gauge", "Requests being handled.");
  out += "m2vk_requests_in_flight " + std::to_string(in_flight_) + "\n";
  header(out, "m2vk_failed_batches_total", "counter", "Forward passes that raised an error.");
  out += "m2vk_failed_batches_total " + std::to_string(failed_batches_) + "\n";
  header(out, "m2vk_queue_seconds", "histogram", "Time from a request's queueing to the start of its first pass.");
  queue_seconds_.render(out, "m2vk_queue_seconds");
  header(out, "m2vk_inference_seconds", "histogram", "Wall time of each forward pass.");
  inference_seconds_.render(out, "m2vk_inference_seconds");
  header(out, "m2vk_batch_size", "histogram", "Inputs per forward pass.");
  batch_rows_.render(out, "m2vk_batch_size");
  header(out, "m2vk_batch_tokens", "histogram", "Padded tokens (inputs x padded length) per forward pass.");
  batch_tokens_.render(out, "m2vk_batch_tokens");
  return out;
}

}  // namespace m2vk::server

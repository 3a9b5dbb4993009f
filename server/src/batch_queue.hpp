// The dynamic batcher: requests queue their tokenized rows; one worker thread groups rows of
// several requests into forward passes bounded by a padded-token budget and a row count, runs
// them, and hands each request its rows' outputs. HTTP threads never run the model.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "m2vk/model.hpp"
#include "metrics.hpp"

namespace m2vk::server {

// One input, tokenized: ids with [CLS]/[SEP] as the model sees them, unpadded.
using Row = TokenRow;

// The outputs of one request's rows, in row order.
struct RowOutputs {
  std::vector<std::vector<float>> pooled;  // (H) per row; empty without a pooler
  std::vector<std::vector<float>> logits;  // (C) per row; empty without a classifier
};

struct BatchLimits {
  PaddingMode padding = PaddingMode::MaxLength;
  int64_t padded_length = 0;  // MaxLength: every row padded to this
  int64_t max_batch_tokens = 16384;
  int64_t max_batch_rows = 32;
};

class BatchQueue {
 public:
  BatchQueue(const Model& model, BatchLimits limits, Metrics& metrics,
             std::function<void(const Batch&)> before_forward);
  ~BatchQueue();  // drains, then joins the worker

  // Queues the rows; the future holds the outputs or the forward pass's exception.
  std::future<RowOutputs> submit(std::vector<Row> rows);
  // Runs what is queued, then stops the worker.
  void drain();
  // One forward pass of `rows` on the calling thread (warm-up, before serving starts).
  RowOutputs run_now(const std::vector<Row>& rows);

 private:
  struct Job;
  void worker_loop();
  // Picks the next pass's rows (front of the queue first) within the limits.
  std::vector<std::pair<std::shared_ptr<Job>, size_t>> take_batch(std::unique_lock<std::mutex>& lock);
  Batch make_batch(const std::vector<const Row*>& rows) const;

  const Model& model_;
  BatchLimits limits_;
  Metrics& metrics_;
  std::function<void(const Batch&)> before_forward_;

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;  // jobs with rows not yet taken
  std::size_t queued_rows_ = 0;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace m2vk::server

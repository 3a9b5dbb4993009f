#include "batch_queue.hpp"

#include <algorithm>
#include <stdexcept>

namespace m2vk::server {

using Clock = std::chrono::steady_clock;

struct BatchQueue::Job {
  std::vector<Row> rows;
  RowOutputs out;
  std::promise<RowOutputs> promise;
  std::size_t next = 0;       // first row not yet taken into a pass
  std::size_t remaining = 0;  // rows not yet computed
  bool failed = false;
  Clock::time_point queued_at = Clock::now();
};

BatchQueue::BatchQueue(const Model& model, BatchLimits limits, Metrics& metrics,
                       std::function<void(const Batch&)> before_forward)
    : model_(model), limits_(limits), metrics_(metrics), before_forward_(std::move(before_forward)) {
  if (limits_.max_batch_rows < 1) throw std::invalid_argument("max_batch_requests must be at least 1");
  if (limits_.max_batch_tokens < 1) throw std::invalid_argument("max_batch_tokens must be at least 1");
  worker_ = std::thread([this] { worker_loop(); });
}

BatchQueue::~BatchQueue() {
  drain();
  if (worker_.joinable()) worker_.join();
}

std::future<RowOutputs> BatchQueue::submit(std::vector<Row> rows) {
  auto job = std::make_shared<Job>();
  job->remaining = rows.size();
  job->rows = std::move(rows);
  job->out.pooled.resize(job->rows.size());
  job->out.logits.resize(job->rows.size());
  auto future = job->promise.get_future();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) throw std::runtime_error("the server is shutting down");
    queued_rows_ += job->rows.size();
    metrics_.set_queue_depth(queued_rows_);
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
  return future;
}

void BatchQueue::drain() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable() && worker_.get_id() != std::this_thread::get_id()) worker_.join();
}

Batch BatchQueue::make_batch(const std::vector<const Row*>& rows) const {
  int64_t L = limits_.padded_length;
  if (limits_.padding == PaddingMode::Longest) {
    L = 1;
    for (const Row* r : rows) L = std::max<int64_t>(L, static_cast<int64_t>(r->ids.size()));
  }
  return Batch::pack(rows, L, static_cast<int32_t>(model_.config().pad_token_id));
}

namespace {

void copy_outputs(const ForwardResult& out, int64_t row, std::vector<float>& pooled, std::vector<float>& logits) {
  if (!out.pooled.empty()) {
    const int64_t H = out.pooled.shape.at(1);
    pooled.assign(out.pooled.ptr() + row * H, out.pooled.ptr() + (row + 1) * H);
  }
  if (!out.logits.empty()) {
    const int64_t C = out.logits.shape.at(1);
    logits.assign(out.logits.ptr() + row * C, out.logits.ptr() + (row + 1) * C);
  }
}

}  // namespace

RowOutputs BatchQueue::run_now(const std::vector<Row>& rows) {
  std::vector<const Row*> ptrs;
  for (const Row& r : rows) ptrs.push_back(&r);
  const Batch batch = make_batch(ptrs);
  const ForwardResult out = model_.forward(batch);
  RowOutputs o;
  o.pooled.resize(rows.size());
  o.logits.resize(rows.size());
  for (std::size_t r = 0; r < rows.size(); ++r) copy_outputs(out, static_cast<int64_t>(r), o.pooled[r], o.logits[r]);
  return o;
}

std::vector<std::pair<std::shared_ptr<BatchQueue::Job>, size_t>> BatchQueue::take_batch(
    std::unique_lock<std::mutex>&) {
  std::vector<std::pair<std::shared_ptr<Job>, size_t>> picked;
  int64_t longest = 0;
  while (!queue_.empty() && static_cast<int64_t>(picked.size()) < limits_.max_batch_rows) {
    const std::shared_ptr<Job>& job = queue_.front();
    const Row& row = job->rows[job->next];
    const int64_t len = limits_.padding == PaddingMode::MaxLength ? limits_.padded_length
                                                                  : static_cast<int64_t>(row.ids.size());
    const int64_t L = std::max(longest, len);
    // Padded tokens of the pass with this row added; the first row always goes.
    if (!picked.empty() && L * static_cast<int64_t>(picked.size() + 1) > limits_.max_batch_tokens) break;
    longest = L;
    picked.emplace_back(job, job->next);
    if (++job->next == job->rows.size()) queue_.pop_front();
  }
  queued_rows_ -= picked.size();
  metrics_.set_queue_depth(queued_rows_);
  return picked;
}

void BatchQueue::worker_loop() {
  for (;;) {
    std::vector<std::pair<std::shared_ptr<Job>, size_t>> picked;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      picked = take_batch(lock);
    }
    // Rows of a request that already failed in an earlier pass are not run.
    std::vector<const Row*> rows;
    std::vector<std::pair<std::shared_ptr<Job>, size_t>> live;
    for (auto& [job, r] : picked) {
      if (job->failed) continue;
      rows.push_back(&job->rows[r]);
      live.emplace_back(job, r);
    }
    if (rows.empty()) continue;
    const auto start = Clock::now();
    for (auto& [job, r] : live)
      if (r == 0) metrics_.observe_queue_time(std::chrono::duration<double>(start - job->queued_at).count());
    const Batch batch = make_batch(rows);
    try {
      if (before_forward_) before_forward_(batch);
      const ForwardResult out = model_.forward(batch);
      metrics_.observe_batch(static_cast<int64_t>(rows.size()), batch.batch * batch.length,
                             std::chrono::duration<double>(Clock::now() - start).count());
      for (std::size_t i = 0; i < live.size(); ++i) {
        auto& [job, r] = live[i];
        copy_outputs(out, static_cast<int64_t>(i), job->out.pooled[r], job->out.logits[r]);
        if (--job->remaining == 0) job->promise.set_value(std::move(job->out));
      }
    } catch (...) {
      metrics_.observe_failed_batch();
      const std::exception_ptr error = std::current_exception();
      for (auto& [job, r] : live) {
        if (job->failed) continue;
        job->failed = true;
        job->promise.set_exception(error);
      }
    }
  }
}

}  // namespace m2vk::server

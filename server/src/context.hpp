// What the route handlers share: the model, the options, the batcher, the metrics and the
// in-flight accounting, plus the per-API error shapes.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "batch_queue.hpp"
#include "inputs.hpp"
#include "m2vk/server/server.hpp"
#include "metrics.hpp"

namespace m2vk::server {

// An error the handler answers with: HTTP status, message, the field at fault, and a kind that
// each API spells its own way.
enum class ErrorKind { Validation, Auth, Overloaded, Unavailable, TooLarge, NotFound, Backend };

struct ApiError {
  int status;
  ErrorKind kind;
  std::string message;
  std::string param;
};

// Writes `e` as the API's error body.
using ErrorWriter = std::function<void(httplib::Response&, const ApiError&)>;

struct ServerContext {
  const Model& model;
  ServerOptions options;
  Metrics metrics;
  std::unique_ptr<BatchQueue> queue;
  int64_t serving_length = 0;  // MaxLength padding length, and the per-input token limit

  std::mutex mutex;
  std::condition_variable idle;
  std::size_t in_flight = 0;
  bool draining = false;

  ServerContext(const Model& m, ServerOptions o) : model(m), options(std::move(o)) {}

  // Runs an inference route's handler: 503 while draining, 429 beyond max_concurrent_requests,
  // RequestError -> 400/422 (`validation_status`), anything else -> 500; counts the request.
  void handle(const std::string& route, int validation_status, const ErrorWriter& write_error,
              const httplib::Request& req, httplib::Response& res,
              const std::function<void(const httplib::Request&, httplib::Response&)>& fn);
  // The outputs of `rows`, computed by the batcher (blocks this HTTP thread).
  RowOutputs infer(std::vector<Row> rows);
  Truncation truncation(bool enabled, bool from_left) const { return {enabled, from_left, serving_length}; }
};

void add_openai_routes(httplib::Server& http, ServerContext& ctx);
void add_tei_routes(httplib::Server& http, ServerContext& ctx);
void write_openai_error(httplib::Response& res, const ApiError& e);
void write_tei_error(httplib::Response& res, const ApiError& e);

}  // namespace m2vk::server

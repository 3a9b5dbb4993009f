// m2vk's embedding server: OpenAI (/v1/embeddings, /v1/models) and Hugging Face TEI (/embed,
// /predict, /tokenize, /health, /info, /metrics) routes over one loaded m2vk::Model.
//
//   m2vk::server::Server s(model, options);
//   s.warm_up();             // filters, spectra and pipelines for the serving length
//   int port = s.bind();     // options.port, or a free port when it is 0
//   s.run();                 // blocks until shutdown() has drained the queue
//
// HTTP threads parse, validate and tokenize; one inference worker groups the queued rows of all
// requests into forward passes (batch_queue.hpp). The library never prints: the log callback
// receives one line per request and event.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "m2vk/model.hpp"

namespace m2vk::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                     // 0: any free port (bind() says which)
  std::string model_name;              // the name clients see; default: the model folder's name
  PaddingMode padding = PaddingMode::MaxLength;
  std::optional<int64_t> max_length;   // serving length (MaxLength) / truncation limit; default l_max
  // One forward pass holds at most this many padded tokens (rows x padded length) and rows; a
  // row longer than the budget runs alone.
  int64_t max_batch_tokens = 16384;
  int64_t max_batch_requests = 32;
  std::size_t max_client_batch_size = 64;     // inputs in one request
  std::size_t max_concurrent_requests = 128;  // in flight at once; beyond: 429 + Retry-After
  std::size_t payload_limit = 2000000;        // request body bytes; beyond: 413
  std::string api_key;                        // non-empty: Bearer token required but on /health
  std::function<void(const std::string&)> log;  // one line per request / event
  // Test seam: called by the inference worker before each forward pass with the batch's inputs'
  // first tokens; throwing fails that batch's requests (500) and only them.
  std::function<void(const Batch&)> before_forward;
};

class Server {
 public:
  // `model` must outlive the server. Throws std::invalid_argument naming a bad option.
  Server(const Model& model, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // One forward pass at the serving length, so the first request pays no set-up.
  void warm_up();
  // Binds the listening socket; returns the port. Throws std::runtime_error when it cannot.
  int bind();
  // Serves until shutdown() has drained; returns then.
  void run();
  // Stops accepting requests (new ones get 503), lets queued and running ones finish, then makes
  // run() return. Safe to call from any thread, more than once.
  void shutdown();

  const ServerOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace m2vk::server

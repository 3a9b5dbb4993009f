#include "m2vk/server/server.hpp"

#include <sys/socket.h>
#include <stdexcept>

#include "context.hpp"

namespace m2vk::server {

void ServerContext::handle(const std::string& route, int validation_status, const ErrorWriter& write_error,
                           const httplib::Request& req, httplib::Response& res,
                           const std::function<void(const httplib::Request&, httplib::Response&)>& fn) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (draining) {
      write_error(res, {503, ErrorKind::Unavailable, "the server is shutting down", ""});
      metrics.count_request(route, res.status);
      return;
    }
    if (in_flight >= options.max_concurrent_requests) {
      res.set_header("Retry-After", "1");
      write_error(res, {429, ErrorKind::Overloaded,
                        "more than " + std::to_string(options.max_concurrent_requests) +
                            " requests in flight (--max-concurrent-requests); retry later",
                        ""});
      metrics.count_request(route, res.status);
      return;
    }
    metrics.set_in_flight(++in_flight);
  }
  // Released however the handler ends, so shutdown() never waits for a request that is gone.
  struct InFlight {
    ServerContext& ctx;
    ~InFlight() {
      std::lock_guard<std::mutex> lock(ctx.mutex);
      ctx.metrics.set_in_flight(--ctx.in_flight);
      if (ctx.in_flight == 0) ctx.idle.notify_all();
    }
  } in_flight_guard{*this};
  try {
    fn(req, res);
  } catch (const RequestError& e) {
    write_error(res, {validation_status, ErrorKind::Validation, e.what(), e.param});
  } catch (const std::exception& e) {
    write_error(res, {500, ErrorKind::Backend, std::string("inference failed: ") + e.what(), ""});
  }
  metrics.count_request(route, res.status == -1 ? 200 : res.status);  // -1: httplib's "200 once sent"
}

RowOutputs ServerContext::infer(std::vector<Row> rows) {
  int64_t tokens = 0;
  for (const Row& r : rows) tokens += static_cast<int64_t>(r.ids.size());
  metrics.add_tokens(tokens, static_cast<int64_t>(rows.size()));
  return queue->submit(std::move(rows)).get();
}

struct Server::Impl {
  ServerContext ctx;
  httplib::Server http;
  int listen_fd = -1;  // the listening socket, once bound
  Impl(const Model& model, ServerOptions options) : ctx(model, std::move(options)) {}
};

namespace {

bool is_openai_path(const std::string& path) { return path.rfind("/v1/", 0) == 0; }

}  // namespace

Server::Server(const Model& model, ServerOptions options) : impl_(std::make_unique<Impl>(model, std::move(options))) {
  ServerContext& ctx = impl_->ctx;
  const ServerOptions& o = ctx.options;
  if (o.max_concurrent_requests < 1) throw std::invalid_argument("max_concurrent_requests must be at least 1");
  if (o.max_client_batch_size < 1) throw std::invalid_argument("max_client_batch_size must be at least 1");
  if (o.payload_limit < 1) throw std::invalid_argument("payload_limit must be at least 1 byte");
  const int64_t limit = model.max_length();
  if (o.max_length && (*o.max_length < 2 || *o.max_length > limit))
    throw std::invalid_argument("max_length " + std::to_string(*o.max_length) + " is outside [2, " +
                                std::to_string(limit) + "] (the model's l_max)");
  ctx.serving_length = o.max_length.value_or(limit);
  if (ctx.options.model_name.empty()) ctx.options.model_name = "m2vk";
  BatchLimits bl;
  bl.padding = o.padding;
  bl.padded_length = ctx.serving_length;
  bl.max_batch_tokens = o.max_batch_tokens;
  bl.max_batch_rows = o.max_batch_requests;
  ctx.queue = std::make_unique<BatchQueue>(model, bl, ctx.metrics, o.before_forward);

  httplib::Server& http = impl_->http;
  // One HTTP thread per request that may be in flight, plus a few for the ones answered 429/503
  // and the cheap routes: a request beyond the limit is answered, not left in the accept queue.
  const std::size_t threads = o.max_concurrent_requests + 8;
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_payload_max_length(o.payload_limit);
  // Headers and body leave in separate writes: without TCP_NODELAY, Nagle's algorithm and the
  // client's delayed ACK add ~40 ms to every keep-alive response.
  http.set_tcp_nodelay(true);
  // httplib closes a keep-alive connection after 5 requests by default, and its listen backlog is
  // 5: many clients reconnecting at once overflow it, and the kernel's SYN retries cost them 1-3 s.
  http.set_keep_alive_max_count(100000);
  http.set_pre_routing_handler([&ctx](const httplib::Request& req, httplib::Response& res) {
    if (ctx.options.api_key.empty() || req.path == "/health") return httplib::Server::HandlerResponse::Unhandled;
    if (req.get_header_value("Authorization") == "Bearer " + ctx.options.api_key)
      return httplib::Server::HandlerResponse::Unhandled;
    const ApiError e{401, ErrorKind::Auth, "missing or wrong API key (Authorization: Bearer KEY)", ""};
    is_openai_path(req.path) ? write_openai_error(res, e) : write_tei_error(res, e);
    ctx.metrics.count_request(req.path, 401);
    return httplib::Server::HandlerResponse::Handled;
  });
  // Errors httplib answers itself (413 body too large, 404 unknown route, 400 bad request line)
  // get the JSON body of the API the path belongs to.
  http.set_error_handler(httplib::Server::HandlerWithResponse([&ctx](const httplib::Request& req,
                                                                      httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    ApiError e{res.status, ErrorKind::Validation, "bad request", ""};
    if (res.status == 413) {
      e = {413, ErrorKind::TooLarge,
           "the request body is larger than " + std::to_string(ctx.options.payload_limit) + " bytes (--payload-limit)",
           ""};
    } else if (res.status == 404) {
      e = {404, ErrorKind::NotFound, "no route " + req.method + " " + req.path, ""};
    }
    is_openai_path(req.path) ? write_openai_error(res, e) : write_tei_error(res, e);
    ctx.metrics.count_request(req.path, res.status);
    return httplib::Server::HandlerResponse::Handled;
  }));
  if (o.log)
    http.set_logger([&ctx](const httplib::Request& req, const httplib::Response& res) {
      ctx.options.log(req.method + " " + req.path + " " + std::to_string(res.status) + " " +
                      std::to_string(req.body.size()) + "B in, " + std::to_string(res.body.size()) + "B out");
    });
  add_openai_routes(http, ctx);
  add_tei_routes(http, ctx);
}

Server::~Server() {
  shutdown();
  impl_->ctx.queue.reset();
}

void Server::warm_up() {
  // The longest row the server will run: MaxLength pads every row to it anyway; with Longest
  // padding a short row builds the pipelines without paying for a long pass.
  ServerContext& ctx = impl_->ctx;
  const auto& tk = ctx.model.tokenizer();
  Row row;
  row.ids = {tk.cls_id(), tk.sep_id()};
  row.type_ids = {0, 0};
  ctx.queue->run_now({row});
}

int Server::bind() {
  ServerContext& ctx = impl_->ctx;
  // Debian's httplib listens with a backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG is compiled into the
  // library): a burst of new connections overflows the accept queue and clients see resets. Keep
  // the listening socket and listen again with the system's deepest backlog.
  // (The callback outlives this call inside httplib, so it writes to the Impl, not to a local.)
  int& listen_fd = impl_->listen_fd;
  impl_->http.set_socket_options([&listen_fd](socket_t fd) {
    httplib::default_socket_options(fd);
    listen_fd = static_cast<int>(fd);
  });
  int port = ctx.options.port;
  if (port == 0) {
    port = impl_->http.bind_to_any_port(ctx.options.host);
  } else if (!impl_->http.bind_to_port(ctx.options.host, port)) {
    port = -1;
  }
  if (port <= 0)
    throw std::runtime_error("cannot listen on " + ctx.options.host + ":" + std::to_string(ctx.options.port) +
                             " (address in use, or not an address of this machine)");
  if (listen_fd >= 0 && ::listen(listen_fd, SOMAXCONN) != 0)  // Linux: resizes a listening socket's queue
    throw std::runtime_error("cannot set the listen backlog on " + ctx.options.host + ":" + std::to_string(port));
  ctx.options.port = port;
  return port;
}

void Server::run() { impl_->http.listen_after_bind(); }

void Server::shutdown() {
  ServerContext& ctx = impl_->ctx;
  {
    std::unique_lock<std::mutex> lock(ctx.mutex);
    if (!ctx.draining) {
      ctx.draining = true;
      if (ctx.options.log) ctx.options.log("shutting down: finishing " + std::to_string(ctx.in_flight) + " requests");
    }
    ctx.idle.wait(lock, [&] { return ctx.in_flight == 0; });
  }
  ctx.queue->drain();
  impl_->http.stop();
}

const ServerOptions& Server::options() const { return impl_->ctx.options; }

}  // namespace m2vk::server

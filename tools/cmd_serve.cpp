// m2vk serve: the OpenAI- and TEI-compatible embedding server (server/) on one model.
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include "cli_args.hpp"
#include "command.hpp"
#include "model_flags.hpp"
#include "m2vk/model.hpp"
#include "m2vk/server/server.hpp"

namespace {

using m2vk::cli::UsageError;

void log_line(const std::string& line) {
  static std::mutex mutex;
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  std::lock_guard<std::mutex> lock(mutex);
  std::fprintf(stderr, "%s m2vk serve: %s\n", stamp, line.c_str());
}

int run_serve(const std::vector<std::string>& args) {
  m2vk::cli::ArgParser p(
      "usage: m2vk serve --model DIR [options]\n"
      "Serves embeddings over HTTP: OpenAI POST /v1/embeddings, GET /v1/models; TEI POST /embed, /predict,\n"
      "/tokenize, GET /health, /info, /metrics. Requests are batched into forward passes by one worker.\n"
      "SIGINT / SIGTERM: stop accepting, finish what is queued, exit 0.");
  p.option("--model", "model folder (config.json + checkpoint + tokenizer files)");
  m2vk::cli::declare_load_flags(p);
  p.option("--host", "address to listen on (default 127.0.0.1)")
      .option("--port", "port (default 8080; 0 = any free port, printed at start)")
      .option("--served-model-name", "the model name clients see (default: the folder's name)")
      .option("--padding", "max_length (default, reference-faithful: every input padded to --max-length) | longest")
      .option("--max-length", "tokens per input (truncation limit and max_length padding), default the model's l_max")
      .option("--max-batch-tokens", "padded tokens per forward pass (default 16384; a longer input runs alone)")
      .option("--max-batch-requests", "inputs per forward pass (default 32)")
      .option("--max-client-batch-size", "inputs per request (default 64)")
      .option("--max-concurrent-requests", "requests in flight; beyond: 429 with Retry-After (default 128)")
      .option("--payload-limit", "request body bytes; beyond: 413 (default 2000000)")
      .option("--api-key", "require 'Authorization: Bearer KEY' on every route but /health (also M2VK_API_KEY)");
  p.parse(args);
  if (p.help_requested()) {
    std::fputs(p.help_text().c_str(), stdout);
    return 0;
  }
  auto model_dir = p.get("--model");
  if (!model_dir) throw UsageError("--model DIR is required");
  const m2vk::RunOptions run = m2vk::cli::parse_run_options(p);
  m2vk::server::ServerOptions so;
  so.host = p.get_or("--host", "127.0.0.1");
  so.port = static_cast<int>(p.get_int("--port", 0, 65535).value_or(8080));
  so.padding = run.padding;
  so.max_length = run.max_length;
  so.model_name = p.get_or("--served-model-name", std::filesystem::path(*model_dir).lexically_normal().filename().string());
  if (so.model_name.empty()) so.model_name = std::filesystem::absolute(*model_dir).parent_path().filename().string();
  if (auto n = p.get_int("--max-batch-tokens", 1, 1ll << 40)) so.max_batch_tokens = *n;
  if (auto n = p.get_int("--max-batch-requests", 1, 1 << 20)) so.max_batch_requests = *n;
  if (auto n = p.get_int("--max-client-batch-size", 1, 1 << 20)) so.max_client_batch_size = static_cast<size_t>(*n);
  if (auto n = p.get_int("--max-concurrent-requests", 1, 4096)) so.max_concurrent_requests = static_cast<size_t>(*n);
  if (auto n = p.get_int("--payload-limit", 1, 1ll << 32)) so.payload_limit = static_cast<size_t>(*n);
  if (auto k = p.get("--api-key")) so.api_key = *k;
  else if (const char* env = std::getenv("M2VK_API_KEY")) so.api_key = env;
  so.log = log_line;
  const m2vk::ModelLoadOptions lo = m2vk::cli::parse_load_options(p);

  // Every thread started from here on inherits the blocked signals; one thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  const auto t0 = std::chrono::steady_clock::now();
  m2vk::Model model = m2vk::Model::load(*model_dir, lo);
  if (const std::string note = m2vk::cli::precision_note(model, lo); !note.empty()) log_line("note: " + note);
  if (model.random_weights()) log_line("note: " + *model_dir + " holds RANDOM weights (m2vk demo-model)");
  m2vk::server::Server server(model, so);
  server.warm_up();
  const int port = server.bind();
  const double ready_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  log_line("model " + so.model_name + " on " +
           (model.gpu_model() ? model.gpu_model()->device_info().name : std::string("the CPU reference")) +
           ", ready in " + std::to_string(ready_s).substr(0, 5) + " s");
  std::printf("listening on http://%s:%d\n", so.host.c_str(), port);
  std::fflush(stdout);

  std::thread waiter([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    log_line(std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ": draining");
    server.shutdown();
  });
  server.run();
  // run() returns after shutdown(); a listener failure returns it early, and the waiter needs
  // waking then.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  log_line("stopped");
  return 0;
}

}  // namespace

M2VK_COMMAND("serve", "OpenAI- and TEI-compatible embedding server (HTTP)", run_serve);

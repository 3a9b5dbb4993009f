// End-to-end benchmark of the GPU forward pass (the "80M-32k" shape table):
//
//   m2vk demo-model /tmp/m80 --shape 80m-32k
//   m2vk_bench_e2e --model /tmp/m80 --lengths 128,512,2048 --batches 1,8 [--torch] [--precision fp16] [--json out.json]
//
// For every length and batch: median wall time of --repeats forward passes after one warm-up
// (which evaluates the Hyena filters and caches their spectra), each handing back what embed()
// downloads (the pooled output; the PyTorch baseline leaves its outputs on the device too), tokens/s, ms per input, and the
// device memory the model holds (weights, activations, cached spectra). Load time is measured
// twice: cold (fresh pipeline cache directory, file not yet read) and warm (second load, same
// cache). With --torch the PyTorch baseline runs the same shapes (it picks its own random ids; the
// work does not depend on them) and the table shows m2vk / PyTorch speed ratios. Prints figures
// and a JSON line; asserts nothing. The JSON also breaks the warm load and each length's first pass
// into named stages (Model::load_stages, GpuProfile::stages): what a fresh process pays before its
// first embedding, beside the steady pass. The cache folder is new for each run, so the first pass
// builds the spectra (and, where spectrum files are on, writes them: --spectrum-cache 0 leaves
// that out; bench/e2e/side_by_side.py times processes that read them).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "m2vk/gpu/gpu_model.hpp"
#include "m2vk/host/host.hpp"
#include "m2vk/model.hpp"


namespace {

using Clock = std::chrono::steady_clock;
// What a timed pass hands back: the heads, as embed() does (see the header).
constexpr m2vk::ForwardOutputs kOutputs = m2vk::ForwardOutputs::Heads;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::vector<long> parse_list(const std::string& s) {
  std::vector<long> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(std::stol(item));
  return out;
}

struct Args {
  std::string model;
  std::vector<long> lengths{128, 512, 2048};
  std::vector<long> batches{1};
  int repeats = 3;
  bool torch = false;
  std::string python = "/usr/bin/python3";
  std::string device;
  std::string json;
  bool fp16 = false;  // --precision fp16: cooperative-matrix GEMMs where the device has them
  int threads = 0;    // --threads N for the PyTorch baseline (0: its default)
  long spectrum_budget_mb = -1;  // --spectrum-budget MB (-1: the library's default rule)
  long spectrum_cache_mb = -1;   // --spectrum-cache MB: spectrum files on disk (-1: default, 0: off)
};

nlohmann::json stages_json(const std::vector<m2vk::gpu::StageTime>& stages) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& s : stages) j[s.stage] = s.ms;
  return j;
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(k + " needs a value");
      return argv[++i];
    };
    if (k == "--model") a.model = val();
    else if (k == "--lengths") a.lengths = parse_list(val());
    else if (k == "--batches") a.batches = parse_list(val());
    else if (k == "--repeats") a.repeats = std::stoi(val());
    else if (k == "--torch") a.torch = true;
    else if (k == "--python") a.python = val();
    else if (k == "--device") a.device = val();
    else if (k == "--json") a.json = val();
    else if (k == "--threads") a.threads = std::stoi(val());
    else if (k == "--spectrum-budget") a.spectrum_budget_mb = std::stol(val());
    else if (k == "--spectrum-cache") a.spectrum_cache_mb = std::stol(val());
    else if (k == "--precision") {
      const std::string p = val();
      if (p != "fp32" && p != "fp16") throw std::runtime_error("--precision " + p + ": expected fp32 or fp16");
      a.fp16 = p == "fp16";
    }
    else throw std::runtime_error("unknown argument " + k +
                                  " (--model DIR --lengths a,b --batches a,b --repeats N --torch --threads N --device SPEC --precision fp32|fp16 "
                                  "--spectrum-budget MB --spectrum-cache MB --json F)");
  }
  if (a.model.empty()) throw std::runtime_error("--model DIR is required");
  return a;
}

m2vk::Batch random_batch(const m2vk::ModelConfig& cfg, long B, long L, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> id(1000, static_cast<int>(std::min<int64_t>(30000, cfg.vocab_size - 1)));
  m2vk::Batch b;
  b.batch = B;
  b.length = L;
  for (long r = 0; r < B; ++r)
    for (long t = 0; t < L; ++t) b.input_ids.push_back(t == 0 ? 101 : id(rng));
  b.token_type_ids.assign(b.input_ids.size(), 0);
  b.attention_mask.assign(b.input_ids.size(), 1);
  return b;
}

// Runs the PyTorch baseline for one batch size; returns L -> ms (empty on failure).
struct TorchTimes {
  double ms = 0, first_pass_ms = 0;
};
std::map<long, TorchTimes> run_torch(const Args& a, long batch, double& load_s, std::string& blas) {
  std::string lengths;
  for (long L : a.lengths) lengths += (lengths.empty() ? "" : ",") + std::to_string(L);
  const std::string cmd = a.python + " " + M2VK_TORCH_SCRIPT + " bench --model '" + a.model + "' --lengths " +
                          lengths + " --batch " + std::to_string(batch) + " --repeats " + std::to_string(a.repeats) +
                          (a.threads ? " --threads " + std::to_string(a.threads) : "") + " 2>&1";
  std::fprintf(stderr, "torch: %s\n", cmd.c_str());
  std::map<long, TorchTimes> out;
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) return out;
  char line[65536];
  std::string last;
  while (std::fgets(line, sizeof line, f)) {
    std::fputs(line, stderr);
    if (line[0] == '{') last = line;
  }
  ::pclose(f);
  if (last.empty()) return out;
  auto j = nlohmann::json::parse(last);
  load_s = j.value("load_s", 0.0);
  blas = j.value("blas", "");
  for (const auto& r : j["results"]) out[r["L"].get<long>()] = {r["ms"].get<double>(), r.value("first_pass_ms", 0.0)};
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args a = parse(argc, argv);
    namespace fs = std::filesystem;
    // Cold load: a fresh pipeline cache directory (shader compilation included).
    const fs::path cache = fs::temp_directory_path() / ("m2vk-bench-cache-" + std::to_string(::getpid()));
    fs::create_directories(cache);
    ::setenv("M2VK_CACHE_DIR", cache.c_str(), 1);
    m2vk::ModelLoadOptions lo;
    lo.device = m2vk::Device::parse(a.device.empty() ? "gpu" : "gpu:" + a.device);
    lo.reduced_precision = a.fp16;
    if (a.spectrum_budget_mb >= 0) lo.spectrum_budget_bytes = std::uint64_t(a.spectrum_budget_mb) << 20;
    if (a.spectrum_cache_mb >= 0) lo.spectrum_cache_bytes = std::uint64_t(a.spectrum_cache_mb) << 20;
    auto t0 = Clock::now();
    auto model = std::make_unique<m2vk::Model>(m2vk::Model::load(a.model, lo));
    const double cold_s = since(t0);
    model->forward(random_batch(model->config(), 1, 8, 1));  // compiles the pipelines into the cache
    model.reset();
    t0 = Clock::now();
    m2vk::Model m = m2vk::Model::load(a.model, lo);
    const double warm_s = since(t0);
    m2vk::gpu::GpuModel* gm = m.gpu_model();
    if (!gm) throw std::runtime_error("the model did not load on a GPU");
    const auto& info = gm->device_info();
    std::printf("device: %s (%s, driver %s %s), Vulkan %s\n", info.name.c_str(),
                std::string(m2vk::host::device_type_name(info.type)).c_str(), info.driver_name.c_str(),
                info.driver_info.c_str(), info.api_version_string.c_str());
    std::printf("model: %s (H %lld, %lld layers, l_max %lld)\n", a.model.c_str(),
                static_cast<long long>(m.config().hidden_size), static_cast<long long>(m.config().num_hidden_layers),
                static_cast<long long>(m.max_length()));
    std::printf("load: cold %.2f s (fresh pipeline cache), warm %.2f s\n", cold_s, warm_s);
    const std::string precision(m2vk::ops::precision_name(gm->gemm_precision()));
    std::printf("GEMM precision: %s%s\n", precision.c_str(),
                gm->gemm_precision_fallback().empty() ? "" : (" (fp16 unavailable: " + gm->gemm_precision_fallback() + ")").c_str());

    std::printf("warm load stages:");
    for (const auto& s : m.load_stages()) std::printf(" %s %.0f ms;", s.stage.c_str(), s.ms);
    std::printf("\nspectrum budget: %.0f MB%s\n", gm->memory().spectrum_budget / 1e6,
                gm->spectrum_budget_reason().empty() ? " (--spectrum-budget)" : (" (" + gm->spectrum_budget_reason() + ")").c_str());

    nlohmann::json results = nlohmann::json::array();
    std::map<std::pair<long, long>, TorchTimes> torch_ms;
    double torch_load = 0;
    std::string torch_blas;
    if (a.torch)
      for (long B : a.batches)
        for (auto [L, t] : run_torch(a, B, torch_load, torch_blas)) torch_ms[{L, B}] = t;
    if (a.torch) std::printf("PyTorch BLAS: %s\n", torch_blas.c_str());

    std::printf("\n%7s %6s %11s %12s %12s %10s %10s %10s %10s %12s\n", "L", "batch", "ms/batch", "ms/input", "tokens/s",
                "weights MB", "activ. MB", "scratch MB", "spectra MB", "torch ratio");
    for (long L : a.lengths) {
      if (L > m.max_length()) {
        std::printf("%7ld  skipped: over the model's l_max %lld\n", L, static_cast<long long>(m.max_length()));
        continue;
      }
      for (long B : a.batches) {
        const m2vk::Batch b = random_batch(m.config(), B, L, 7);
        try {
          auto tw = Clock::now();
          m2vk::gpu::GpuProfile first;
          m.forward(b, nullptr, &first, kOutputs);  // warm-up: filters and spectra for this length
          const double warm_up_s = since(tw);
          std::vector<double> times;
          for (int r = 0; r < a.repeats; ++r) {
            auto t = Clock::now();
            m.forward(b, nullptr, nullptr, kOutputs);
            times.push_back(since(t));
          }
          std::sort(times.begin(), times.end());
          const double ms = 1e3 * times[times.size() / 2];
          const auto mem = gm->memory();
          const double tps = B * L / (ms / 1e3);
          std::string ratio = "-";
          auto it = torch_ms.find({L, B});
          if (it != torch_ms.end()) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.2fx", it->second.ms / ms);
            ratio = buf;
          }
          std::printf("%7ld %6ld %11.1f %12.2f %12.0f %10.0f %10.0f %10.0f %10.0f %12s\n", L, B, ms, ms / B, tps,
                      mem.weights / 1e6, mem.peak_activations / 1e6, mem.fft_scratch / 1e6, mem.spectra / 1e6,
                      ratio.c_str());
          std::printf("%7s first pass %.1f ms = steady + %.1f ms of set-up (%.0f%% of a steady pass):", "", 1e3 * warm_up_s,
                      1e3 * warm_up_s - ms, 100.0 * (1e3 * warm_up_s - ms) / ms);
          for (const auto& s : first.stages) std::printf(" %s %.0f;", s.stage.c_str(), s.ms);
          std::printf("\n");
          std::fflush(stdout);
          nlohmann::json j = {{"L", L}, {"batch", B}, {"ms", ms}, {"ms_per_input", ms / B}, {"tokens_per_s", tps},
                              {"warm_up_s", warm_up_s}, {"first_pass_stages_ms", stages_json(first.stages)},
                              {"weights_bytes", mem.weights},
                              {"peak_activation_bytes", mem.peak_activations}, {"fft_scratch_bytes", mem.fft_scratch}, {"spectra_bytes", mem.spectra}};
          if (it != torch_ms.end()) {
            j["torch_ms"] = it->second.ms;
            j["torch_first_pass_ms"] = it->second.first_pass_ms;
          }
          results.push_back(j);
        } catch (const std::exception& e) {
          std::printf("%7ld %6ld  failed: %s\n", L, B, e.what());
        }
      }
    }
    const nlohmann::json out = {{"bench", "m2vk_e2e"}, {"device", info.name}, {"driver", info.driver_info}, {"gemm_precision", precision},
                                {"model", a.model}, {"load_cold_s", cold_s}, {"load_warm_s", warm_s},
                                {"load_warm_stages_ms", stages_json(m.load_stages())},
                                {"spectrum_budget_bytes", gm->memory().spectrum_budget}, {"torch_load_s", torch_load},
                                {"torch_blas", torch_blas}, {"results", results}};
    std::printf("%s\n", out.dump().c_str());
    if (!a.json.empty()) {
      FILE* f = std::fopen(a.json.c_str(), "w");
      if (f) {
        std::fputs(out.dump(2).c_str(), f);
        std::fclose(f);
      }
    }
    std::error_code ec;
    fs::remove_all(cache, ec);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "m2vk_bench_e2e: %s\n", e.what());
    return 1;
  }
}

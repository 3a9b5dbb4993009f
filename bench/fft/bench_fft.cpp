// m2vk_bench_fft: the FFT long convolution y = LongConv(x) + D x over C channels, (B, C, L)
// channel-major in and out, for our fused kernels (FftBackend::Ours), the VkFFT path
// (FftBackend::VkFFT: pack, R2C, product, C2R, epilogue) and a plain copy of the same bytes
// (x -> out: the bandwidth roof). Prints a table and writes JSON (--json FILE).
//
// Times are host wall-clock around submit_and_wait (VkFFT's commands carry no timestamps of
// ours), median of --reps runs after one warm-up, ours and VkFFT alternating (the ratio is
// what a shared machine's drifting load distorts least); filter spectra are computed before timing
// (they are cached per model filter). "GB/s" counts the bytes the op must move, read x + write
// out (4 bytes each per element); "of copy" = copy time / op time. Pipeline creation is timed
// on a fresh context without a pipeline cache (our variants; VkFFT: its plan, glslang included).
//
//   m2vk_bench_fft [--len 512,2048,8192,32768] [--batch 1,8] [--channels 768] [--reps 5]
//                  [--skip B:L,...] [--no-vkfft] [--shared-kernels] [--json out.json] [--device SPEC]
// --shared-kernels: our shared-memory kernels even where the register/subgroup kernel applies
// (FftConvOptions::register_kernel = false), for before/after comparisons in one run.
// "first ms" = our spectrum + first conv call on the timing context: on lavapipe that is where
// llvmpipe JIT-compiles the shaders (at first dispatch, not at pipeline creation), unless Mesa's
// on-disk shader cache already holds them (MESA_SHADER_CACHE_DISABLE=true for a cold figure).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "m2vk/host/host.hpp"
#include "m2vk/ops/fft_conv.hpp"
#include "m2vk/ops/vkfft_conv.hpp"

namespace {

namespace host = m2vk::host;
namespace ops = m2vk::ops;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::vector<std::uint32_t> parse_list(const std::string& s) {
  std::vector<std::uint32_t> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(static_cast<std::uint32_t>(std::stoul(item)));
  return out;
}

struct Options {
  std::vector<std::uint32_t> lens = {512, 2048, 8192, 32768};
  std::vector<std::uint32_t> batches = {1, 8};
  std::uint32_t channels = 768;
  int reps = 5;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> skip = {{8, 32768}};
  bool vkfft = true;
  bool register_kernel = true;
  std::string json, device;
};

// Deterministic, cheap fill (the values do not change the timing).
std::vector<float> pattern(std::size_t n, float scale) {
  std::vector<float> v(n);
  std::uint32_t s = 12345;
  for (auto& x : v) {
    s = s * 1664525u + 1013904223u;
    x = scale * (float(s >> 8) / float(1u << 24) - 0.5f);
  }
  return v;
}

double time_runs(int reps, const std::function<void()>& once) {
  once();  // warm-up
  std::vector<double> ms;
  for (int r = 0; r < reps; ++r) {
    auto t0 = Clock::now();
    once();
    ms.push_back(ms_since(t0));
  }
  return median(ms);
}

// Pipeline creation on a fresh context with no pipeline cache, for FFT size n.
double creation_ms(const Options& o, ops::FftBackend backend, std::uint32_t n) {
  host::ContextOptions co;
  co.device_spec = o.device;
  co.validation = false;
  co.persist_pipeline_cache = false;
  co.cache_dir = std::filesystem::temp_directory_path() / "m2vk-bench-fft-nocache";
  auto ctx = host::Context::create(co);
  ops::FftConvOptions fo;
  fo.backend = backend;
  fo.register_kernel = o.register_kernel;
  ops::FftConv op(*ctx, fo);
  auto t0 = Clock::now();
  op.warm_up(n);
  return ms_since(t0);
}

}  // namespace

int main(int argc, char** argv) try {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error("missing value after " + a);
      return argv[++i];
    };
    if (a == "--len") o.lens = parse_list(next());
    else if (a == "--batch") o.batches = parse_list(next());
    else if (a == "--channels") o.channels = static_cast<std::uint32_t>(std::stoul(next()));
    else if (a == "--reps") o.reps = std::stoi(next());
    else if (a == "--no-vkfft") o.vkfft = false;
    else if (a == "--shared-kernels") o.register_kernel = false;
    else if (a == "--json") o.json = next();
    else if (a == "--device") o.device = next();
    else if (a == "--skip") {
      o.skip.clear();
      std::stringstream ss(next());
      std::string item;
      while (std::getline(ss, item, ',')) {
        auto colon = item.find(':');
        if (colon == std::string::npos) throw std::runtime_error("--skip wants B:L pairs, got " + item);
        o.skip.push_back({std::stoul(item.substr(0, colon)), std::stoul(item.substr(colon + 1))});
      }
    } else {
      std::cerr << "usage: m2vk_bench_fft [--len L,..] [--batch B,..] [--channels C] [--reps N] [--skip B:L,..] "
                   "[--no-vkfft] [--shared-kernels] [--json FILE] [--device SPEC]\n";
      return a == "--help" ? 0 : 2;
    }
  }
  if (o.vkfft && !ops::vkfft_available()) o.vkfft = false;

  host::ContextOptions co;
  co.device_spec = o.device;
  co.validation = false;
  auto ctx = host::Context::create(co);
  const auto& dev = ctx->device_info();
  nlohmann::json out;
  out["device"] = dev.name;
  out["driver"] = dev.driver_name + " " + dev.driver_info;
  out["channels"] = o.channels;
  out["reps"] = o.reps;
  out["timing"] = "host wall-clock around submit_and_wait, median; ours and VkFFT runs alternate";
  out["rows"] = nlohmann::json::array();

  std::printf("device: %s (%s %s)\n", dev.name.c_str(), dev.driver_name.c_str(), dev.driver_info.c_str());
  std::printf("%6s %2s %6s | %9s %7s %6s | %9s %7s | %8s %7s | %7s | %9s %9s %9s\n", "L", "B", "N", "ours ms", "GB/s",
              "copy%", "vkfft ms", "GB/s", "copy ms", "GB/s", "speedup", "pipe ms", "vkplan ms", "first ms");

  const std::uint32_t C = o.channels;
  for (std::uint32_t L : o.lens) {
    std::uint32_t n = ops::fft_size_for(L);
    double create_ours = creation_ms(o, ops::FftBackend::Ours, n);
    double create_vk = o.vkfft ? creation_ms(o, ops::FftBackend::VkFFT, n) : 0.0;
    auto kf = ctx->create_buffer(std::uint64_t(C) * L * 4), kr = ctx->create_buffer(std::uint64_t(C) * L * 4);
    ctx->upload(kf, pattern(std::size_t(C) * L, 0.1f));
    ctx->upload(kr, pattern(std::size_t(C) * L, 0.1f));
    auto d = ctx->create_buffer(C * 4);
    ctx->upload(d, pattern(C, 1.0f));
    for (std::uint32_t B : o.batches) {
      bool skip = std::find(o.skip.begin(), o.skip.end(), std::make_pair(B, L)) != o.skip.end();
      if (skip) {
        std::printf("%6u %2u %6u | skipped (--skip)\n", L, B, n);
        out["rows"].push_back({{"len", L}, {"batch", B}, {"skipped", true}});
        continue;
      }
      const std::uint64_t bytes = std::uint64_t(B) * C * L * 4;
      auto x = ctx->create_buffer(bytes), y = ctx->create_buffer(bytes);
      ctx->upload(x, pattern(std::size_t(B) * C * L, 2.0f));

      // Both backends are set up first and their timed runs alternate (ours, VkFFT, VkFFT, ours,
      // ...): on a shared machine the load drifts within seconds, and the ratio is what matters.
      struct Backend {
        std::unique_ptr<ops::FftConv> op;
        std::shared_ptr<const ops::FilterSpectrum> spec;
        ops::FftConvArgs a;
      };
      auto once = [&](Backend& b) {
        auto rec = ctx->record();
        b.op->record(rec, b.a);
        rec.submit_and_wait();
      };
      double first_ours = 0;
      auto setup = [&](ops::FftBackend backend) {
        auto b = std::make_unique<Backend>();
        ops::FftConvOptions fo;
        fo.backend = backend;
        fo.register_kernel = o.register_kernel;
        b->op = std::make_unique<ops::FftConv>(*ctx, fo);
        auto t_first = Clock::now();
        {
          auto rec = ctx->record();
          b->spec = b->op->spectrum(rec, "bench", {kf, kr.range(), C, L, 0});
          rec.submit_and_wait();
        }
        b->a.batch = B;
        b->a.channels = C;
        b->a.len = L;
        b->a.x = ops::FftTensor::channel_major(x, C, L);
        b->a.out = ops::FftTensor::channel_major(y, C, L);
        b->a.d = d.range();
        b->a.spectrum = b->spec.get();
        once(*b);
        if (backend == ops::FftBackend::Ours) first_ours = ms_since(t_first);
        once(*b);  // warm-up
        return b;
      };
      auto ours_b = setup(ops::FftBackend::Ours);
      std::unique_ptr<Backend> vk_b;
      bool vk_ok = o.vkfft;
      if (vk_ok) {
        try {
          vk_b = setup(ops::FftBackend::VkFFT);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "VkFFT path failed for L %u B %u: %s\n", L, B, e.what());
          vk_ok = false;
        }
      }
      std::vector<double> t_ours, t_vk, ratios;
      auto timed = [&](Backend& b, std::vector<double>& into) {
        auto t0 = Clock::now();
        once(b);
        into.push_back(ms_since(t0));
      };
      for (int r = 0; r < o.reps; ++r) {
        if (vk_ok && r % 2 == 1) timed(*vk_b, t_vk);
        timed(*ours_b, t_ours);
        if (vk_ok && r % 2 == 0) timed(*vk_b, t_vk);
        if (vk_ok) ratios.push_back(t_vk.back() / t_ours.back());
      }
      ours_b.reset();
      vk_b.reset();
      double ours = median(t_ours);
      double vk = vk_ok ? median(t_vk) : 0.0;
      double copy = time_runs(o.reps, [&] {
        auto rec = ctx->record();
        rec.copy(x, y);
        rec.submit_and_wait();
      });
      auto gbs = [&](double ms) { return 2.0 * double(bytes) / (ms * 1e6); };
      std::printf("%6u %2u %6u | %9.2f %7.2f %5.1f%% | %9.2f %7.2f | %8.2f %7.2f | %6.2fx | %9.1f %9.1f %9.1f\n", L, B, n,
                  ours, gbs(ours), 100.0 * copy / ours, vk, vk_ok ? gbs(vk) : 0.0, copy, gbs(copy),
                  vk_ok ? vk / ours : 0.0, create_ours, create_vk, first_ours);
      std::fflush(stdout);
      nlohmann::json row = {{"len", L},           {"batch", B},          {"fft_size", n},
                            {"ours_ms", ours},    {"ours_gbs", gbs(ours)}, {"ours_fraction_of_copy", copy / ours},
                            {"copy_ms", copy},    {"copy_gbs", gbs(copy)}, {"pipeline_creation_ms_ours", create_ours},
                            {"first_call_ms_ours", first_ours},        {"register_kernel", o.register_kernel},
                            {"ours_ms_runs", t_ours}};
      if (vk_ok) {
        row["vkfft_ms"] = vk;
        row["vkfft_gbs"] = gbs(vk);
        row["speedup_vs_vkfft"] = vk / ours;
        row["speedup_paired_median"] = median(ratios);  // median of the per-rep ratios
        row["vkfft_ms_runs"] = t_vk;
        row["plan_creation_ms_vkfft"] = create_vk;
      }
      out["rows"].push_back(row);
    }
  }
  std::string js = out.dump(2);
  if (!o.json.empty()) {
    std::ofstream f(o.json + ".tmp");
    f << js << "\n";
    f.close();
    std::filesystem::rename(o.json + ".tmp", o.json);
  }
  std::printf("%s\n", js.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "m2vk_bench_fft: %s\n", e.what());
  return 1;
}

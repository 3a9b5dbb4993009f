// m2vk_bench_gemm: GFLOP/s of the M2-BERT 80M GEMMs (in_linear, out_linear, gated_layers + GLU,
// wo + residual) at several sequence lengths, against the device's FMA peak measured by a kernel
// of our own (shaders/gemm_fma_peak.comp). Prints a table and writes JSON (--json FILE).
// Times are GPU timestamps of the dispatches (median of --reps runs after --warmup runs; the
// first run also compiles the pipeline, so keep one warm-up unless the run is very long). The
// "%paired" column divides each timed run's GFLOP/s by an FMA-peak run made just before it
// (median over runs; "peak'" is the median of those peaks): on a shared, noisy machine it
// compares the two under the same load, where "%peak" uses the single peak measured at start.
// The "1st ms" column is the first run's time: minus the median, it estimates the pipeline's compile
// time (llvmpipe compiles a kernel at its first dispatch) for the first shape using a variant.
//
//   m2vk_bench_gemm [--len 512,2048] [--batch 1] [--reps 3] [--warmup 1] [--json out.json] [--device SPEC]
//                   [--only SUBSTRING] [--peak-groups 1024]
//                   [--kernel auto|texel|texel8|tiled|tiled128]
// --only: only the GEMMs whose name contains SUBSTRING; --peak-groups: workgroups of the FMA-peak
// kernel (its run time scales with it); --kernel: the fp32 kernel family (GemmOptions::kernel;
// auto = the device's choice, gemm_kernel_for).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <sys/mman.h>
#include <time.h>

#include "m2vk/host/host.hpp"
#include "m2vk/ops/gemm.hpp"

namespace {

using m2vk::ops::Epilogue;
using m2vk::ops::MatrixView;
namespace host = m2vk::host;
namespace ops = m2vk::ops;

struct Shape {
  std::string name;
  std::uint32_t in, out, nb;
  bool bias;
  Epilogue epi;
  bool x_channel_major = false;  // x as (B, in, L), as the model feeds out_linear from the long conv
};

// The 80M model (H 768, I 3072, nblocks 4).
const std::vector<Shape> kShapes = {
    {"in_linear 768->2304", 768, 2304, 1, true, Epilogue::None},
    {"out_linear 768->768", 768, 768, 1, true, Epilogue::None},
    {"out_linear 768->768, channel-major x", 768, 768, 1, true, Epilogue::None, true},
    {"gated_layers 4x(192->1536)", 768, 6144, 4, false, Epilogue::None},
    {"gated_layers 4x(192->1536)+GLU", 768, 6144, 4, false, Epilogue::Glu},
    {"wo 4x(768->192)+residual", 3072, 768, 4, true, Epilogue::AddResidual},
    // The Hyena filter MLP's K = 64 GEMMs (order 64): a hidden layer with its Sin, the last
    // layer (64 -> H) plain and with the decay (ops/hyena_filter.cpp).
    {"filter l2 64->64+sin", 64, 64, 1, true, Epilogue::Sin},
    {"filter w6 64->768", 64, 768, 1, false, Epilogue::None},
    {"filter w6 64->768+decay", 64, 768, 1, false, Epilogue::Decay},
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double total_ms(const host::CommandRecorder& rec) {
  double ms = 0;
  for (const auto& t : rec.timings()) ms += t.ms;
  return ms;
}

bool g_thp = false;  // --thp: operands host-visible, advised MADV_HUGEPAGE before first touch

host::Buffer make_buffer(host::Context& ctx, std::uint64_t bytes) {
  if (!g_thp) return ctx.create_buffer(bytes);
  host::Buffer b = ctx.create_buffer(bytes, host::MemoryKind::HostVisible);
  const auto p = reinterpret_cast<std::uintptr_t>(b.mapped());
  const std::uintptr_t huge = 2u << 20, lo = (p + huge - 1) / huge * huge, hi = (p + bytes) / huge * huge;
  if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
  return b;
}

// CPU seconds of this process (all threads: on lavapipe the device's worker threads are ours).
// GFLOP per CPU second does not count the time another process holds the cores, so its ratio
// to the FMA kernel's is far less load-sensitive than wall-clock GFLOP/s.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

double g_peak_cpu_gflops = 0;  // FMA peak per CPU second, of the last fma_peak_gflops() call

std::uint32_t g_peak_groups = 1024;  // --peak-groups: 1024 runs ~0.1 s on the 2-core lavapipe host

double fma_peak_gflops(host::Context& ctx, int reps) {
  const std::uint32_t groups = g_peak_groups, iters = 4096;
  host::Buffer out = ctx.create_buffer(std::uint64_t(groups) * 64 * 4);
  const auto& pipe = ctx.pipeline("gemm_fma_peak");
  std::vector<double> ms, cpu;
  for (int r = 0; r <= reps; ++r) {
    auto rec = ctx.record({.profile = true});
    rec.dispatch(pipe, {host::write(out)}, iters, host::Groups{groups, 1, 1}, "fma_peak");
    const double c0 = cpu_seconds();
    rec.submit_and_wait();
    if (r > 0) cpu.push_back(cpu_seconds() - c0);
    if (r > 0) ms.push_back(total_ms(rec));
  }
  const double flops = 16.0 * iters * groups * 64;  // 8 accumulators x iters FMAs x 2 flops
  g_peak_cpu_gflops = flops / median(cpu) / 1e9;
  return flops / (median(ms) * 1e-3) / 1e9;
}

std::vector<std::uint32_t> parse_list(const std::string& s) {
  std::vector<std::uint32_t> v;
  std::size_t p = 0;
  while (p < s.size()) {
    std::size_t q = s.find(',', p);
    if (q == std::string::npos) q = s.size();
    v.push_back(static_cast<std::uint32_t>(std::stoul(s.substr(p, q - p))));
    p = q + 1;
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::vector<std::uint32_t> lens = {512, 2048};
    std::uint32_t batch = 1;
    int reps = 3, warmup = 1;
    std::string json_path, device, only;
    ops::GemmKernel kernel = ops::GemmKernel::Auto;
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      auto next = [&]() -> std::string {
        if (i + 1 >= argc) throw std::runtime_error("missing value after " + a);
        return argv[++i];
      };
      if (a == "--len") lens = parse_list(next());
      else if (a == "--batch") batch = static_cast<std::uint32_t>(std::stoul(next()));
      else if (a == "--reps") reps = std::stoi(next());
      else if (a == "--warmup") warmup = std::stoi(next());
      else if (a == "--json") json_path = next();
      else if (a == "--device") device = next();
      else if (a == "--only") only = next();
      else if (a == "--thp") g_thp = true;
      else if (a == "--peak-groups") g_peak_groups = static_cast<std::uint32_t>(std::stoul(next()));
      else if (a == "--kernel") {
        const std::string k = next();
        const auto parsed = ops::parse_gemm_kernel(k);
        if (!parsed) throw std::runtime_error("--kernel wants auto, texel, texel8, tiled or tiled128, got " + k);
        kernel = *parsed;
      }
      else throw std::runtime_error("unknown argument " + a + " (see the header of bench/gemm/bench_gemm.cpp)");
    }
    host::ContextOptions opt;
    opt.device_spec = device;
    opt.validation = false;
    auto ctx = host::Context::create(opt);
    const auto& info = ctx->device_info();
    const double peak = fma_peak_gflops(*ctx, reps);
    const char* kernel_name = ops::gemm_kernel_name(ops::gemm_kernel_for(info, kernel));
    std::printf("device: %s (%s %s)\nmeasured FMA peak: %.1f GFLOP/s\nfp32 kernels: %s\n\n", info.name.c_str(),
                info.driver_name.c_str(), info.driver_info.c_str(), peak, kernel_name);
    std::printf("%-38s %7s %10s %10s %8s %8s %8s %8s %10s\n", "GEMM", "L", "ms", "GFLOP/s", "%peak", "%paired", "%cpu", "peak'",
                "1st ms");
    nlohmann::json results = nlohmann::json::array();
    for (std::uint32_t L : lens) {
      for (const Shape& s : kShapes) {
        if (!only.empty() && s.name.find(only) == std::string::npos) continue;
        const std::uint64_t rows = std::uint64_t(batch) * L;
        const bool glu = s.epi == Epilogue::Glu;
        const std::uint32_t ncols = glu ? s.out / 2 : s.out;
        host::Buffer x = make_buffer(*ctx, rows * s.in * 4), w = make_buffer(*ctx, std::uint64_t(s.out) * s.in / s.nb * 4);
        host::Buffer b = make_buffer(*ctx, std::uint64_t(s.out) * 4), y = make_buffer(*ctx, rows * ncols * 4);
        host::Buffer r = s.epi == Epilogue::AddResidual ? make_buffer(*ctx, rows * ncols * 4) : host::Buffer();
        // The filter epilogues' tables: per column (freq 10 / deltas -5), per row (t 0.5).
        const bool tables = s.epi == Epilogue::Sin || s.epi == Epilogue::Decay;
        host::Buffer tc = tables ? make_buffer(*ctx, std::uint64_t(s.out) * 4) : host::Buffer();
        host::Buffer tr = tables ? make_buffer(*ctx, std::uint64_t(L) * 4) : host::Buffer();
        {
          auto rec = ctx->record();
          if (tables) {
            rec.fill(tc, s.epi == Epilogue::Sin ? 0x41200000u : 0xc0a00000u);  // 10.0f, -5.0f
            rec.fill(tr, 0x3f000000u);                                          // 0.5f
          }
          rec.fill(x, 0x3c23d70a);  // 0.01f: finite, non-trivial values
          rec.fill(w, 0x3c23d70a);
          rec.fill(b, 0);
          if (r) rec.fill(r, 0);
          rec.submit_and_wait();
        }
        ops::LinearWeights lw{w, std::nullopt, s.in, s.out, s.nb};
        if (s.bias) lw.bias = b.range();
        ops::GemmOptions go;
        go.epilogue = s.epi;
        go.kernel = kernel;
        const MatrixView yv = MatrixView::row_major(y, batch, L, ncols);
        if (r) go.residual = MatrixView::row_major(r, batch, L, ncols);
        if (s.epi == Epilogue::Sin) go.sin_freq = tc.range();
        if (s.epi == Epilogue::Decay) {
          go.decay_deltas = tc.range();
          go.decay_t = tr.range();
        }
        std::vector<double> ms;
        double first_ms = 0;
        std::vector<double> ratios, peaks, cpu_ratios;  // per timed run: GEMM GFLOP/s over the FMA peak just before it
        const double flops = 2.0 * double(ops::linear_macs(MatrixView::row_major(x, batch, L, s.in), lw));
        for (int rep = 0; rep < warmup + reps; ++rep) {
          const double run_peak = rep >= warmup ? fma_peak_gflops(*ctx, 1) : 0.0;
          const double run_peak_cpu = g_peak_cpu_gflops;
          auto rec = ctx->record({.profile = true});
          const MatrixView xv = s.x_channel_major ? MatrixView::channel_major(x, batch, L, s.in)
                                                  : MatrixView::row_major(x, batch, L, s.in);
          ops::record_linear(*ctx, rec, xv, lw, yv, go);
          const double c0 = cpu_seconds();
          rec.submit_and_wait();
          const double cpu_s = cpu_seconds() - c0;
          if (rep >= warmup) {
            cpu_ratios.push_back(flops / cpu_s / 1e9 / run_peak_cpu);
            ms.push_back(total_ms(rec));
            peaks.push_back(run_peak);
            ratios.push_back(flops / (ms.back() * 1e-3) / 1e9 / run_peak);
          }
          if (rep == 0) first_ms = total_ms(rec);
        }
        const double t = median(ms);
        const double gflops = flops / (t * 1e-3) / 1e9;
        const double ratio = median(ratios);
        std::printf("%-38s %7u %10.2f %10.2f %7.1f%% %7.1f%% %7.1f%% %8.1f %10.2f\n", s.name.c_str(), L, t, gflops,
                    100.0 * gflops / peak, 100.0 * ratio, 100.0 * median(cpu_ratios), median(peaks), first_ms);
        std::fflush(stdout);
        results.push_back({{"gemm", s.name}, {"len", L}, {"batch", batch}, {"ms", t}, {"gflops", gflops},
                           {"fraction_of_peak", gflops / peak}, {"fraction_of_paired_peak", ratio},
                           {"paired_peak_gflops", median(peaks)},
                           {"fraction_of_paired_cpu_peak", median(cpu_ratios)}, {"first_ms", first_ms}});
      }
    }
    if (!json_path.empty()) {
      nlohmann::json doc = {{"device", info.name}, {"driver", info.driver_name + " " + info.driver_info},
                            {"fma_peak_gflops", peak}, {"kernel", kernel_name}, {"reps", reps}, {"warmup", warmup}, {"results", results}};
      std::ofstream(json_path) << doc.dump(2) << "\n";
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "m2vk_bench_gemm: " << e.what() << "\n";
    return 1;
  }
}

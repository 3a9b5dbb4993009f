// m2vk_cpu_fma_peak: the host CPU's own fp32 FMA peak, the roof lavapipe's GEMMs and PyTorch's
// OpenBLAS run under (bench/RESULTS.md, "GEMMs"). Every thread runs 12 independent FMA chains (enough
// to keep two FMA ports busy at a latency of 4-6 cycles) on 256-bit (AVX2) and, where the CPU has
// it, 512-bit (AVX-512) vectors, for about --seconds each; prints GFLOP/s for all threads together.
//
//   m2vk_cpu_fma_peak [--threads N] [--seconds S]      (default: every core, 0.5 s)
#include <immintrin.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kChains = 12;

// Returns FMAs per lane done; `sink` keeps the result alive.
__attribute__((target("avx2,fma"))) long run_avx2(long iters, float* sink) {
  __m256 a[kChains];
  const __m256 m = _mm256_set1_ps(0.9999999f), c = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < kChains; ++i) a[i] = _mm256_set1_ps(float(i));
  for (long n = 0; n < iters; ++n) {
#pragma GCC unroll 12  // the chains must live in registers, not in the array
    for (int i = 0; i < kChains; ++i) a[i] = _mm256_fmadd_ps(a[i], m, c);
  }
  __m256 s = a[0];
  for (int i = 1; i < kChains; ++i) s = _mm256_add_ps(s, a[i]);
  *sink = _mm256_cvtss_f32(s);
  return iters * kChains * 8;
}

__attribute__((target("avx512f"))) long run_avx512(long iters, float* sink) {
  __m512 a[kChains];
  const __m512 m = _mm512_set1_ps(0.9999999f), c = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < kChains; ++i) a[i] = _mm512_set1_ps(float(i));
  for (long n = 0; n < iters; ++n) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) a[i] = _mm512_fmadd_ps(a[i], m, c);
  }
  __m512 s = a[0];
  for (int i = 1; i < kChains; ++i) s = _mm512_add_ps(s, a[i]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, s);
  *sink = lanes[0];
  return iters * kChains * 16;
}

// GFLOP/s of `threads` threads each running fn for about `seconds`.
double measure(long (*fn)(long, float*), unsigned threads, double seconds) {
  using Clock = std::chrono::steady_clock;
  float sink = 0;
  long per = 1 << 20;  // calibrate one thread's iteration count to the wanted duration
  for (;;) {
    const auto t0 = Clock::now();
    fn(per, &sink);
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (s > 0.05) {
      per = static_cast<long>(per * seconds / s);
      break;
    }
    per *= 4;
  }
  std::vector<std::thread> pool;
  std::vector<long> done(threads);
  std::vector<float> sinks(threads);
  const auto t0 = Clock::now();
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back([&, t] { done[t] = fn(per, &sinks[t]); });
  for (auto& th : pool) th.join();
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  double fmas = 0;
  for (long d : done) fmas += double(d);
  return 2.0 * fmas / s / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  unsigned threads = std::thread::hardware_concurrency();
  double seconds = 0.5;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) threads = static_cast<unsigned>(std::atoi(argv[++i]));
    else if (a == "--seconds" && i + 1 < argc) seconds = std::atof(argv[++i]);
    else {
      std::fprintf(stderr, "usage: m2vk_cpu_fma_peak [--threads N] [--seconds S]\n");
      return 2;
    }
  }
  if (threads == 0 || seconds <= 0) {
    std::fprintf(stderr, "m2vk_cpu_fma_peak: --threads and --seconds must be positive\n");
    return 2;
  }
  __builtin_cpu_init();
  std::printf("threads %u\n", threads);
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    std::printf("AVX2 FMA peak:    %.1f GFLOP/s\n", measure(run_avx2, threads, seconds));
  else
    std::printf("AVX2 FMA peak:    n/a (no AVX2 + FMA)\n");
  if (__builtin_cpu_supports("avx512f"))
    std::printf("AVX-512 FMA peak: %.1f GFLOP/s\n", measure(run_avx512, threads, seconds));
  else
    std::printf("AVX-512 FMA peak: n/a (no AVX-512)\n");
  return 0;
}

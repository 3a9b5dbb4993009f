// loader_bench convert SRC DST   converts and prints {"convert_s", "peak_rss_mib", "largest_tensor_mib"}
// loader_bench load SRC [N]      loads N times with the cache (first builds it if needed) and prints
//                                {"first_load_s", "warm_load_s" (median of the rest)}
// Each mode is meant to run in a fresh process so that peak RSS is that of the mode alone.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "m2vk/loader/convert.hpp"
#include "m2vk/loader/tensor_store.hpp"

namespace {

double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

// CPU seconds (user + system) this process has used: on a shared, overloaded machine wall time
// mostly measures waiting for a core, so both are reported.
double cpu_s() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: loader_bench convert SRC DST | loader_bench load SRC [N]\n");
    return 2;
  }
  std::string mode = argv[1];
  try {
    if (mode == "convert" && argc == 4) {
      double rss0 = peak_rss_mib();
      double t0 = now_s(), c0 = cpu_s();
      auto r = m2vk::loader::convert_to_safetensors(argv[2], argv[3]);
      double t = now_s() - t0, c = cpu_s() - c0;
      // Largest tensor, from the output (mmap'd; not touched, so RSS is unaffected).
      m2vk::loader::LoadOptions o;
      o.normalize_keys = false;
      auto s = m2vk::loader::load_checkpoint(argv[3], o);
      size_t largest = 0;
      for (const auto& x : s.tensors()) largest = std::max(largest, x.bytes.size());
      std::printf("{\"convert_s\": %.3f, \"convert_cpu_s\": %.3f, \"peak_rss_mib\": %.1f, \"rss_before_mib\": %.1f, \"largest_tensor_mib\": %.1f, "
                  "\"tensors\": %zu, \"data_mib\": %.1f}\n",
                  t, c, peak_rss_mib(), rss0, double(largest) / 1048576.0, r.tensors, double(r.data_bytes) / 1048576.0);
      return 0;
    }
    if (mode == "load") {
      int n = argc > 3 ? std::stoi(argv[3]) : 6;
      std::vector<double> times, cpus;
      size_t count = 0;
      for (int i = 0; i < n; ++i) {
        double t0 = now_s(), c0 = cpu_s();
        auto s = m2vk::loader::load_checkpoint(argv[2]);
        times.push_back(now_s() - t0);
        cpus.push_back(cpu_s() - c0);
        count = s.tensors().size();
      }
      std::vector<double> warm(times.begin() + 1, times.end());
      std::vector<double> warm_cpu(cpus.begin() + 1, cpus.end());
      std::sort(warm.begin(), warm.end());
      std::sort(warm_cpu.begin(), warm_cpu.end());
      std::printf("{\"first_load_s\": %.3f, \"warm_load_s\": %.4f, \"warm_load_cpu_s\": %.4f, \"tensors\": %zu, \"peak_rss_mib\": %.1f}\n", times[0],
                  warm.empty() ? 0.0 : warm[warm.size() / 2],
                  warm_cpu.empty() ? 0.0 : warm_cpu[warm_cpu.size() / 2], count, peak_rss_mib());
      return 0;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "loader_bench: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "loader_bench: bad arguments\n");
  return 2;
}

// kernel_choice_bench [--channels C] [--budget-ms MS]: what FftBackendChooser decides on the
// default Vulkan device for the 80M-32k retrieval model's FFT sizes (L 128 .. 32768, 768
// channels), measuring every size afresh (a temporary choice file), and the per-candidate best
// times it measured. One line per size, then JSON. Measures; never decides correctness.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>

#include <unistd.h>

#include "m2vk/gpu/kernel_choice.hpp"
#include "m2vk/host/host.hpp"

int main(int argc, char** argv) {
  std::uint32_t channels = 768;
  double budget = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--channels") channels = static_cast<std::uint32_t>(std::strtoul(argv[i + 1], nullptr, 10));
    else if (a == "--budget-ms") budget = std::strtod(argv[i + 1], nullptr);
    else {
      std::fprintf(stderr, "usage: kernel_choice_bench [--channels C] [--budget-ms MS]\n");
      return 2;
    }
  }
  try {
    auto ctx = m2vk::host::Context::create({});
    const auto file = std::filesystem::temp_directory_path() / ("kernel_choice_bench_" + std::to_string(::getpid()) + ".json");
    m2vk::gpu::FftBackendChooser chooser(*ctx, m2vk::KernelPolicy::Auto, {}, file);
    if (budget >= 0) chooser.set_budget_ms(budget);
    const auto& d = ctx->device_info();
    std::printf("device: %s (%s), subgroup size %u\n", d.name.c_str(), d.driver_info.c_str(), d.subgroup_size);
    std::printf("%8s %8s %6s %12s %12s %8s  %s\n", "L", "N", "rows", "ours ms", "vkfft ms", "choice", "source");
    std::string json = "[";
    for (std::uint32_t L : {128u, 512u, 2048u, 8192u, 32768u}) {
      const std::uint32_t n = 2 * L;
      chooser.choose(n, channels);
      const m2vk::gpu::FftChoice& c = chooser.choices().back();
      const char* b = c.backend == m2vk::ops::FftBackend::Ours ? "ours" : "vkfft";
      std::printf("%8u %8u %6u %12.3f %12.3f %8s  %s\n", L, n, c.rows, c.ours_ms, c.vkfft_ms, b, c.source.c_str());
      std::fflush(stdout);
      char buf[256];
      std::snprintf(buf, sizeof buf, "%s{\"L\": %u, \"n\": %u, \"rows\": %u, \"ours_ms\": %.4f, \"vkfft_ms\": %.4f, \"choice\": \"%s\"}",
                    json.size() > 1 ? ", " : "", L, n, c.rows, c.ours_ms, c.vkfft_ms, b);
      json += buf;
    }
    std::printf("%s]\n", json.c_str());
    std::filesystem::remove(file);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kernel_choice_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}

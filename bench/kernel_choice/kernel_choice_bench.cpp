// kernel_choice_bench [--channels C] [--budget-ms MS] [--gemm]: what FftBackendChooser decides on
// the default Vulkan device for the 80M-32k retrieval model's FFT sizes (L 128 .. 32768, 768
// channels), measuring every size afresh (a temporary choice file), and the per-candidate best
// times it measured. One line per size, then JSON. With --gemm: what GemmChooser decides for the
// model's layer GEMMs (in_linear, out_linear from channel-major x, gated + GLU, wo) at batch-1
// lengths 128, 2048 and 32768, one line per shape class. Measures; never decides correctness.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>

#include <unistd.h>

#include "m2vk/gpu/kernel_choice.hpp"
#include "m2vk/host/host.hpp"

namespace {

// The 80M model's layer GEMMs under GemmChooser, at batch 1 and three lengths.
void gemm_choices(m2vk::host::Context& ctx, const std::filesystem::path& file, double budget) {
  using m2vk::ops::Epilogue;
  m2vk::gpu::GemmChooser chooser(ctx, m2vk::ops::GemmKernel::Auto, file);
  if (budget >= 0) chooser.set_budget_ms(budget);
  struct Layer {
    std::uint32_t n, k, nb;
    Epilogue epi;
    bool channel_major;
  };
  const Layer layers[] = {{2304, 768, 1, Epilogue::None, false},
                          {768, 768, 1, Epilogue::None, true},
                          {6144, 768, 4, Epilogue::Glu, false},
                          {768, 3072, 4, Epilogue::None, false}};
  for (std::uint32_t L : {128u, 2048u, 32768u}) {
    for (const Layer& l : layers) {
      m2vk::ops::GemmShape s;
      s.rows = L;
      s.n = l.n;
      s.k = l.k;
      s.nblocks = l.nb;
      s.epilogue = l.epi;
      s.x_channel_major = l.channel_major;
      chooser.choose(s);
      std::printf("%s\n", m2vk::gpu::describe(chooser.choices().back()).c_str());
      std::fflush(stdout);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::uint32_t channels = 768;
  double budget = -1;
  bool gemm = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--gemm") {
      gemm = true;
      continue;
    }
    if (i + 1 >= argc && (a == "--channels" || a == "--budget-ms")) {
      std::fprintf(stderr, "kernel_choice_bench: %s needs a value\n", a.c_str());
      return 2;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "usage: kernel_choice_bench [--channels C] [--budget-ms MS] [--gemm]\n");
      return 2;
    }
    if (a == "--channels") channels = static_cast<std::uint32_t>(std::strtoul(argv[i + 1], nullptr, 10));
    else if (a == "--budget-ms") budget = std::strtod(argv[i + 1], nullptr);
    else {
      std::fprintf(stderr, "usage: kernel_choice_bench [--channels C] [--budget-ms MS] [--gemm]\n");
      return 2;
    }
    ++i;
  }
  try {
    auto ctx = m2vk::host::Context::create({});
    const auto file = std::filesystem::temp_directory_path() / ("kernel_choice_bench_" + std::to_string(::getpid()) + ".json");
    if (gemm) {
      const auto& d = ctx->device_info();
      std::printf("device: %s (%s), subgroup size %u\n", d.name.c_str(), d.driver_info.c_str(), d.subgroup_size);
      gemm_choices(*ctx, file, budget);
      std::filesystem::remove(file);
      return 0;
    }
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

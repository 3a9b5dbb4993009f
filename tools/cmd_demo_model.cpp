// m2vk demo-model: write a random-weight model folder in the real layout.
#include <cstdio>
#include <unistd.h>

#include "cli_args.hpp"
#include "command.hpp"
#include "m2vk/demo_model.hpp"

namespace {

using m2vk::cli::UsageError;

int run_demo_model(const std::vector<std::string>& args) {
  m2vk::cli::ArgParser p(
      "usage: m2vk demo-model DIR [--shape tiny|80m-32k] [--seed N] [--l-max N]\n"
      "Writes config.json (marked \"m2vk_random_weights\": true), model.safetensors and vocab.txt into DIR.\n"
      "The weights are seeded random values: every output computed from them is meaningless, and m2vk\n"
      "says so whenever it uses such a model.");
  p.option("--shape", "tiny (hidden 32, 2 layers, l_max 512; default) | 80m-32k (released 80M-32k shapes, ~440 MB)")
      .option("--seed", "random seed (default 0)")
      .option("--l-max", "override long_conv_l_max = max_position_embeddings");
  p.parse(args);
  if (p.help_requested()) {
    std::fputs(p.help_text().c_str(), stdout);
    return 0;
  }
  if (p.positional().size() != 1) throw UsageError("expected exactly one output directory");
  m2vk::DemoShape shape;
  try {
    shape = m2vk::parse_demo_shape(p.get_or("--shape", "tiny"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--shape: ") + e.what());
  }
  const uint64_t seed = static_cast<uint64_t>(p.get_int("--seed", 0, (1LL << 62)).value_or(0));
  std::optional<int64_t> l_max;
  if (auto n = p.get_int("--l-max", 1, 1 << 20)) l_max = *n;
  const m2vk::ModelConfig config = m2vk::demo_config(shape, l_max);
  const bool bar = ::isatty(2);
  m2vk::write_demo_model(p.positional()[0], config, seed, [bar](size_t done, size_t total) {
    if (bar) std::fprintf(stderr, "\rwriting tensors %zu/%zu%s", done, total, done == total ? "\n" : "");
  });
  std::fprintf(stderr, "wrote a RANDOM-weight demo model (%s, seed %llu) to %s\n", p.get_or("--shape", "tiny").c_str(),
               static_cast<unsigned long long>(seed), p.positional()[0].c_str());
  return 0;
}

}  // namespace

M2VK_COMMAND("demo-model", "write a random-weight model folder (for demos and tests)", run_demo_model);

// m2vk golden: run a golden set directory and report the scaled error of every expected tensor.
#include <cstdio>

#include "cli_args.hpp"
#include "command.hpp"
#include "model_flags.hpp"
#include "m2vk/golden.hpp"

namespace {

using m2vk::cli::UsageError;

int run_golden_cmd(const std::vector<std::string>& args) {
  m2vk::cli::ArgParser p(
      "usage: m2vk golden DIR [--device D] [--dump FILE] [--kernels auto|ours|vkfft]\n"
      "Runs a golden set (config.json, checkpoint/, expected*.safetensors) and prints, per expected tensor,\n"
      "max|out - ref| / max(1, max|ref|). Exit status 0 only if every tensor is produced and within 1e-4.");
  p.option("--device", "auto | cpu | gpu | gpu:SPEC | SPEC (index, UUID or name; default auto: the GPU when a "
                      "Vulkan device exists)")
      .option("--dump", "write the produced tensors to FILE (safetensors, same names); other expected_<x> "
                        "files go to FILE's stem + _<x>")
      .option("--tolerance", "pass threshold (default 1e-4)")
      .option("--kernels", m2vk::cli::kKernelsHelp);
  p.parse(args);
  if (p.help_requested()) {
    std::fputs(p.help_text().c_str(), stdout);
    return 0;
  }
  if (p.positional().size() != 1) throw UsageError("expected exactly one golden set directory");
  m2vk::GoldenOptions o;
  o.device = m2vk::cli::parse_device_flag(p);
  o.kernels = m2vk::cli::parse_kernels_flag(p);
  if (auto d = p.get("--dump")) o.dump = *d;
  if (auto t = p.get("--tolerance")) {
    try {
      o.tolerance = std::stod(*t);
    } catch (const std::exception&) {
      throw UsageError("--tolerance '" + *t + "' is not a number");
    }
  }
  const m2vk::GoldenReport r = m2vk::run_golden(p.positional()[0], o);
  for (const auto& n : r.notes) std::fprintf(stderr, "note: %s\n", n.c_str());
  size_t failed = 0;
  for (const auto& l : r.lines) {
    if (l.produced)
      std::printf("%-4s %-26s %-58s %.3e\n", l.pass ? "ok" : "FAIL", l.file.c_str(), l.tensor.c_str(), l.scaled_error);
    else
      std::printf("%-4s %-26s %-58s %s\n", "FAIL", l.file.c_str(), l.tensor.c_str(), l.problem.c_str());
    failed += l.pass ? 0 : 1;
  }
  for (const auto& d : r.dumped) std::fprintf(stderr, "wrote %s\n", d.string().c_str());
  std::printf("%s: %zu of %zu tensors within %.1e\n", r.ok ? "PASS" : "FAIL", r.lines.size() - failed, r.lines.size(),
              o.tolerance);
  return r.ok ? 0 : 1;
}

}  // namespace

M2VK_COMMAND("golden", "compare the forward pass with a golden set (exit 0 = all within 1e-4)", run_golden_cmd);

// m2vk compare: runs the GPU path and the CPU reference on the same inputs and prints, per layer
// and sub-step, the max absolute and scaled error and where it occurs; exits 1 above --threshold.
#include <cstdio>
#include <string>

#include "cli_args.hpp"
#include "command.hpp"
#include "model_flags.hpp"
#include "m2vk/gpu/compare.hpp"
#include "m2vk/gpu/gpu_model.hpp"
#include "m2vk/host/device_info.hpp"
#include "m2vk/model.hpp"
#include "m2vk/ref/forward.hpp"

namespace {

using m2vk::cli::UsageError;

int run_compare(const std::vector<std::string>& args) {
  m2vk::cli::ArgParser p(
      "usage: m2vk compare --model DIR [options] [TEXT...]\n"
      "Runs the GPU forward pass and the CPU reference (double accumulation) on the same tokenized\n"
      "TEXTs and prints, per intermediate tensor (embeddings, mixer in_linear, short conv, filters, long\n"
      "convs, mixer output, MLP, layer output, pooled), the max absolute error, the scaled error\n"
      "max|gpu - cpu| / max(1, max|cpu|) and where the worst element is. Exit status 1 when any scaled\n"
      "error exceeds --threshold.");
  p.option("--model", "model folder")
      .option("--device", "GPU to use: index, name substring or UUID (default: M2VK_DEVICE, CUDA_VISIBLE_DEVICES, best)")
      .option("--max-length", "truncate and pad to N tokens (default: the model's l_max)")
      .option("--padding", "max_length (default) | longest")
      .option("--threshold", "largest accepted scaled error (default 1e-4)");
  p.parse(args);
  if (p.help_requested()) {
    std::fputs(p.help_text().c_str(), stdout);
    return 0;
  }
  const auto dir = p.get("--model");
  if (!dir) throw UsageError("--model DIR is required");
  m2vk::RunOptions run = m2vk::cli::parse_run_options(p);
  double threshold = 1e-4;
  if (auto t = p.get("--threshold")) {
    try {
      threshold = std::stod(*t);
    } catch (const std::exception&) {
      throw UsageError("--threshold '" + *t + "': expected a number");
    }
    if (!(threshold >= 0)) throw UsageError("--threshold must be >= 0");
  }
  std::vector<m2vk::TextInput> texts;
  for (const auto& t : p.positional()) texts.push_back({t, std::nullopt});
  if (texts.empty())
    texts = {{"The quick brown fox jumps over the lazy dog.", std::nullopt},
             {"Monarch Mixer replaces attention with long convolutions.", std::nullopt}};

  m2vk::ModelLoadOptions lo;
  lo.device = m2vk::Device::parse("cpu");  // the tokenizer and weights; the GPU model is made below
  m2vk::Model model = m2vk::Model::load(*dir, lo);
  m2vk::gpu::GpuOptions go;
  go.device_spec = p.get_or("--device", "");
  m2vk::gpu::GpuModel gpu(model.config(), model.weights(), go);
  const m2vk::Batch batch = model.tokenize(texts, run);
  std::fprintf(stderr, "m2vk compare: %s on %s (%s), batch %lld x %lld tokens\n", dir->c_str(),
               gpu.device_info().name.c_str(), gpu.device_reason().c_str(), static_cast<long long>(batch.batch),
               static_cast<long long>(batch.length));

  m2vk::gpu::TensorComparer cmp(threshold);
  const m2vk::IntermediateSink ref_sink = cmp.reference_sink(), out_sink = cmp.output_sink();
  m2vk::ref::forward(model.config(), model.weights(), batch, &ref_sink);
  gpu.forward(batch, &out_sink);
  const m2vk::gpu::CompareReport r = cmp.report();

  std::printf("%-48s %-16s %11s %11s %11s  %s\n", "tensor", "shape", "max|ref|", "max abs err", "scaled err",
              "worst at");
  for (const auto& d : r.tensors) {
    if (!d.compared) {
      std::printf("%-48s %-16s %s\n", d.name.c_str(), m2vk::shape_to_string(d.shape).c_str(), d.problem.c_str());
      continue;
    }
    std::printf("%-48s %-16s %11.3e %11.3e %11.3e  %s%s\n", d.name.c_str(), m2vk::shape_to_string(d.shape).c_str(),
                d.ref_max, d.max_abs, d.scaled, d.where.c_str(), d.pass ? "" : "  ABOVE THRESHOLD");
  }
  std::printf("worst scaled error %.3e (%s), threshold %.1e: %s\n", r.worst_scaled, r.worst.c_str(), threshold,
              r.ok ? "PASS" : "FAIL");
  return r.ok ? 0 : 1;
}

}  // namespace

M2VK_COMMAND("compare", "GPU vs CPU reference per layer and sub-step (max/scaled error and where)", run_compare);

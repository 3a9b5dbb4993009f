// Runs a golden set directory (config.json, checkpoint/, inputs.json, expected*.safetensors; see
// tests/data/golden/README.md) and compares every expected tensor with what the forward pass
// produces: scaled error = max|out - ref| / max(1, max|ref|).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "m2vk/model.hpp"

namespace m2vk {

struct GoldenLine {
  std::string file;       // "expected.safetensors"
  std::string tensor;     // "encoder.layer.0.mixer.long_conv"
  bool produced = false;  // false: the forward pass has no tensor of that name / shape
  std::string problem;    // why not produced (shape mismatch, unknown name)
  double scaled_error = 0;
  bool pass = false;
};

struct GoldenReport {
  std::vector<GoldenLine> lines;
  std::vector<std::string> notes;  // model loading notes
  std::vector<std::filesystem::path> dumped;
  bool ok = false;  // every expected tensor produced and within tolerance
};

struct GoldenOptions {
  Device device;
  KernelPolicy kernels = KernelPolicy::Auto;  // GPU long convolution (ModelLoadOptions::kernels)
  double tolerance = 1e-4;
  // Writes the produced tensors (plus the inputs) of expected.safetensors to this file under the
  // expected names; other expected_<x>.safetensors go to <stem>_<x>.safetensors beside it.
  std::optional<std::filesystem::path> dump;
};

GoldenReport run_golden(const std::filesystem::path& dir, const GoldenOptions& options = {});

// max|a - b| / max(1, max|ref|); a and ref must have the same size.
double scaled_error(const std::vector<float>& out, const std::vector<float>& ref);

}  // namespace m2vk

// A float32 host tensor: the currency between the checkpoint binding, the CPU reference forward,
// the GPU path and the tools. Contiguous row-major; shape comments at each use say what the axes
// mean.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace m2vk {

struct FloatTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;

  FloatTensor() = default;
  explicit FloatTensor(std::vector<int64_t> s) : shape(std::move(s)), data(static_cast<size_t>(numel_of(shape)), 0.0f) {}
  FloatTensor(std::vector<int64_t> s, std::vector<float> d) : shape(std::move(s)), data(std::move(d)) {}

  int64_t numel() const { return numel_of(shape); }
  bool empty() const { return data.empty(); }
  float* ptr() { return data.data(); }
  const float* ptr() const { return data.data(); }

  static int64_t numel_of(const std::vector<int64_t>& s) {
    int64_t n = 1;
    for (int64_t d : s) n *= d;
    return n;
  }
};

// "[2, 37, 64]": shapes in error messages and reports.
std::string shape_to_string(const std::vector<int64_t>& shape);

// Receives named intermediate tensors during a forward pass (names as in the golden files:
// "embeddings.output", "encoder.layer.0.mixer.in_linear", ..., "pooled_output", "logits").
// The tensor is only valid during the call; copy what you keep.
using IntermediateSink = std::function<void(std::string_view name, const FloatTensor& value)>;

}  // namespace m2vk

// Tensor-by-tensor comparison of two forward passes (the GPU path against the CPU reference) over
// their named intermediates (golden-file names): max absolute error, scaled error
// max|out - ref| / max(1, max|ref|) (the golden tolerance's measure) and where the worst element
// sits as (batch, token, channel) for activations, (channel, lag) for filters.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "m2vk/tensor.hpp"

namespace m2vk::gpu {

struct TensorDiff {
  std::string name;
  std::vector<int64_t> shape;
  bool compared = false;   // false: missing on one side or shapes differ (see problem)
  std::string problem;
  double max_abs = 0.0;    // max |out - ref| (inf when out has NaN/Inf)
  double ref_max = 0.0;    // max |ref|
  double scaled = 0.0;     // max_abs / max(1, ref_max)
  std::string where;       // "batch 1, token 17, channel 40"
  bool pass = false;
};

struct CompareReport {
  std::vector<TensorDiff> tensors;  // in the reference's emission order
  double worst_scaled = 0.0;
  std::string worst;                // name of the worst tensor
  bool ok = false;                  // every tensor compared and within the threshold
};

// "batch b, token t, channel c" (or the axes the tensor `name` has) for flat index i.
std::string describe_position(const std::string& name, const std::vector<int64_t>& shape, std::size_t i);

// Collects the reference tensors, then compares the other run's tensors against them.
class TensorComparer {
 public:
  explicit TensorComparer(double threshold) : threshold_(threshold) {}
  // Sinks to pass to the two forward passes (reference first).
  IntermediateSink reference_sink();
  IntermediateSink output_sink();
  // Finishes: tensors the reference emitted but the output did not are reported as missing.
  CompareReport report() const;

 private:
  double threshold_;
  std::vector<std::string> order_;
  std::map<std::string, FloatTensor> ref_;
  std::map<std::string, TensorDiff> diffs_;
};

}  // namespace m2vk::gpu

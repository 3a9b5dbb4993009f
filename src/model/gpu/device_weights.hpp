// The model's weights on the device, uploaded once, in the argument structs the ops take.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "m2vk/host/host.hpp"
#include "m2vk/ops/embedding.hpp"
#include "m2vk/ops/gemm.hpp"
#include "m2vk/ops/hyena_filter.hpp"
#include "m2vk/ops/layer_norm.hpp"
#include "m2vk/ops/short_conv.hpp"
#include "m2vk/weights.hpp"

namespace m2vk::gpu {

struct DeviceFilter {
  host::BufferRange d;  // (H) skip gains
  // The implicit filter, evaluated on the device per length (ops::record_hyena_filter).
  ops::HyenaFilterTables tables;
  ops::HyenaFilterMlp fwd;
  std::optional<ops::HyenaFilterMlp> rev;  // bidirectional only
  // Hash (hex) of every weight the filter's spectra depend on (tables and MLPs, not d): what
  // the spectrum store keys its files by (m2vk/gpu/spectrum_store.hpp).
  std::string weights_hash;
};

struct DeviceLayer {
  ops::LinearWeights in_linear;   // H -> 3H
  ops::ShortConvWeights short_conv;
  ops::LinearWeights out_linear;  // H -> H
  DeviceFilter filter1;
  std::optional<DeviceFilter> filter2;
  ops::LinearWeights gated;       // H -> G (dense or block-diagonal), no bias
  ops::LinearWeights wo;          // I -> H
  ops::LayerNormWeights norm;
};

class DeviceWeights {
 public:
  // Uploads every tensor the forward pass reads. Throws std::runtime_error naming a tensor that
  // does not fit in one device buffer.
  DeviceWeights(host::Context& ctx, const ModelConfig& config, const ModelWeights& weights);

  ops::EmbeddingTables embeddings;
  std::vector<DeviceLayer> layers;
  std::optional<ops::LinearWeights> pooler;      // H -> H, tanh
  std::optional<ops::LinearWeights> classifier;  // H -> C
  std::uint64_t bytes() const { return bytes_; }

 private:
  host::BufferRange put(host::Context& ctx, const FloatTensor& t, const char* what);
  ops::LinearWeights linear(host::Context& ctx, const LinearWeights& w, const char* what);
  DeviceFilter filter(host::Context& ctx, const HyenaFilterWeights& f, const std::string& name);
  ops::HyenaFilterMlp mlp(host::Context& ctx, const FilterMlpWeights& m, const std::string& name);
  std::vector<host::Buffer> buffers_;
  std::uint64_t bytes_ = 0;
};

}  // namespace m2vk::gpu

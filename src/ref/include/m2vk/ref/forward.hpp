// CPU reference forward pass of M2-BERT (docs/m2bert-architecture.md section 3): plain C++, float32
// storage, double accumulation, double-precision filters and FFTs. No Vulkan.
#pragma once

#include "m2vk/batch.hpp"
#include "m2vk/config.hpp"
#include "m2vk/tensor.hpp"
#include "m2vk/weights.hpp"

namespace m2vk::ref {

// Runs the model on `batch` (validated first). When `sink` is given, every intermediate is handed
// to it under its golden-file name as soon as it exists (see m2vk/tensor.hpp). Pooled output
// (also emitted as "sentence_embedding") needs a pooler; logits need a classifier.
ForwardResult forward(const ModelConfig& config, const ModelWeights& weights, const Batch& batch,
                      const IntermediateSink* sink = nullptr);

}  // namespace m2vk::ref

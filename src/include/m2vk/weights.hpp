// Named M2-BERT weight structs, bound strictly from a checkpoint: every expected tensor present
// with the expected shape, every other tensor either skipped by a stated rule (and listed) or an
// error. Stored dtypes are converted to float32. Shared by the CPU reference and the GPU path.
// Shape comments use H hidden, I intermediate, V vocab, P positions, Lmax filter table length,
// E hyena_emb_dim, O hyena_filter_order, nb monarch blocks, C num_labels.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "m2vk/config.hpp"
#include "m2vk/tensor.hpp"

namespace m2vk {

// A missing, mis-shaped, unexpected or inconsistent checkpoint tensor.
struct WeightError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct EmbeddingWeights {
  FloatTensor word;         // (V, H)
  FloatTensor position;     // (P, H); empty without use_positional_encodings
  FloatTensor token_type;   // (type_vocab_size, H)
  FloatTensor ln_gamma;     // (H)
  FloatTensor ln_beta;      // (H)
};

// The small MLP that evaluates one direction of a Hyena implicit filter.
struct FilterMlpWeights {
  FloatTensor w0;  // (O, E)
  FloatTensor b0;  // (O)
  FloatTensor w2;  // (O, O)
  FloatTensor b2;  // (O)
  FloatTensor w4;  // (O, O)
  FloatTensor b4;  // (O)
  FloatTensor w6;  // (H, O)   no bias
};

struct HyenaFilterWeights {
  FloatTensor bias;    // (H)        D: per-channel skip gain
  FloatTensor z;       // (Lmax, E)  pos_emb.z without its leading 1 (trained: read, never regenerated)
  FloatTensor t;       // (Lmax)     pos_emb.t: normalised time
  FloatTensor deltas;  // (H)        modulation.deltas: decay rates (only |deltas| is used)
  FloatTensor freq;    // (O)        the one Sin frequency shared by all six Sin slots
  FilterMlpWeights fwd;                // implicit_filter
  std::optional<FilterMlpWeights> rev; // implicit_filter_rev (bidirectional only)
};

struct MixerWeights {
  FloatTensor in_w;     // (3H, H)
  FloatTensor in_b;     // (3H)
  FloatTensor short_w;  // (3H, 3)   depthwise causal taps; tap 2 multiplies the current position
  FloatTensor short_b;  // (3H)
  FloatTensor out_w;    // (H, H)
  FloatTensor out_b;    // (H)
  HyenaFilterWeights filter1;                // filter_fn
  std::optional<HyenaFilterWeights> filter2; // filter_fn2 (residual_long_conv only)
};

// A linear map that is either dense or block-diagonal (Monarch).
struct LinearWeights {
  bool blockdiag = false;
  FloatTensor w;  // dense (out, in) | block-diagonal (nb, out/nb, in/nb)
  FloatTensor b;  // (out) or empty
  int64_t in_features = 0;
  int64_t out_features = 0;
};

struct MlpWeights {
  LinearWeights gated;  // H -> 2I (GLU) or I (plain), no bias
  LinearWeights wo;     // I -> H, with bias
  FloatTensor ln_gamma; // (H)
  FloatTensor ln_beta;  // (H)
};

struct LayerWeights {
  MixerWeights mixer;
  MlpWeights mlp;
};

struct ModelWeights {
  EmbeddingWeights embeddings;
  std::vector<LayerWeights> layers;  // N
  FloatTensor pooler_w;              // (H, H); empty when the checkpoint has no pooler
  FloatTensor pooler_b;              // (H)
  FloatTensor classifier_w;          // (C, H); empty unless the model is a classifier
  FloatTensor classifier_b;          // (C)
  // Checkpoint tensors skipped by rule, each with the rule: "bert.embeddings.position_ids
  // (buffer 0..P-1, recomputed)".
  std::vector<std::string> skipped;

  bool has_pooler() const { return !pooler_w.empty(); }
  bool has_classifier() const { return !classifier_w.empty(); }
};

}  // namespace m2vk

namespace m2vk::loader {
class TensorStore;
}

namespace m2vk {

// Binds every tensor of `store` to `config` (validated first). Throws WeightError naming the tensor
// for: a missing tensor, a wrong shape ("expected [..], found [..]"), unexpected tensors (all
// listed), shared-Sin freq entries that disagree, non-float dtypes where floats are expected.
ModelWeights bind_weights(const ModelConfig& config, const loader::TensorStore& store);

// Name, shape and dtype ("F32" / "I64") of every tensor a checkpoint for `config` holds, in the
// state-dict order of the original classes (what `m2vk demo-model` writes).
struct TensorSpec {
  std::string name;
  std::vector<int64_t> shape;
  std::string dtype;
};
std::vector<TensorSpec> expected_tensor_specs(const ModelConfig& config);

}  // namespace m2vk

// The m2vk public API: load an M2-BERT model folder and compute sentence embeddings, classification
// logits or a full forward pass with its named intermediates.
//
//   auto model = m2vk::Model::load("m2-bert-80M-2k-retrieval");
//   m2vk::EmbedResult e = model.embed({"first text", "second text"});
//   // e.data: (2, 768) row-major; e.random_weights is true for `m2vk demo-model` folders.
//
// The library never prints; progress is reported through callbacks, errors are exceptions derived
// from std::runtime_error whose message names the file, tensor, field or value at fault.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "m2vk/batch.hpp"
#include "m2vk/config.hpp"
#include "m2vk/gpu/gpu_model.hpp"
#include "m2vk/kernel_policy.hpp"
#include "m2vk/tensor.hpp"
#include "m2vk/weights.hpp"

namespace m2vk::tok {
class WordPieceTokenizer;  // m2vk/tokenizer.hpp
}  // namespace m2vk::tok

namespace m2vk {

// Where the forward pass runs. "cpu" is the double-accumulating reference path. "gpu" / "gpu:SPEC" /
// "SPEC" select a Vulkan device, SPEC being an index, a UUID (prefix) or a name substring as in
// the host runtime; plain "gpu" follows M2VK_DEVICE, then CUDA_VISIBLE_DEVICES, then the best device
// (src/model/gpu/include/m2vk/gpu/device_choice.hpp). "auto" resolves to the GPU when a Vulkan
// device exists (lavapipe counts), else the CPU; M2VK_DEVICE=cpu makes "auto" the CPU.
struct Device {
  enum class Kind { Auto, Cpu, Gpu };
  Kind kind = Kind::Auto;
  int index = -1;    // GPU index, -1 = default
  std::string spec;  // GPU name substring or UUID when not chosen by index

  // Parses "auto", "cpu", "gpu", "gpu:SPEC" or "SPEC"; throws std::invalid_argument naming the text.
  static Device parse(std::string_view text);
  std::string to_string() const;
  // Auto -> the device that will actually be used; a GPU request -> the chosen index. Throws
  // DeviceUnavailable when no Vulkan device exists or SPEC matches none (listing the devices).
  Device resolve() const;
};

struct DeviceUnavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// True when a Vulkan device exists for the GPU forward path (the hook "auto" consults).
bool gpu_path_available();

// How rows are padded before the forward pass. Nothing in M2-BERT masks padding, so the padded
// length changes bidirectional models' outputs (docs/m2bert-architecture.md 7.1).
enum class PaddingMode {
  MaxLength,  // reference-faithful default: every row padded to max_length (default: the model's l_max)
  Longest,    // opt-in: pad to the longest row of each batch; faster, but outputs then differ from the
              // reference and depend on which texts share a batch
};

struct ProgressInfo {
  size_t done = 0;   // texts finished
  size_t total = 0;  // texts requested
};
using ProgressFn = std::function<void(const ProgressInfo&)>;

struct RunOptions {
  PaddingMode padding = PaddingMode::MaxLength;
  std::optional<int64_t> max_length;  // truncate (keeping the final [SEP]) and pad to this; <= l_max
  size_t batch_size = 8;              // texts per forward pass
  bool normalize = false;             // embed(): L2-normalise each embedding
  ProgressFn progress;                // called after each batch
  bool profile = false;               // GPU: per-op GPU times summed into EmbedResult::profile
};

struct EmbedResult {
  int64_t count = 0;                // N texts, in input order
  int64_t dim = 0;                  // H
  std::vector<float> data;          // (N, H) row-major: the pooled output (= sentence_embedding)
  std::vector<int64_t> tokens;      // real tokens per text, incl. [CLS]/[SEP]
  std::vector<bool> truncated;      // text was longer than the padded length
  int64_t padded_length = 0;        // L of the last batch (all batches with MaxLength)
  bool normalized = false;
  bool random_weights = false;      // the model is a random-weight demo model: values mean nothing
  gpu::GpuProfile profile;          // RunOptions::profile on the GPU: op times summed over batches
};

// The L2-normalised copy of an embedding (norm accumulated in double; a zero vector stays zero):
// what RunOptions::normalize applies.
std::vector<float> l2_normalized(std::span<const float> v);
// Softmax probabilities of logits, in double, shifted by the largest logit: ClassifyResult::scores.
std::vector<float> softmax(std::span<const float> logits);

struct TextInput {
  std::string text;
  std::optional<std::string> pair;  // second segment (token type 1), for sentence-pair classifiers
};

struct ClassifyResult {
  int64_t count = 0;
  int64_t num_labels = 0;            // 1: regression (scores = logits)
  std::vector<float> logits;         // (N, C)
  std::vector<float> scores;         // (N, C) softmax of the logits (C > 1) or the logit (C == 1)
  std::vector<int64_t> predicted;    // argmax per text (0 for regression)
  std::vector<std::string> labels;   // id2label of each class, C entries ("LABEL_i" when absent)
  std::vector<int64_t> tokens;
  std::vector<bool> truncated;
  bool random_weights = false;
};

struct ModelLoadOptions {
  Device device;                 // default "auto"
  bool use_cache = true;         // loader: keep a safetensors cache of .bin/.pt checkpoints
  // GPU: device bytes for cached Hyena filter spectra (all 24 of the 80M model at 32k tokens take
  // 4.8 GB). Unset: from the memory the device really has (m2vk/gpu/spectrum_budget.hpp: half of
  // the available host memory on a CPU device; a GPU's heap less the weights and a quarter). A
  // smaller budget trades memory for time: each layer's spectra are then rebuilt on the device
  // every forward pass.
  std::optional<std::uint64_t> spectrum_budget_bytes;
  // GPU: cap in bytes of the filter spectra kept on disk between processes (beside the pipeline
  // cache; m2vk/gpu/spectrum_store.hpp), so a new process at a length another one ran does not
  // rebuild them. Unset: 4 GiB on a CPU device, off on a GPU (M2VK_SPECTRUM_CACHE_MB overrides
  // that default); 0: off.
  std::optional<std::uint64_t> spectrum_cache_bytes;
  // GPU: run the GEMMs with fp16 inputs and fp32 accumulation on cooperative matrices (tensor
  // cores) where the device has them (VK_NV_cooperative_matrix, subgroup size 32); elsewhere fp32.
  // notes() says which ran. Error against fp32: src/ops/README-layer-ops.md.
  bool reduced_precision = false;
  // GPU long convolution: auto (time ours and VkFFT at first use of each FFT size on the device,
  // keep the faster, remember it on disk), ours or vkfft (m2vk/gpu/kernel_choice.hpp).
  KernelPolicy kernels = KernelPolicy::Auto;
  // GPU fp32 GEMMs: auto (time the device's kernel families at first use of each GEMM shape,
  // keep the fastest, remember it on disk) or one family forced (m2vk/gpu/kernel_choice.hpp).
  ops::GemmKernel gemm = ops::GemmKernel::Auto;
};

// Thread safety: a loaded Model may be shared by several threads. embed(), classify(), tokenize()
// and forward() are safe to call concurrently; GPU forward passes take turns on the device (one at
// a time, in lock order), tokenization and the CPU reference run in parallel. Moving or destroying
// a Model while another thread uses it is not safe.
class Model {
 public:
  // Loads config.json (or infers it from the tensor shapes), the checkpoint (found by what the
  // folder holds: model.safetensors, model.safetensors.index.json, pytorch_model.bin, model.pt,
  // *.npz, directly or under checkpoint/), binds the weights strictly, and the tokenizer
  // (tokenizer.json, vocab.txt, else the builtin bert-base-uncased vocabulary).
  static Model load(const std::filesystem::path& dir, const ModelLoadOptions& options = {});

  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();

  const ModelConfig& config() const;
  const ModelWeights& weights() const;
  Device device() const;                      // resolved device
  bool random_weights() const;                // config says m2vk_random_weights
  // What loading decided on its own: assumed config fields, skipped tensors, tokenizer source, cache.
  const std::vector<std::string>& notes() const;
  // Where load() spent its wall time, in order: "device discovery", "checkpoint read", "config +
  // bind", "tokenizer", and on a GPU "device context" and "weights upload" (GpuModel).
  const std::vector<gpu::StageTime>& load_stages() const;
  // The padded length MaxLength padding uses when no max_length is given: min(l_max, P).
  int64_t max_length() const;

  EmbedResult embed(const std::vector<std::string>& texts, const RunOptions& options = {}) const;
  ClassifyResult classify(const std::vector<TextInput>& inputs, const RunOptions& options = {}) const;
  // Tokenized rows (as embed() would feed them) for inspection and tests.
  Batch tokenize(const std::vector<TextInput>& inputs, const RunOptions& options) const;
  // One forward pass; `sink` receives every named intermediate; `profile` (GPU only) the op times.
  ForwardResult forward(const Batch& batch, const IntermediateSink* sink = nullptr,
                        gpu::GpuProfile* profile = nullptr, ForwardOutputs outputs = ForwardOutputs::All) const;
  // The tokenizer tokenize() and embed() use (immutable: safe to share between threads), for front
  // ends that validate and batch token ids themselves before calling forward().
  const tok::WordPieceTokenizer& tokenizer() const;
  // The GPU forward pass (device, memory figures), or nullptr on the CPU.
  gpu::GpuModel* gpu_model() const;

 private:
  struct Impl;
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The parts of a model folder without the tokenizer (what `m2vk golden` and tests bind).
struct ModelParts {
  ModelConfig config;
  ModelWeights weights;
  std::vector<std::string> notes;
  std::vector<gpu::StageTime> load_stages;  // wall time of "checkpoint read" and "config + bind"
};
// config.json in `dir` (or inferred), checkpoint in `checkpoint_dir_or_file` (default: found in
// dir or dir/checkpoint).
ModelParts load_model_parts(const std::filesystem::path& dir, const ModelLoadOptions& options = {});

// The folder or file holding the checkpoint of model folder `dir`; throws std::runtime_error listing
// what was looked for where.
std::filesystem::path find_checkpoint(const std::filesystem::path& dir);

}  // namespace m2vk

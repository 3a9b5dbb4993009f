// Model: the public API over config + weights + tokenizer, dispatching the forward pass to the CPU
// reference (and, once it exists, the GPU path).
#include "m2vk/model.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <stdexcept>
#include <string>

#include "m2vk/ops/gemm_precision.hpp"
#include "m2vk/ref/forward.hpp"
#include "m2vk/tokenizer.hpp"

namespace m2vk {

struct Model::Impl {
  ModelParts parts;
  std::optional<tok::WordPieceTokenizer> tokenizer;
  Device device;
  std::unique_ptr<gpu::GpuModel> gpu;  // Device::Kind::Gpu: holds references into `parts`
  // The GPU forward pass reuses per-(batch, length) buffers and one queue: passes from several
  // threads take turns. The tokenizer and the CPU reference keep no mutable state.
  std::mutex gpu_forward;
};

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

Model Model::load(const std::filesystem::path& dir, const ModelLoadOptions& options) {
  auto impl = std::make_unique<Impl>();
  auto t0 = std::chrono::steady_clock::now();
  impl->device = options.device.resolve();  // a GPU request fails before any loading work
  const double discovery_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  impl->parts = load_model_parts(dir, options);
  auto& stages = impl->parts.load_stages;
  stages.insert(stages.begin(), gpu::StageTime{"device discovery", discovery_ms, 1});
  t0 = std::chrono::steady_clock::now();
  std::error_code ec;
  const std::filesystem::path base = std::filesystem::is_directory(dir, ec) ? dir : dir.parent_path();
  impl->tokenizer = tok::WordPieceTokenizer::from_model_dir(base);
  impl->parts.notes.push_back("tokenizer: " + impl->tokenizer->source());
  gpu::add_stage_time(stages, "tokenizer", std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  if (impl->device.kind == Device::Kind::Gpu) {
    gpu::GpuOptions go;
    // The request as given ("" for auto / plain "gpu"), so the device choice can say why.
    const Device& req = options.device;
    go.device_spec = !req.spec.empty() ? req.spec : req.index >= 0 ? std::to_string(req.index) : "";
    if (options.spectrum_budget_bytes) go.spectrum_budget_bytes = std::max<std::uint64_t>(*options.spectrum_budget_bytes, 1);
    go.spectrum_store_bytes = options.spectrum_cache_bytes;
    if (options.reduced_precision) go.gemm_precision = ops::Precision::FP16CoopMat;
    go.kernels = options.kernels;
    go.gemm_kernel = options.gemm;
    impl->gpu = std::make_unique<gpu::GpuModel>(impl->parts.config, impl->parts.weights, go);
    for (const auto& s : impl->gpu->load_stages()) stages.push_back(s);
    impl->parts.notes.push_back("device: " + impl->gpu->device_info().name + " (" + impl->gpu->device_reason() + ")");
    if (options.reduced_precision) {
      const std::string why = impl->gpu->gemm_precision_fallback();
      impl->parts.notes.push_back("GEMM precision: " + std::string(ops::precision_name(impl->gpu->gemm_precision())) +
                                  (why.empty() ? "" : " (fp16-coopmat unavailable: " + why + ")"));
    }
  }
  return Model(std::move(impl));
}

const ModelConfig& Model::config() const { return impl_->parts.config; }
const ModelWeights& Model::weights() const { return impl_->parts.weights; }
Device Model::device() const { return impl_->device; }
bool Model::random_weights() const { return impl_->parts.config.random_weights; }
const std::vector<std::string>& Model::notes() const { return impl_->parts.notes; }
const std::vector<gpu::StageTime>& Model::load_stages() const { return impl_->parts.load_stages; }
int64_t Model::max_length() const { return Batch::max_length(impl_->parts.config); }

ForwardResult Model::forward(const Batch& batch, const IntermediateSink* sink, gpu::GpuProfile* profile,
                             ForwardOutputs outputs) const {
  if (impl_->gpu) {
    std::lock_guard<std::mutex> lock(impl_->gpu_forward);
    return impl_->gpu->forward(batch, sink, profile, outputs);
  }
  return ref::forward(impl_->parts.config, impl_->parts.weights, batch, sink);
}

gpu::GpuModel* Model::gpu_model() const { return impl_->gpu.get(); }
const tok::WordPieceTokenizer& Model::tokenizer() const { return *impl_->tokenizer; }

Batch Model::tokenize(const std::vector<TextInput>& inputs, const RunOptions& options) const {
  const int64_t limit = max_length();
  int64_t target = limit;
  if (options.max_length) {
    if (*options.max_length < 2 || *options.max_length > limit)
      throw std::invalid_argument("max_length " + std::to_string(*options.max_length) + " is outside [2, " +
                                  std::to_string(limit) + "] (the model's l_max)");
    target = *options.max_length;
  }
  if (inputs.empty()) throw std::invalid_argument("tokenize: no input texts");
  tok::EncodeOptions eo;
  eo.add_special_tokens = true;
  eo.max_length = static_cast<size_t>(target);
  eo.truncation = true;
  std::vector<tok::Encoding> enc;
  enc.reserve(inputs.size());
  for (const auto& in : inputs) {
    std::optional<std::string_view> pair;
    if (in.pair) pair = *in.pair;
    enc.push_back(impl_->tokenizer->encode(in.text, pair, eo));
  }
  std::vector<TokenRow> rows(enc.size());
  std::vector<const TokenRow*> ptrs;
  int64_t L = options.padding == PaddingMode::Longest ? 1 : target;
  for (size_t r = 0; r < enc.size(); ++r) {
    rows[r] = {std::move(enc[r].input_ids), std::move(enc[r].token_type_ids)};
    ptrs.push_back(&rows[r]);
    if (options.padding == PaddingMode::Longest) L = std::max<int64_t>(L, static_cast<int64_t>(rows[r].ids.size()));
  }
  return Batch::pack(ptrs, L, static_cast<int32_t>(impl_->parts.config.pad_token_id));
}

std::vector<float> l2_normalized(std::span<const float> v) {
  double s = 0;
  for (float x : v) s += static_cast<double>(x) * x;
  const double norm = s > 0 ? std::sqrt(s) : 1.0;
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = static_cast<float>(v[i] / norm);
  return out;
}

std::vector<float> softmax(std::span<const float> logits) {
  if (logits.empty()) return {};
  const double top = *std::max_element(logits.begin(), logits.end());
  double denom = 0;
  for (float l : logits) denom += std::exp(static_cast<double>(l) - top);
  std::vector<float> out(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) out[i] = static_cast<float>(std::exp(static_cast<double>(logits[i]) - top) / denom);
  return out;
}

namespace {

// Real tokens per row and whether truncation removed some (the text alone, untruncated, is longer).
void count_tokens(const tok::WordPieceTokenizer& tk, const std::vector<TextInput>& inputs, const Batch& b,
                  std::vector<int64_t>& tokens, std::vector<bool>& truncated) {
  for (size_t r = 0; r < inputs.size(); ++r) {
    int64_t real = 0;
    for (int64_t t = 0; t < b.length; ++t) real += b.attention_mask[r * static_cast<size_t>(b.length) + t];
    tokens.push_back(real);
    std::optional<std::string_view> pair;
    if (inputs[r].pair) pair = *inputs[r].pair;
    truncated.push_back(static_cast<int64_t>(tk.encode(inputs[r].text, pair).input_ids.size()) > real);
  }
}

template <typename Fn>
void for_each_chunk(size_t total, size_t batch_size, const ProgressFn& progress, Fn&& fn) {
  if (batch_size == 0) throw std::invalid_argument("batch_size must be at least 1");
  for (size_t begin = 0; begin < total; begin += batch_size) {
    const size_t end = std::min(total, begin + batch_size);
    fn(begin, end);
    if (progress) progress({end, total});
  }
}

}  // namespace

EmbedResult Model::embed(const std::vector<std::string>& texts, const RunOptions& options) const {
  if (!weights().has_pooler())
    throw std::runtime_error("model has no pooler (bert.pooler.dense.*): it cannot produce sentence embeddings");
  EmbedResult r;
  r.count = static_cast<int64_t>(texts.size());
  r.dim = config().hidden_size;
  r.normalized = options.normalize;
  r.random_weights = random_weights();
  r.data.reserve(texts.size() * static_cast<size_t>(r.dim));
  for_each_chunk(texts.size(), options.batch_size, options.progress, [&](size_t b0, size_t b1) {
    std::vector<TextInput> chunk;
    for (size_t i = b0; i < b1; ++i) chunk.push_back({texts[i], std::nullopt});
    Batch batch = tokenize(chunk, options);
    count_tokens(*impl_->tokenizer, chunk, batch, r.tokens, r.truncated);
    r.padded_length = batch.length;
    ForwardResult out = forward(batch, nullptr, options.profile ? &r.profile : nullptr, ForwardOutputs::Heads);
    for (int64_t row = 0; row < batch.batch; ++row) {
      const std::span<const float> p(out.pooled.ptr() + row * r.dim, static_cast<size_t>(r.dim));
      if (options.normalize) {
        const std::vector<float> unit = l2_normalized(p);
        r.data.insert(r.data.end(), unit.begin(), unit.end());
      } else {
        r.data.insert(r.data.end(), p.begin(), p.end());
      }
    }
  });
  return r;
}

ClassifyResult Model::classify(const std::vector<TextInput>& inputs, const RunOptions& options) const {
  if (!weights().has_classifier())
    throw std::runtime_error("model has no classification head (classifier.weight); " +
                             std::string(config().is_text_encoder() ? "it is a retrieval model: use embed"
                                                                    : "its config declares no labels"));
  ClassifyResult r;
  const int64_t C = weights().classifier_w.shape.at(0);
  r.count = static_cast<int64_t>(inputs.size());
  r.num_labels = C;
  r.random_weights = random_weights();
  for (int64_t c = 0; c < C; ++c) r.labels.push_back(config().label(c));
  for_each_chunk(inputs.size(), options.batch_size, options.progress, [&](size_t b0, size_t b1) {
    std::vector<TextInput> chunk(inputs.begin() + static_cast<std::ptrdiff_t>(b0),
                                 inputs.begin() + static_cast<std::ptrdiff_t>(b1));
    Batch batch = tokenize(chunk, options);
    count_tokens(*impl_->tokenizer, chunk, batch, r.tokens, r.truncated);
    ForwardResult out = forward(batch, nullptr, nullptr, ForwardOutputs::Heads);
    for (int64_t row = 0; row < batch.batch; ++row) {
      const float* l = out.logits.ptr() + row * C;
      r.logits.insert(r.logits.end(), l, l + C);
      const int64_t best = std::max_element(l, l + C) - l;
      r.predicted.push_back(C == 1 ? 0 : best);
      if (C == 1) {
        r.scores.push_back(l[0]);  // regression: the logit is the prediction
        continue;
      }
      const std::vector<float> p = softmax({l, static_cast<size_t>(C)});
      r.scores.insert(r.scores.end(), p.begin(), p.end());
    }
  });
  return r;
}

}  // namespace m2vk

// Random-weight model folders in the real layout (config.json, model.safetensors, vocab.txt), for
// demos, tests and benchmarks without downloading a checkpoint. Every value is deterministic in
// (seed, tensor name). The config carries "m2vk_random_weights": true so that every consumer can
// say its outputs mean nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "m2vk/config.hpp"
#include "m2vk/weights.hpp"

namespace m2vk {

enum class DemoShape {
  Tiny,     // hidden 32, 2 layers, l_max 512, bert-base-uncased vocabulary: fast anywhere
  M80M32k,  // the released togethercomputer/m2-bert-80M-32k-retrieval shapes (about 440 MB)
};

// "tiny" / "80m-32k"; throws std::invalid_argument listing the choices.
DemoShape parse_demo_shape(std::string_view name);

// The config of a demo shape (a BertForTextEncoding retrieval model). l_max overrides
// long_conv_l_max and max_position_embeddings.
ModelConfig demo_config(DemoShape shape, std::optional<int64_t> l_max = std::nullopt);

// config.json text holding every field of docs/m2bert-architecture.md section 2.
std::string config_to_json(const ModelConfig& config);

// Fills the bytes of one tensor of expected_tensor_specs(config) with its demo value: buffers by
// their formulas (position_ids, pos_emb.t, modulation.deltas), pos_emb.z by its initial formula,
// the Sin freq = hyena_w, LayerNorm near (1, 0), linear weights U(+-1/sqrt(fan_in)), embeddings
// N(0, 0.02) with the padding row zero.
void fill_demo_tensor(const ModelConfig& config, const TensorSpec& spec, uint64_t seed, std::span<std::byte> out);

// Writes config.json, model.safetensors and (if the vocabulary fits) vocab.txt into dir (created if
// needed), each file atomically. Progress: tensors written so far of total.
void write_demo_model(const std::filesystem::path& dir, const ModelConfig& config, uint64_t seed,
                      const std::function<void(size_t done, size_t total)>& progress = {});

}  // namespace m2vk

// Model folders: where the checkpoint and config are, and binding them into ModelParts.
#include <chrono>
#include <filesystem>
#include <string>

#include "m2vk/loader/tensor_store.hpp"
#include "m2vk/model.hpp"

namespace m2vk {

namespace fs = std::filesystem;

namespace {

// The loader's folder rule (loader/include/m2vk/loader/tensor_store.hpp).
bool holds_checkpoint(const fs::path& dir) {
  std::error_code ec;
  for (const char* name : {"model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "model.pt"})
    if (fs::is_regular_file(dir / name, ec)) return true;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file(ec) && e.path().extension() == ".npz") return true;
  return false;
}

}  // namespace

fs::path find_checkpoint(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_regular_file(dir, ec)) return dir;
  if (!fs::is_directory(dir, ec)) throw std::runtime_error("model folder " + dir.string() + " does not exist");
  if (holds_checkpoint(dir)) return dir;
  if (fs::is_directory(dir / "checkpoint", ec) && holds_checkpoint(dir / "checkpoint")) return dir / "checkpoint";
  throw std::runtime_error("no checkpoint in model folder " + dir.string() +
                           ": looked for model.safetensors, model.safetensors.index.json, pytorch_model.bin, "
                           "model.pt and *.npz in it and in its checkpoint/ subfolder");
}

ModelParts load_model_parts(const fs::path& dir, const ModelLoadOptions& options) {
  ModelParts parts;
  const fs::path ckpt = find_checkpoint(dir);
  loader::LoadOptions lo;
  lo.use_cache = options.use_cache;
  auto t0 = std::chrono::steady_clock::now();
  auto lap = [&](const char* stage) {
    const auto now = std::chrono::steady_clock::now();
    gpu::add_stage_time(parts.load_stages, stage, std::chrono::duration<double, std::milli>(now - t0).count());
    t0 = now;
  };
  loader::TensorStore store = loader::load_checkpoint(ckpt, lo);
  lap("checkpoint read");
  for (const auto& n : store.notes()) parts.notes.push_back("loader: " + n);

  std::error_code ec;
  const fs::path base = fs::is_directory(dir, ec) ? dir : dir.parent_path();
  fs::path config_file;
  for (const fs::path& candidate : {base / "config.json", ckpt / "config.json"})
    if (fs::is_regular_file(candidate, ec)) {
      config_file = candidate;
      break;
    }
  if (!config_file.empty()) {
    parts.config = load_config_file(config_file);
    parts.config.validate();
    // A classifier whose config does not list its labels: take the count from the checkpoint.
    if (parts.config.num_labels == 0 && !parts.config.is_text_encoder())
      if (const loader::Tensor* cls = store.find("classifier.weight"); cls && cls->shape.size() == 2) {
        parts.config.num_labels = cls->shape[0];
        parts.notes.push_back("num_labels=" + std::to_string(cls->shape[0]) + " taken from classifier.weight");
      }
    check_config_against_checkpoint(parts.config, store);
  } else {
    InferredConfig inferred = infer_config(store);
    parts.config = inferred.config;
    parts.config.validate();
    std::string assumed;
    for (const auto& a : inferred.assumed) assumed += (assumed.empty() ? "" : ", ") + a;
    parts.notes.push_back("no config.json in " + base.string() + ": configuration inferred from tensor shapes; assumed " +
                          assumed);
  }
  parts.weights = bind_weights(parts.config, store);
  for (const auto& s : parts.weights.skipped) parts.notes.push_back("skipped tensor " + s);
  lap("config + bind");
  return parts;
}

}  // namespace m2vk

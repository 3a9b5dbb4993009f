// Golden-set runner. Each expected file carries its own inputs (input_ids, token_type_ids,
// attention_mask); `unpadded.{b}.*` names ask for row b run alone without padding.
#include "m2vk/golden.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <set>

#include "m2vk/loader/safetensors.hpp"
#include "m2vk/loader/tensor_store.hpp"
#include "m2vk/ref/forward.hpp"

namespace m2vk {

namespace fs = std::filesystem;

double scaled_error(const std::vector<float>& out, const std::vector<float>& ref) {
  double diff = 0, mag = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double d = std::fabs(static_cast<double>(out[i]) - ref[i]);
    diff = std::isnan(d) ? INFINITY : std::max(diff, d);
    mag = std::max(mag, std::fabs(static_cast<double>(ref[i])));
  }
  return diff / std::max(1.0, mag);
}

namespace {

std::vector<int32_t> int_array(const loader::TensorStore& s, const std::string& name, const fs::path& file) {
  const loader::Tensor* t = s.find(name);
  if (!t || t->shape.size() != 2) throw std::runtime_error(file.string() + ": no 2-D input tensor '" + name + "'");
  std::vector<float> v = loader::to_float32(*t);
  return std::vector<int32_t>(v.begin(), v.end());
}

using Produced = std::map<std::string, FloatTensor>;
using ForwardFn = std::function<ForwardResult(const Batch&, const IntermediateSink*)>;

// Runs the batch of one expected file and, if asked, each row alone without padding.
Produced produce(const ForwardFn& forward, const loader::TensorStore& expected, const fs::path& file) {
  Batch b;
  b.input_ids = int_array(expected, "input_ids", file);
  b.batch = expected.at("input_ids").shape[0];
  b.length = expected.at("input_ids").shape[1];
  if (expected.find("token_type_ids")) b.token_type_ids = int_array(expected, "token_type_ids", file);
  if (expected.find("attention_mask")) b.attention_mask = int_array(expected, "attention_mask", file);
  Produced out;
  IntermediateSink sink = [&](std::string_view name, const FloatTensor& t) { out[std::string(name)] = t; };
  forward(b, &sink);

  std::set<int64_t> rows;
  for (const auto& t : expected.tensors())
    if (t.name.rfind("unpadded.", 0) == 0) rows.insert(std::stoll(t.name.substr(9)));
  for (int64_t r : rows) {
    if (r < 0 || r >= b.batch) continue;
    Batch one;
    one.batch = 1;
    int64_t n = 0;
    for (int64_t t = 0; t < b.length; ++t) n += b.attention_mask.empty() ? 1 : b.attention_mask[r * b.length + t];
    one.length = n;
    for (int64_t t = 0; t < n; ++t) {
      one.input_ids.push_back(b.input_ids[r * b.length + t]);
      one.token_type_ids.push_back(b.token_type_ids.empty() ? 0 : b.token_type_ids[r * b.length + t]);
      one.attention_mask.push_back(1);
    }
    const std::string prefix = "unpadded." + std::to_string(r) + ".";
    ForwardResult res = forward(one, nullptr);
    out[prefix + "last_hidden_state"] = res.last_hidden_state;
    if (!res.pooled.empty()) out[prefix + "pooled_output"] = res.pooled;
  }
  return out;
}

void dump(const fs::path& path, const Produced& produced, const loader::TensorStore& expected,
          const fs::path& source, const std::string& producer) {
  std::vector<loader::TensorToWrite> tensors;
  for (const auto& [name, t] : produced) {
    const FloatTensor* tp = &t;
    tensors.push_back({name, loader::DType::F32, t.shape, [tp](std::span<std::byte> dst) {
                         std::memcpy(dst.data(), tp->data.data(), dst.size());
                       }});
  }
  for (const char* name : {"input_ids", "token_type_ids", "attention_mask"})
    if (const loader::Tensor* t = expected.find(name)) {
      tensors.push_back({name, t->dtype, t->shape, [t](std::span<std::byte> dst) {
                           std::memcpy(dst.data(), t->bytes.data(), dst.size());
                         }});
    }
  loader::write_safetensors(path, tensors, {{"source", source.string()}, {"producer", producer}});
}

}  // namespace

GoldenReport run_golden(const fs::path& dir, const GoldenOptions& options) {
  const Device device = options.device.resolve();
  GoldenReport report;
  ModelLoadOptions lo;
  lo.device = options.device;
  // Never write a safetensors cache into a golden folder (it may be part of a source tree).
  lo.use_cache = false;
  ModelParts parts = load_model_parts(dir, lo);
  report.notes = parts.notes;
  std::unique_ptr<gpu::GpuModel> gpu_model;
  std::string producer = "m2vk golden (cpu reference)";
  if (device.kind == Device::Kind::Gpu) {
    gpu::GpuOptions go;
    const Device& req = options.device;
    go.device_spec = !req.spec.empty() ? req.spec : req.index >= 0 ? std::to_string(req.index) : "";
    go.kernels = options.kernels;
    gpu_model = std::make_unique<gpu::GpuModel>(parts.config, parts.weights, go);
    producer = "m2vk golden (gpu: " + gpu_model->device_info().name + ")";
    report.notes.push_back("device: " + gpu_model->device_info().name + " (" + gpu_model->device_reason() + ")");
  }
  const ForwardFn forward = [&](const Batch& b, const IntermediateSink* sink) {
    return gpu_model ? gpu_model->forward(b, sink) : ref::forward(parts.config, parts.weights, b, sink);
  };

  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.rfind("expected", 0) == 0 && e.path().extension() == ".safetensors")
      files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw std::runtime_error("golden set " + dir.string() + " has no expected*.safetensors file");

  report.ok = true;
  for (const fs::path& file : files) {
    loader::TensorStore expected = loader::load_safetensors(file);
    Produced produced = produce(forward, expected, file);
    for (const auto& t : expected.tensors()) {
      if (t.name == "input_ids" || t.name == "token_type_ids" || t.name == "attention_mask") continue;
      GoldenLine line;
      line.file = file.filename().string();
      line.tensor = t.name;
      auto it = produced.find(t.name);
      if (it == produced.end()) {
        line.problem = "not produced by this model/forward pass";
      } else if (it->second.shape != t.shape) {
        line.problem = "shape " + shape_to_string(it->second.shape) + ", expected " + shape_to_string(t.shape);
      } else {
        line.produced = true;
        line.scaled_error = scaled_error(it->second.data, loader::to_float32(t));
        line.pass = line.scaled_error <= options.tolerance;
      }
      report.ok = report.ok && line.pass;
      report.lines.push_back(line);
    }
    if (options.dump) {
      fs::path out = *options.dump;
      const std::string stem = file.stem().string();
      if (stem != "expected") {
        const std::string suffix = stem.rfind("expected_", 0) == 0 ? stem.substr(9) : stem;
        out = out.parent_path() / (out.stem().string() + "_" + suffix + out.extension().string());
      }
      dump(out, produced, expected, file, producer);
      report.dumped.push_back(out);
    }
  }
  if (gpu_model)
    for (const gpu::FftChoice& c : gpu_model->fft_choices()) report.notes.push_back(gpu::describe(c));
  return report;
}

}  // namespace m2vk

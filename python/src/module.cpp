// The `m2vk._core` extension: a thin pybind11 layer over the public C++ API (m2vk/model.hpp).
// Argument checking, sentence-transformers' names and the progress bar live in the pure-Python
// package (python/m2vk/__init__.py); this file converts types, releases the GIL while the library
// works and maps the library's exceptions onto Python ones.
//
// Thread safety: Model::embed/classify/tokenize are safe to call concurrently (the library
// serialises GPU passes on a mutex), so every call here runs with the GIL released. close() only
// drops this handle's reference: a call already running keeps the model alive until it returns.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "m2vk/host/device_info.hpp"
#include "m2vk/model.hpp"

namespace py = pybind11;

namespace {

// Raised for "the requested device does not exist"; a RuntimeError subclass on the Python side.
PyObject* g_device_error = nullptr;

py::array_t<float> to_array(const std::vector<float>& data, int64_t rows, int64_t cols) {
  py::array_t<float> out({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(cols)});
  if (!data.empty()) std::memcpy(out.mutable_data(), data.data(), data.size() * sizeof(float));
  return out;
}

py::array_t<int32_t> to_array(const std::vector<int32_t>& data, int64_t rows, int64_t cols) {
  py::array_t<int32_t> out({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(cols)});
  if (!data.empty()) std::memcpy(out.mutable_data(), data.data(), data.size() * sizeof(int32_t));
  return out;
}

m2vk::PaddingMode parse_padding(const std::string& padding) {
  if (padding == "max_length") return m2vk::PaddingMode::MaxLength;
  if (padding == "longest") return m2vk::PaddingMode::Longest;
  throw std::invalid_argument("padding '" + padding + "': expected 'max_length' or 'longest'");
}

// One loaded model plus the run options fixed at construction (padding, max_length).
class PyModel {
 public:
  PyModel(const std::string& path, const std::string& device, const std::string& precision, const std::string& padding,
          std::optional<int64_t> max_length)
      : path_(path) {
    m2vk::ModelLoadOptions lo;
    lo.device = m2vk::Device::parse(device);  // std::invalid_argument -> ValueError
    if (precision == "fp16") lo.reduced_precision = true;
    else if (precision != "fp32") throw std::invalid_argument("precision '" + precision + "': expected 'fp32' or 'fp16'");
    padding_ = parse_padding(padding);
    max_length_ = max_length;
    {
      py::gil_scoped_release nogil;
      model_ = std::make_shared<m2vk::Model>(m2vk::Model::load(path, lo));
    }
  }

  py::array_t<float> embed(const std::vector<std::string>& texts, size_t batch_size, bool normalize,
                           py::object progress) const {
    const auto model = get();
    m2vk::RunOptions run = options(batch_size);
    run.normalize = normalize;
    set_progress(run, progress);
    m2vk::EmbedResult r;
    {
      py::gil_scoped_release nogil;
      r = model->embed(texts, run);
    }
    return to_array(r.data, r.count, r.dim);
  }

  py::dict classify(const std::vector<m2vk::TextInput>& inputs, size_t batch_size, py::object progress) const {
    const auto model = get();
    m2vk::RunOptions run = options(batch_size);
    set_progress(run, progress);
    m2vk::ClassifyResult r;
    {
      py::gil_scoped_release nogil;
      r = model->classify(inputs, run);
    }
    py::dict d;
    d["logits"] = to_array(r.logits, r.count, r.num_labels);
    d["scores"] = to_array(r.scores, r.count, r.num_labels);
    py::array_t<int64_t> predicted(static_cast<py::ssize_t>(r.predicted.size()));
    if (!r.predicted.empty()) std::memcpy(predicted.mutable_data(), r.predicted.data(), r.predicted.size() * sizeof(int64_t));
    d["predicted"] = predicted;
    py::list names;
    for (int64_t p : r.predicted) names.append(r.labels.at(static_cast<size_t>(p)));
    d["predicted_labels"] = names;
    d["labels"] = r.labels;
    d["tokens"] = r.tokens;
    d["truncated"] = std::vector<bool>(r.truncated.begin(), r.truncated.end());
    return d;
  }

  py::dict tokenize(const std::vector<m2vk::TextInput>& inputs) const {
    const auto model = get();
    const m2vk::RunOptions run = options(8);
    m2vk::Batch b;
    {
      py::gil_scoped_release nogil;
      b = model->tokenize(inputs, run);
    }
    py::dict d;
    d["input_ids"] = to_array(b.input_ids, b.batch, b.length);
    std::vector<int32_t> types = b.token_type_ids, mask = b.attention_mask;
    // The library leaves these empty for "all zeros" / "all ones"; Python gets them spelled out.
    if (types.empty()) types.assign(b.input_ids.size(), 0);
    if (mask.empty()) mask.assign(b.input_ids.size(), 1);
    d["token_type_ids"] = to_array(types, b.batch, b.length);
    d["attention_mask"] = to_array(mask, b.batch, b.length);
    return d;
  }

  void close() {
    std::lock_guard<std::mutex> lock(mutex_);
    model_.reset();
  }
  bool closed() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return !model_;
  }

  std::string path() const { return path_; }
  int64_t dim() const { return get()->config().hidden_size; }
  int64_t layers() const { return get()->config().num_hidden_layers; }
  int64_t num_labels() const { return get()->config().num_labels; }
  int64_t max_seq_length() const { return max_length_ ? *max_length_ : get()->max_length(); }
  std::string padding() const { return padding_ == m2vk::PaddingMode::MaxLength ? "max_length" : "longest"; }
  bool random_weights() const { return get()->random_weights(); }
  std::vector<std::string> notes() const { return get()->notes(); }
  std::string device() const {
    const auto model = get();
    if (const auto* g = model->gpu_model()) return model->device().to_string() + " (" + g->device_info().name + ")";
    return model->device().to_string();
  }

 private:
  std::shared_ptr<const m2vk::Model> get() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!model_) throw std::invalid_argument("this m2vk.Model is closed");
    return model_;
  }

  m2vk::RunOptions options(size_t batch_size) const {
    if (batch_size == 0) throw std::invalid_argument("batch_size must be >= 1");
    m2vk::RunOptions run;
    run.padding = padding_;
    run.max_length = max_length_;
    run.batch_size = batch_size;
    return run;
  }

  // The library calls progress on the calling thread with the GIL released: take it back for the
  // Python callable. A Python error there is reported as unraisable rather than thrown through
  // the library, and stops further calls.
  static void set_progress(m2vk::RunOptions& run, const py::object& progress) {
    if (progress.is_none()) return;
    auto fn = std::make_shared<py::object>(progress);
    auto failed = std::make_shared<bool>(false);
    run.progress = [fn, failed](const m2vk::ProgressInfo& pi) {
      py::gil_scoped_acquire gil;
      if (*failed) return;
      try {
        (*fn)(pi.done, pi.total);
      } catch (py::error_already_set& e) {
        *failed = true;
        e.discard_as_unraisable("m2vk progress callback");
      }
    };
    // The std::function (and its py::object) is destroyed after the call, with the GIL held by
    // the binding that owns `run`.
  }

  std::string path_;
  m2vk::PaddingMode padding_ = m2vk::PaddingMode::MaxLength;
  std::optional<int64_t> max_length_;
  mutable std::mutex mutex_;
  std::shared_ptr<const m2vk::Model> model_;
};

py::list devices() {
  std::vector<m2vk::host::DeviceInfo> list;
  {
    py::gil_scoped_release nogil;
    list = m2vk::host::list_devices();
  }
  const size_t def = list.empty() ? 0 : m2vk::host::default_device_index(list);
  py::list out;
  for (const auto& d : list) {
    py::dict j;
    j["index"] = d.index;
    j["name"] = d.name;
    j["type"] = std::string(m2vk::host::device_type_name(d.type));
    j["vendor"] = d.vendor_name;
    j["driver"] = d.driver_name;
    j["driver_info"] = d.driver_info;
    j["api_version"] = d.api_version_string;
    j["uuid"] = d.uuid;
    j["default"] = d.index == def;
    j["spec"] = "gpu:" + std::to_string(d.index);
    out.append(j);
  }
  return out;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "m2vk native core (use the m2vk package, not this module)";
  static py::exception<m2vk::DeviceUnavailable> device_error(m, "DeviceError", PyExc_RuntimeError);
  g_device_error = device_error.ptr();
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const m2vk::DeviceUnavailable& e) {
      PyErr_SetString(g_device_error, e.what());
    }
  });

  py::class_<PyModel>(m, "Model")
      .def(py::init<const std::string&, const std::string&, const std::string&, const std::string&, std::optional<int64_t>>(),
           py::arg("path"), py::arg("device") = "auto", py::arg("precision") = "fp32", py::arg("padding") = "max_length",
           py::arg("max_length") = py::none())
      .def("embed", &PyModel::embed, py::arg("texts"), py::arg("batch_size"), py::arg("normalize"), py::arg("progress"))
      .def("classify",
           [](const PyModel& self, const std::vector<std::pair<std::string, std::optional<std::string>>>& rows,
              size_t batch_size, py::object progress) {
             std::vector<m2vk::TextInput> inputs;
             inputs.reserve(rows.size());
             for (const auto& [text, pair] : rows) inputs.push_back({text, pair});
             return self.classify(inputs, batch_size, std::move(progress));
           },
           py::arg("rows"), py::arg("batch_size"), py::arg("progress"))
      .def("tokenize",
           [](const PyModel& self, const std::vector<std::pair<std::string, std::optional<std::string>>>& rows) {
             std::vector<m2vk::TextInput> inputs;
             inputs.reserve(rows.size());
             for (const auto& [text, pair] : rows) inputs.push_back({text, pair});
             return self.tokenize(inputs);
           },
           py::arg("rows"))
      .def("close", &PyModel::close)
      .def_property_readonly("closed", &PyModel::closed)
      .def_property_readonly("path", &PyModel::path)
      .def_property_readonly("dim", &PyModel::dim)
      .def_property_readonly("layers", &PyModel::layers)
      .def_property_readonly("num_labels", &PyModel::num_labels)
      .def_property_readonly("max_seq_length", &PyModel::max_seq_length)
      .def_property_readonly("padding", &PyModel::padding)
      .def_property_readonly("random_weights", &PyModel::random_weights)
      .def_property_readonly("notes", &PyModel::notes)
      .def_property_readonly("device", &PyModel::device);
  m.def("devices", &devices, "Vulkan devices m2vk can use (the CPU reference path, device='cpu', is always available)");
}

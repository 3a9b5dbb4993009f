// convert_to_safetensors() and verify_conversion(): streaming, tensor by tensor.
#include <cstring>

#include "cache.hpp"
#include "checkpoint_files.hpp"
#include "content_hash.hpp"
#include "m2vk/loader/convert.hpp"
#include "m2vk/loader/safetensors.hpp"
#include "store_impl.hpp"
#include "tensor_source.hpp"

namespace m2vk::loader {

namespace fs = std::filesystem;

namespace {

// A loaded safetensors store seen as a TensorSource (converting or verifying safetensors input).
class StoreSource final : public TensorSource {
 public:
  explicit StoreSource(TensorStore s) : store_(std::move(s)) {
    for (const auto& t : store_.tensors()) infos_.push_back({t.name, t.dtype, t.shape, t.bytes.size(), t.storage_id});
    format_ = store_.format();
  }
  std::string format() const override { return format_; }
  const std::vector<TensorInfo>& infos() const override { return infos_; }
  void read(size_t i, std::span<std::byte> out) override {
    const auto& b = store_.tensors().at(i).bytes;
    std::memcpy(out.data(), b.data(), b.size());
  }
  std::vector<std::string> notes() const override { return store_.notes(); }

 private:
  TensorStore store_;
  std::vector<TensorInfo> infos_;
  std::string format_;
};

std::unique_ptr<TensorSource> open_any(const fs::path& file) {
  if (is_safetensors_index(file)) return std::make_unique<StoreSource>(load_safetensors_index(file));
  if (is_safetensors_file(file)) return std::make_unique<StoreSource>(load_safetensors(file));
  return open_tensor_source(file);
}

}  // namespace

ConvertResult convert_to_safetensors(const fs::path& src_path, const fs::path& dst, const ProgressFn& progress) {
  fs::path file = resolve_checkpoint(src_path);
  FileStamp stamp = stamp_of(file);
  auto src = open_any(file);
  const auto& infos = src->infos();

  ConvertResult r;
  r.output = dst;
  r.source_format = src->format();
  r.tensors = infos.size();
  r.notes = src->notes();

  std::map<std::string, std::string> md;
  md["format"] = "pt";
  md[kMetaVersion] = kCacheVersion;
  md[kMetaSource] = fs::absolute(file).lexically_normal().string();
  md[kMetaSourceFormat] = src->format();
  md[kMetaSourceSize] = std::to_string(stamp.size);
  md[kMetaSourceMtime] = std::to_string(stamp.mtime_ns);
  md[kMetaSourceHash] = file_content_hash(file);
  std::string joined;
  for (const auto& n : r.notes) joined += (joined.empty() ? "" : "\n") + n;
  if (!joined.empty()) md[kMetaSourceNotes] = joined;

  uint64_t total = 0;
  for (const auto& i : infos) total += i.nbytes;
  std::string current;
  std::vector<TensorToWrite> list;
  list.reserve(infos.size());
  for (size_t i = 0; i < infos.size(); ++i) {
    list.push_back({infos[i].name, infos[i].dtype, infos[i].shape, [&, i](std::span<std::byte> out) {
                      current = infos[i].name;
                      src->read(i, out);
                    }});
  }
  r.data_bytes = write_safetensors(dst, list, md, [&](size_t done, uint64_t bytes) {
    if (progress) progress(ConvertProgress{done, infos.size(), bytes, total, current});
  });
  return r;
}

size_t verify_conversion(const fs::path& src_path, const fs::path& dst) {
  fs::path file = resolve_checkpoint(src_path);
  auto src = open_any(file);
  TensorStore out = load_safetensors(dst);
  const auto& infos = src->infos();
  std::vector<std::byte> buf;
  for (size_t i = 0; i < infos.size(); ++i) {
    const auto& info = infos[i];
    const Tensor* t = out.find(info.name);
    std::string where = dst.string() + ": tensor \"" + info.name + "\"";
    if (!t) throw LoaderError(where + " is missing");
    if (t->dtype != info.dtype) throw LoaderError(where + " has dtype " + std::string(dtype_name(t->dtype)) + ", source has " + std::string(dtype_name(info.dtype)));
    if (t->shape != info.shape) throw LoaderError(where + " has a different shape from the source");
    buf.resize(static_cast<size_t>(info.nbytes));
    src->read(i, buf);
    if (t->bytes.size() != buf.size() || std::memcmp(t->bytes.data(), buf.data(), buf.size()) != 0) {
      size_t k = 0;
      while (k < buf.size() && k < t->bytes.size() && t->bytes[k] == buf[k]) ++k;
      throw LoaderError(where + " differs from the source at byte " + std::to_string(k));
    }
  }
  if (out.tensors().size() != infos.size()) {
    throw LoaderError(dst.string() + ": holds " + std::to_string(out.tensors().size()) + " tensors, the source " + std::to_string(infos.size()));
  }
  return infos.size();
}

}  // namespace m2vk::loader

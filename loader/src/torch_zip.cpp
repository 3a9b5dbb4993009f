// PyTorch zip checkpoints (torch.save since 1.6):
//   <folder>/data.pkl        the pickled object; tensors refer to storages by key
//   <folder>/data/<key>      raw little-endian storage bytes, stored (not compressed)
//   <folder>/version         format version
//   <folder>/byteorder       "little" or "big" (newer torch; absent means little)
// <folder> is the file stem at save time, so it is discovered from the data.pkl record, never assumed.
#include <algorithm>

#include "m2vk/loader/tensor_store.hpp"
#include "pickle_reader.hpp"
#include "tensor_source.hpp"
#include "torch_pickle.hpp"
#include "zip_archive.hpp"

namespace m2vk::loader {

namespace {

constexpr uint64_t kMaxPickleBytes = 1ull << 30;

class TorchZipSource final : public TensorSource {
 public:
  explicit TorchZipSource(const std::filesystem::path& file) : zip_(file, /*allow_deflate=*/false), file_(file) {
    const std::string what = file.string();
    for (const auto& e : zip_.entries()) {
      auto slash = e.name.find('/');
      if (slash != std::string::npos && e.name.substr(slash) == "/data.pkl") {
        if (!prefix_.empty()) throw LoaderError(what + ": several data.pkl records (" + prefix_ + "data.pkl, " + e.name + ")");
        prefix_ = e.name.substr(0, slash + 1);
      }
    }
    if (prefix_.empty()) throw LoaderError(what + ": missing <folder>/data.pkl record (not a torch.save zip checkpoint)");
    if (!zip_.find(prefix_ + "version")) throw LoaderError(what + ": missing record " + prefix_ + "version");
    if (const auto* bo = zip_.find(prefix_ + "byteorder")) {
      if (bo->size > 16) throw LoaderError(what + ": record " + bo->name + " is too long");
      auto b = zip_.read(*bo);
      std::string order(reinterpret_cast<const char*>(b.data()), b.size());
      if (order != "little") throw LoaderError(what + ": record " + bo->name + " says byte order \"" + order + "\"; only little-endian is supported");
    }
    const auto* pkl = zip_.find(prefix_ + "data.pkl");
    if (pkl->size > kMaxPickleBytes) throw LoaderError(what + ": " + pkl->name + " is too large");
    auto bytes = zip_.read(*pkl);
    pickle::Reader reader(bytes, what + ": " + pkl->name);
    install_torch_hooks(reader, TorchFlavor::Zip);
    TorchStateDict sd = select_state_dict(reader.load(), what);
    notes_ = std::move(sd.notes);
    descs_ = std::move(sd.tensors);
    for (const auto& d : descs_) {
      std::string rec = prefix_ + "data/" + d.storage_key;
      const auto* e = zip_.find(rec);
      if (!e) throw LoaderError(what + ": tensor \"" + d.name + "\": missing storage record " + rec);
      uint64_t want = d.storage_numel * dtype_size(d.dtype);  // overflow checked in select_state_dict
      if (e->size != want) {
        throw LoaderError(what + ": storage record " + rec + " holds " + std::to_string(e->size) + " bytes, expected " +
                          std::to_string(want) + " for tensor \"" + d.name + "\"");
      }
      infos_.push_back({d.name, d.dtype, d.shape, d.nbytes, d.storage_key});
    }
  }

  std::string format() const override { return "pytorch-zip"; }
  const std::vector<TensorInfo>& infos() const override { return infos_; }
  std::vector<std::string> notes() const override { return notes_; }

  void read(size_t i, std::span<std::byte> out) override {
    const TorchTensorDesc& d = descs_.at(i);
    const auto* e = zip_.find(prefix_ + "data/" + d.storage_key);
    if (d.contiguous_whole) {  // the common case: straight from the archive into the output
      zip_.read(*e, out);
      return;
    }
    if (cached_key_ != d.storage_key) {  // keep one storage: shared storages are usually adjacent
      cached_.clear();
      cached_.shrink_to_fit();
      cached_ = zip_.read(*e);
      cached_key_ = d.storage_key;
    }
    materialize(d, cached_, out);
  }

 private:
  ZipArchive zip_;
  std::filesystem::path file_;
  std::string prefix_;
  std::vector<TorchTensorDesc> descs_;
  std::vector<TensorInfo> infos_;
  std::vector<std::string> notes_;
  std::string cached_key_;
  std::vector<std::byte> cached_;
};

}  // namespace

std::unique_ptr<TensorSource> open_torch_zip(const std::filesystem::path& file) {
  return std::make_unique<TorchZipSource>(file);
}

}  // namespace m2vk::loader

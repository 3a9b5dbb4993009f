// Legacy (pre-1.6, non-zip) torch.save files: five pickles and raw storages back to back.
//   1. magic number 0x1950a86a20f9469cfc6c    2. protocol version 1001
//   3. sys_info {"little_endian": bool, ...}    4. the object (tensors refer to storages by key)
//   5. the list of storage keys, in the order their data follows
// then, per key: int64 element count (little-endian) + count * element size raw bytes.
#include <cstring>

#include "m2vk/loader/tensor_store.hpp"
#include "checked_math.hpp"
#include "mapped_file.hpp"
#include "pickle_reader.hpp"
#include "tensor_source.hpp"
#include "torch_pickle.hpp"

namespace m2vk::loader {

namespace {

// 0x1950a86a20f9469cfc6c as the 10 little-endian bytes of a pickle LONG1.
constexpr unsigned char kMagic[10] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};

class TorchLegacySource final : public TensorSource {
 public:
  explicit TorchLegacySource(const std::filesystem::path& file) : map_(MappedFile::open(file)) {
    const std::string what = file.string();
    auto data = map_->bytes();
    pickle::Reader header(data, what);
    const pickle::Value* magic = header.load();
    if (magic->kind != pickle::Kind::Int || !magic->big_int || magic->text.size() != sizeof(kMagic) ||
        std::memcmp(magic->text.data(), kMagic, sizeof(kMagic)) != 0) {
      throw LoaderError(what + ": legacy torch magic number missing (got " + pickle::describe(magic) + ")");
    }
    const pickle::Value* version = header.load();
    if (version->kind != pickle::Kind::Int || version->integer != 1001) {
      throw LoaderError(what + ": legacy torch protocol version is " + pickle::describe(version) + ", expected 1001");
    }
    const pickle::Value* sys_info = header.load();
    const pickle::Value* le = pickle::dict_get(sys_info, "little_endian");
    if (!le || le->kind != pickle::Kind::Bool) throw LoaderError(what + ": sys_info record lacks little_endian");
    if (!le->boolean) throw LoaderError(what + ": sys_info says big-endian byte order; only little-endian is supported");

    pickle::Reader body(data.subspan(header.position()), what + " (object pickle)");
    auto storages = install_torch_hooks(body, TorchFlavor::Legacy);
    TorchStateDict sd = select_state_dict(body.load(), what);
    size_t pos = header.position() + body.position();

    pickle::Reader keys_reader(data.subspan(pos), what + " (storage key list)");
    const pickle::Value* keys = keys_reader.load();
    pos += keys_reader.position();
    if (keys->kind != pickle::Kind::List) throw LoaderError(what + ": storage key list is " + pickle::describe(keys));
    for (const pickle::Value* k : keys->items) {
      if (k->kind != pickle::Kind::Str) throw LoaderError(what + ": storage key is " + pickle::describe(k));
      auto it = storages->find(k->text);
      if (it == storages->end()) throw LoaderError(what + ": storage \"" + k->text + "\" is listed but never referenced");
      const pickle::Value* s = it->second;
      if (data.size() - pos < 8) throw LoaderError(what + ": storage \"" + k->text + "\": length record past the end of the file");
      uint64_t count = 0;
      for (int b = 0; b < 8; ++b) count |= uint64_t(std::to_integer<uint8_t>(data[pos + size_t(b)])) << (8 * b);
      pos += 8;
      if (count != s->numel) {
        throw LoaderError(what + ": storage \"" + k->text + "\" holds " + std::to_string(count) + " elements, the pickle says " +
                          std::to_string(s->numel));
      }
      auto nbytes = checked_mul(count, dtype_size(s->dtype));
      if (!nbytes || *nbytes > data.size() - pos) {
        throw LoaderError(what + ": storage \"" + k->text + "\" (" + std::to_string(count) + " elements) runs past the end of the file");
      }
      if (!offsets_.emplace(k->text, pos).second) throw LoaderError(what + ": storage \"" + k->text + "\" listed twice");
      pos += static_cast<size_t>(*nbytes);
    }
    if (pos != data.size()) notes_.push_back(std::to_string(data.size() - pos) + " trailing bytes after the last storage ignored");
    for (auto& n : sd.notes) notes_.push_back(std::move(n));
    descs_ = std::move(sd.tensors);
    for (const auto& d : descs_) {
      if (!offsets_.count(d.storage_key)) throw LoaderError(what + ": tensor \"" + d.name + "\": storage \"" + d.storage_key + "\" has no data");
      infos_.push_back({d.name, d.dtype, d.shape, d.nbytes, d.storage_key});
    }
  }

  std::string format() const override { return "pytorch-legacy"; }
  const std::vector<TensorInfo>& infos() const override { return infos_; }
  std::vector<std::string> notes() const override { return notes_; }

  void read(size_t i, std::span<std::byte> out) override {
    const TorchTensorDesc& d = descs_.at(i);
    size_t begin = offsets_.at(d.storage_key);
    materialize(d, map_->bytes().subspan(begin, d.storage_numel * dtype_size(d.dtype)), out);
  }

 private:
  std::shared_ptr<MappedFile> map_;
  std::unordered_map<std::string, size_t> offsets_;
  std::vector<TorchTensorDesc> descs_;
  std::vector<TensorInfo> infos_;
  std::vector<std::string> notes_;
};

}  // namespace

std::unique_ptr<TensorSource> open_torch_legacy(const std::filesystem::path& file) {
  return std::make_unique<TorchLegacySource>(file);
}

}  // namespace m2vk::loader

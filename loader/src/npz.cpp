// npz archives (numpy.savez / savez_compressed): a zip of <name>.npy arrays.
#include "npy_header.hpp"
#include "tensor_source.hpp"
#include "zip_archive.hpp"

namespace m2vk::loader {

namespace {

constexpr uint64_t kMaxNpyHeader = 1u << 20;

class NpzSource final : public TensorSource {
 public:
  explicit NpzSource(const std::filesystem::path& file) : zip_(file, /*allow_deflate=*/true) {
    for (const auto& e : zip_.entries()) {
      std::string what = file.string() + ": " + e.name;
      if (!e.name.ends_with(".npy")) {
        notes_.push_back("ignored non-array entry " + e.name);
        continue;
      }
      NpyHeader h = parse_npy_header(zip_.read_prefix(e, kMaxNpyHeader), what);
      if (e.size != h.data_offset + h.nbytes) {
        throw LoaderError(what + ": holds " + std::to_string(e.size) + " bytes, header implies " + std::to_string(h.data_offset + h.nbytes));
      }
      std::string name = e.name.substr(0, e.name.size() - 4);
      infos_.push_back({name, h.dtype, h.shape, h.nbytes, name});
      entries_.push_back(&e);
      offsets_.push_back(h.data_offset);
    }
  }
  std::string format() const override { return "npz"; }
  const std::vector<TensorInfo>& infos() const override { return infos_; }
  std::vector<std::string> notes() const override { return notes_; }
  void read(size_t i, std::span<std::byte> out) override {
    auto all = zip_.read(*entries_.at(i));  // whole entry, CRC checked
    std::copy(all.begin() + static_cast<std::ptrdiff_t>(offsets_[i]), all.end(), out.begin());
  }

 private:
  ZipArchive zip_;
  std::vector<TensorInfo> infos_;
  std::vector<const ZipArchive::Entry*> entries_;
  std::vector<uint64_t> offsets_;
  std::vector<std::string> notes_;
};

}  // namespace

std::unique_ptr<TensorSource> open_npz(const std::filesystem::path& file) { return std::make_unique<NpzSource>(file); }

}  // namespace m2vk::loader

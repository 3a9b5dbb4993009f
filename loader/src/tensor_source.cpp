// Format sniffing for non-safetensors checkpoints, and loading a whole source into memory.
#include "tensor_source.hpp"

#include <fstream>

#include "store_impl.hpp"
#include "zip_archive.hpp"

namespace m2vk::loader {

std::unique_ptr<TensorSource> open_tensor_source(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw LoaderError(file.string() + ": cannot open");
  unsigned char magic[4] = {0, 0, 0, 0};
  in.read(reinterpret_cast<char*>(magic), 4);
  auto got = in.gcount();
  if (got >= 2 && magic[0] == 'P' && magic[1] == 'K') {
    // A zip: npz when it holds .npy arrays and no data.pkl; otherwise torch (whose reader then
    // names what is missing).
    bool npy = false, pkl = false;
    {
      ZipArchive z(file, /*allow_deflate=*/true);
      for (const auto& e : z.entries()) {
        npy = npy || e.name.ends_with(".npy");
        pkl = pkl || e.name.ends_with("data.pkl");
      }
    }
    return npy && !pkl ? open_npz(file) : open_torch_zip(file);
  }
  if (got >= 1 && magic[0] == 0x80) return open_torch_legacy(file);
  throw LoaderError(file.string() + ": unrecognised checkpoint format (neither a zip archive nor a legacy torch pickle)");
}

TensorStore load_all(TensorSource& src, const std::filesystem::path& file) {
  auto impl = std::make_unique<TensorStore::Impl>();
  impl->source = file;
  impl->format = src.format();
  impl->notes = src.notes();
  const auto& infos = src.infos();
  impl->tensors.reserve(infos.size());
  for (size_t i = 0; i < infos.size(); ++i) {
    auto buf = impl->alloc(infos[i].nbytes);
    src.read(i, buf);
    Tensor t;
    t.name = infos[i].name;
    t.dtype = infos[i].dtype;
    t.shape = infos[i].shape;
    t.bytes = buf;
    t.storage_id = infos[i].storage_id;
    impl->tensors.push_back(std::move(t));
  }
  impl->index();
  return TensorStore(std::move(impl));
}

}  // namespace m2vk::loader

// load_checkpoint(): folder search, format dispatch, the safetensors cache and key normalisation.
#include <algorithm>

#include "cache.hpp"
#include "checkpoint_files.hpp"
#include "key_names.hpp"
#include "m2vk/loader/convert.hpp"
#include "m2vk/loader/safetensors.hpp"
#include "store_impl.hpp"
#include "tensor_source.hpp"

namespace m2vk::loader {

namespace fs = std::filesystem;

bool is_safetensors_file(const fs::path& file) { return file.extension() == ".safetensors"; }
bool is_safetensors_index(const fs::path& file) { return file.filename().string().ends_with(".safetensors.index.json"); }

fs::path resolve_checkpoint(const fs::path& file_or_dir) {
  std::error_code ec;
  if (!fs::exists(file_or_dir, ec)) throw LoaderError(file_or_dir.string() + ": no such file or folder");
  if (!fs::is_directory(file_or_dir, ec)) return file_or_dir;
  static const char* const names[] = {"model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "model.pt"};
  auto search = [&](const fs::path& dir) -> fs::path {
    for (const char* n : names) {
      if (fs::is_regular_file(dir / n, ec)) return dir / n;
    }
    std::vector<fs::path> npz;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      if (e.is_regular_file() && e.path().extension() == ".npz") npz.push_back(e.path());
    }
    if (npz.size() > 1) throw LoaderError(dir.string() + ": several .npz files; name the one to load");
    return npz.empty() ? fs::path() : npz[0];
  };
  fs::path found = search(file_or_dir);
  // Model folders laid out like the golden sets keep the weights in checkpoint/.
  if (found.empty() && fs::is_directory(file_or_dir / "checkpoint", ec)) found = search(file_or_dir / "checkpoint");
  if (found.empty()) {
    throw LoaderError(file_or_dir.string() +
                      ": no checkpoint found (looked for model.safetensors, model.safetensors.index.json, pytorch_model.bin, "
                      "model.pt, *.npz, also in checkpoint/)");
  }
  return found;
}

namespace {

TensorStore load_via_cache(const fs::path& file) {
  fs::path cache = cache_path_for(file);
  std::string why;
  CacheState state = check_cache(cache, file, &why);
  std::vector<std::string> notes;
  if (state != CacheState::Current) {
    try {
      std::error_code ec;
      fs::create_directories(cache.parent_path(), ec);
      convert_to_safetensors(file, cache);
      notes.push_back((state == CacheState::Missing ? "cache written: " : "cache rebuilt (" + why + "): ") + cache.string());
    } catch (const LoaderError& e) {
      // A checkpoint that cannot be read is the caller's error; only cache-writing trouble falls back.
      auto src = open_tensor_source(file);
      TensorStore s = load_all(*src, file);
      s.impl().notes.push_back(std::string("cache not written: ") + e.what());
      return s;
    }
  } else {
    notes.push_back("cache used: " + cache.string() + (why.empty() ? "" : " (" + why + ")"));
  }
  TensorStore s = load_safetensors(cache);
  auto& impl = s.impl();
  // Carry the source's own notes (e.g. Composer state.model) across the cache.
  auto md = [&](const char* k) {
    auto it = impl.metadata.find(k);
    return it == impl.metadata.end() ? std::string() : it->second;
  };
  notes.insert(notes.begin(), "cache of " + md(kMetaSourceFormat) + " checkpoint " + file.string());
  std::string src_notes = md(kMetaSourceNotes);
  for (size_t pos = 0; pos < src_notes.size();) {
    size_t nl = std::min(src_notes.find('\n', pos), src_notes.size());
    if (nl > pos) notes.push_back(src_notes.substr(pos, nl - pos));
    pos = nl + 1;
  }
  impl.format = "safetensors";
  for (auto& n : notes) impl.notes.push_back(std::move(n));
  return s;
}

}  // namespace

TensorStore load_checkpoint(const fs::path& file_or_dir, const LoadOptions& opts) {
  fs::path file = resolve_checkpoint(file_or_dir);
  TensorStore store;
  if (is_safetensors_index(file)) {
    store = load_safetensors_index(file);
  } else if (is_safetensors_file(file)) {
    store = load_safetensors(file);
    // A cache found under a folder-search name (model.pt -> model.safetensors): if its source is
    // still there and has changed, go through the cache logic so the stale copy is rebuilt.
    auto it = store.impl().metadata.find(kMetaSource);
    std::error_code ec;
    if (opts.use_cache && it != store.impl().metadata.end() && fs::is_regular_file(it->second, ec) &&
        fs::equivalent(fs::path(it->second).parent_path(), fs::absolute(file).parent_path(), ec) &&
        check_cache(file, it->second) == CacheState::Stale) {
      store = TensorStore();
      store = load_via_cache(it->second);
    }
  } else if (opts.use_cache) {
    store = load_via_cache(file);
  } else {
    auto src = open_tensor_source(file);
    store = load_all(*src, file);
  }
  if (opts.normalize_keys) {
    auto& impl = store.impl();
    for (auto& n : normalize_keys(impl.tensors)) impl.notes.push_back(std::move(n));
    impl.index();
  }
  return store;
}

}  // namespace m2vk::loader

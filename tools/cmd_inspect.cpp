// m2vk inspect FILE|DIR: lists every tensor of a checkpoint (name, dtype, shape, bytes, storage
// sharing) for any supported format, plus the format, the notes and the key normalisation applied.
#include <cstdio>
#include <map>
#include <string>

#include "cli_args.hpp"
#include "command.hpp"
#include "m2vk/loader/tensor_store.hpp"

namespace {

std::string shape_text(const std::vector<int64_t>& s) {
  std::string r = "(";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + (s.size() == 1 ? ",)" : ")");
}

int run_inspect(const std::vector<std::string>& args) {
  m2vk::cli::ArgParser p("m2vk inspect FILE|DIR [options]\n  Lists the tensors of a checkpoint.");
  p.flag("--raw-keys", "show the keys as stored (no prefix normalisation)");
  p.parse(args);
  if (p.help_requested()) {
    std::printf("%s", p.help_text().c_str());
    return 0;
  }
  if (p.positional().size() != 1) throw m2vk::cli::UsageError("expected one FILE or DIR");
  m2vk::loader::LoadOptions opts;
  opts.use_cache = false;  // describe the file itself, not a cache of it
  opts.normalize_keys = !p.has("--raw-keys");
  auto store = m2vk::loader::load_checkpoint(p.positional()[0], opts);

  std::map<std::string, int> sharing;
  for (const auto& t : store.tensors()) ++sharing[t.storage_id];
  uint64_t total = 0;
  size_t name_w = 4;
  for (const auto& t : store.tensors()) name_w = std::max(name_w, t.name.size());
  std::printf("file:    %s\nformat:  %s\ntensors: %zu\n", store.source().c_str(), store.format().c_str(), store.tensors().size());
  for (const auto& n : store.notes()) std::printf("note:    %s\n", n.c_str());
  if (store.notes().empty() || !opts.normalize_keys) std::printf("note:    %s\n", opts.normalize_keys ? "no key normalisation needed" : "keys shown as stored");
  std::printf("\n%-*s  %-5s  %-22s  %12s  %s\n", int(name_w), "name", "dtype", "shape", "bytes", "storage");
  for (const auto& t : store.tensors()) {
    std::string storage = t.storage_id;
    if (sharing[t.storage_id] > 1) storage += "  (shared by " + std::to_string(sharing[t.storage_id]) + " tensors)";
    std::printf("%-*s  %-5s  %-22s  %12zu  %s\n", int(name_w), t.name.c_str(), std::string(m2vk::loader::dtype_name(t.dtype)).c_str(),
                shape_text(t.shape).c_str(), t.bytes.size(), storage.c_str());
    total += t.bytes.size();
  }
  std::printf("\ntotal: %llu bytes in %zu tensors\n", static_cast<unsigned long long>(total), store.tensors().size());
  return 0;
}

}  // namespace

M2VK_COMMAND("inspect", "list the tensors of a checkpoint (any format)", run_inspect);

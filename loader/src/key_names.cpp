#include "key_names.hpp"

namespace m2vk::loader {

std::vector<std::string> normalize_keys(std::vector<Tensor>& tensors) {
  std::vector<std::string> notes;
  if (tensors.empty()) return notes;
  static const char* const prefixes[] = {"_orig_mod.", "module.", "model."};
  bool changed = true;
  while (changed) {
    changed = false;
    for (const char* p : prefixes) {
      std::string_view pre(p);
      bool all = true;
      for (const auto& t : tensors) {
        if (!t.name.starts_with(pre) || t.name.size() == pre.size()) {
          all = false;
          break;
        }
      }
      if (!all) continue;
      for (auto& t : tensors) t.name.erase(0, pre.size());
      notes.push_back("key prefix \"" + std::string(pre) + "\" stripped from " + std::to_string(tensors.size()) + " tensors");
      changed = true;
    }
  }
  return notes;
}

}  // namespace m2vk::loader

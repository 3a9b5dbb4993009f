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
  // A bare BertModel state dict (embeddings.*, encoder.*, pooler.*) gets the "bert." prefix that
  // the HF task classes (BertForTextEncoding, BertForSequenceClassification) use.
  bool any_bert = false, bare = false;
  for (const auto& t : tensors) {
    any_bert = any_bert || t.name.starts_with("bert.");
    bare = bare || t.name.starts_with("embeddings.") || t.name.starts_with("encoder.");
  }
  if (bare && !any_bert) {
    size_t n = 0;
    for (auto& t : tensors) {
      if (t.name.starts_with("embeddings.") || t.name.starts_with("encoder.") || t.name.starts_with("pooler.")) {
        t.name.insert(0, "bert.");
        ++n;
      }
    }
    notes.push_back("key prefix \"bert.\" added to " + std::to_string(n) + " bare BertModel tensors");
  }
  return notes;
}

}  // namespace m2vk::loader

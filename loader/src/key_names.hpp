// Key normalisation: maps the prefixes that training wrappers add to the Hugging Face names the
// model binds (`bert.…`, `classifier.…`).
#pragma once

#include <string>
#include <vector>

#include "m2vk/loader/tensor_store.hpp"

namespace m2vk::loader {

// Strips, repeatedly and for every key at once, the wrapper prefixes `_orig_mod.` (torch.compile),
// `module.` (DataParallel), `model.` (Composer / Lightning); a prefix is stripped only when every
// key carries it; then gives a bare BertModel state dict (embeddings.*, encoder.*, pooler.*) the
// `bert.` prefix. Returns one note per change (empty if nothing changed).
std::vector<std::string> normalize_keys(std::vector<Tensor>& tensors);

}  // namespace m2vk::loader

// Reads a Hugging Face tokenizer.json whose model is WordPiece. Only the pieces that change the
// encoding of a BERT tokenizer are read; every other configuration that this library cannot
// reproduce (another model, normalizer or pre-tokenizer type) is rejected, never ignored.
#include <limits>

#include <nlohmann/json.hpp>

#include "vocab.hpp"

namespace m2vk::tok {

namespace {

using nlohmann::json;

[[noreturn]] void fail(std::string_view what, const std::string& msg) {
  throw TokenizerError(std::string(what) + ": " + msg);
}

std::string get_string(const json& obj, const char* key, std::string_view what, const std::string& path,
                       const std::string& fallback) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_string()) fail(what, path + "." + key + " must be a string");
  return it->get<std::string>();
}

bool get_bool(const json& obj, const char* key, std::string_view what, const std::string& path, bool fallback) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) fail(what, path + "." + key + " must be true, false or null");
  return it->get<bool>();
}

int64_t get_id(const json& v, std::string_view what, const std::string& path) {
  if (!v.is_number_integer()) fail(what, path + " must be an integer id");
  const auto id = v.get<int64_t>();
  if (id < 0 || id >= std::numeric_limits<int32_t>::max()) fail(what, path + " = " + std::to_string(id) + " is out of range");
  return id;
}

void read_model(const json& root, WordPieceTokenizer::Data& data, std::string_view what) {
  auto m = root.find("model");
  if (m == root.end() || !m->is_object()) fail(what, "no \"model\" object");
  const std::string type = get_string(*m, "type", what, "model", "");
  if (type != "WordPiece") {
    fail(what, "model.type is '" + (type.empty() ? std::string("(missing)") : type) +
                   "'; only WordPiece tokenizers are supported");
  }
  data.unk_token = get_string(*m, "unk_token", what, "model", "[UNK]");
  data.continuing_subword_prefix = get_string(*m, "continuing_subword_prefix", what, "model", "##");
  if (auto it = m->find("max_input_chars_per_word"); it != m->end() && !it->is_null()) {
    if (!it->is_number_unsigned()) fail(what, "model.max_input_chars_per_word must be a non-negative integer");
    data.max_input_chars_per_word = it->get<size_t>();
  }
  auto v = m->find("vocab");
  if (v == m->end() || !v->is_object()) fail(what, "model.vocab must be an object of token -> id");
  if (v->empty()) fail(what, "the vocabulary (model.vocab) is empty");
  // Ids must be exactly 0..N-1 so that every id indexes the model's embedding table.
  data.id_to_token.assign(v->size(), std::string());
  std::vector<bool> seen(v->size(), false);
  for (auto it = v->begin(); it != v->end(); ++it) {
    const int64_t id = get_id(it.value(), what, "model.vocab[\"" + it.key() + "\"]");
    if (static_cast<size_t>(id) >= seen.size()) {
      fail(what, "model.vocab[\"" + it.key() + "\"] = " + std::to_string(id) + " leaves a gap: ids must be 0.." +
                     std::to_string(seen.size() - 1));
    }
    if (seen[static_cast<size_t>(id)]) {
      fail(what, "model.vocab id " + std::to_string(id) + " is used by both '" +
                     data.id_to_token[static_cast<size_t>(id)] + "' and '" + it.key() + "'");
    }
    seen[static_cast<size_t>(id)] = true;
    data.id_to_token[static_cast<size_t>(id)] = it.key();
    data.token_to_id.emplace(it.key(), static_cast<int32_t>(id));
  }
}

void read_normalizer(const json& root, WordPieceTokenizer::Data& data, std::string_view what) {
  auto n = root.find("normalizer");
  if (n == root.end() || n->is_null()) {
    data.normalizer = {false, false, false, false};  // no normalizer: text is used as it is
    return;
  }
  if (!n->is_object()) fail(what, "normalizer must be an object or null");
  const std::string type = get_string(*n, "type", what, "normalizer", "");
  if (type != "BertNormalizer") fail(what, "normalizer.type '" + type + "' is not supported (only BertNormalizer)");
  auto& o = data.normalizer;
  o.clean_text = get_bool(*n, "clean_text", what, "normalizer", true);
  o.handle_chinese_chars = get_bool(*n, "handle_chinese_chars", what, "normalizer", true);
  o.lowercase = get_bool(*n, "lowercase", what, "normalizer", true);
  // strip_accents null (the bert-base-uncased setting) means "same as lowercase".
  o.strip_accents = get_bool(*n, "strip_accents", what, "normalizer", o.lowercase);
}

void read_pre_tokenizer(const json& root, std::string_view what) {
  auto p = root.find("pre_tokenizer");
  std::string type;
  if (p != root.end() && p->is_object()) type = get_string(*p, "type", what, "pre_tokenizer", "");
  if (type != "BertPreTokenizer") {
    fail(what, "pre_tokenizer must be {\"type\": \"BertPreTokenizer\"}" +
                   (type.empty() ? std::string() : ", not '" + type + "'"));
  }
}

void read_added_tokens(const json& root, WordPieceTokenizer::Data& data, std::string_view what) {
  auto a = root.find("added_tokens");
  if (a == root.end() || a->is_null()) return;
  if (!a->is_array()) fail(what, "added_tokens must be an array");
  for (size_t i = 0; i < a->size(); ++i) {
    const json& t = (*a)[i];
    const std::string path = "added_tokens[" + std::to_string(i) + "]";
    if (!t.is_object()) fail(what, path + " must be an object");
    const std::string content = get_string(t, "content", what, path, "");
    auto idv = t.find("id");
    if (idv == t.end()) fail(what, path + ".id is missing");
    const auto id = static_cast<int32_t>(get_id(*idv, what, path + ".id"));
    if (static_cast<size_t>(id) == data.id_to_token.size()) {
      data.id_to_token.push_back(content);  // a token added after the WordPiece vocabulary
    } else if (static_cast<size_t>(id) > data.id_to_token.size() || data.id_to_token[static_cast<size_t>(id)] != content) {
      fail(what, path + " ('" + content + "', id " + std::to_string(id) + ") does not match the vocabulary");
    }
    // lstrip / rstrip only take whitespace next to the token, which BertPreTokenizer drops
    // anyway, so they change nothing here; single_word would, and is not implemented.
    if (get_bool(t, "single_word", what, path, false)) fail(what, path + ".single_word = true is not supported");
    data.added_tokens.push_back({content, id, get_bool(t, "normalized", what, path, !get_bool(t, "special", what, path, false))});
  }
}

// [CLS]/[SEP] come from the post-processor when it names them; [PAD] from the padding section.
void read_special_names(const json& root, WordPieceTokenizer::Data& data, std::string_view what) {
  if (auto p = root.find("post_processor"); p != root.end() && p->is_object()) {
    const std::string type = get_string(*p, "type", what, "post_processor", "");
    if (type == "BertProcessing") {
      for (const char* key : {"cls", "sep"}) {
        auto v = p->find(key);
        if (v == p->end() || !v->is_array() || v->size() != 2 || !(*v)[0].is_string()) {
          fail(what, std::string("post_processor.") + key + " must be [token, id]");
        }
        (key[0] == 'c' ? data.cls_token : data.sep_token) = (*v)[0].get<std::string>();
      }
    } else if (type == "TemplateProcessing") {
      // Expect the BERT template: [SpecialToken CLS, Sequence A, SpecialToken SEP].
      auto single = p->find("single");
      auto special_id = [&](const json& piece) -> std::string {
        auto s = piece.find("SpecialToken");
        if (s == piece.end() || !s->is_object()) return {};
        return get_string(*s, "id", what, "post_processor.single[]", "");
      };
      if (single == p->end() || !single->is_array() || single->size() != 3 || special_id((*single)[0]).empty() ||
          special_id((*single)[2]).empty()) {
        fail(what, "post_processor TemplateProcessing must be the BERT template '[CLS] $A [SEP]'");
      }
      data.cls_token = special_id((*single)[0]);
      data.sep_token = special_id((*single)[2]);
    } else if (!type.empty()) {
      fail(what, "post_processor.type '" + type + "' is not supported (BertProcessing or TemplateProcessing)");
    }
  }
  if (auto p = root.find("padding"); p != root.end() && p->is_object()) {
    data.pad_token = get_string(*p, "pad_token", what, "padding", data.pad_token);
  }
}

}  // namespace

WordPieceTokenizer::Data parse_tokenizer_json(std::string_view content, std::string_view what) {
  json root;
  try {
    root = json::parse(content.begin(), content.end());
  } catch (const json::exception& e) {
    fail(what, std::string("not valid JSON: ") + e.what());
  }
  if (!root.is_object()) fail(what, "the top level must be a JSON object");
  WordPieceTokenizer::Data data;
  try {
    read_model(root, data, what);
    read_normalizer(root, data, what);
    read_pre_tokenizer(root, what);
    read_added_tokens(root, data, what);
    read_special_names(root, data, what);
  } catch (const json::exception& e) {
    fail(what, std::string("malformed field: ") + e.what());
  }
  if (data.added_tokens.empty()) add_default_special_tokens(data);
  finalize(data, what);
  return data;
}

}  // namespace m2vk::tok

// WordPieceTokenizer: loading (vocab.txt, tokenizer.json, builtin, model folder) and the public
// encode calls. The work itself lives in encode.cpp, wordpiece.cpp and normalizer.cpp.
#include "m2vk/tokenizer.hpp"

#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>

#include <nlohmann/json.hpp>

#include "builtin_vocab.hpp"
#include "encode.hpp"
#include "vocab.hpp"

namespace m2vk::tok {

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw TokenizerError(path.string() + ": no such file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw TokenizerError(path.string() + ": cannot open for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw TokenizerError(path.string() + ": read error");
  return ss.str();
}

// tokenizer_config.json beside a vocab.txt may turn lowercasing (and so accent stripping) off,
// as transformers' BertTokenizerFast reads it (do_lower_case, strip_accents,
// tokenize_chinese_chars).
void apply_tokenizer_config(const std::filesystem::path& path, NormalizerOptions& o) {
  nlohmann::json cfg;
  try {
    cfg = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw TokenizerError(path.string() + ": not valid JSON: " + e.what());
  }
  if (!cfg.is_object()) throw TokenizerError(path.string() + ": the top level must be a JSON object");
  auto flag = [&](const char* key, bool fallback) {
    auto it = cfg.find(key);
    if (it == cfg.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) throw TokenizerError(path.string() + ": " + key + " must be true, false or null");
    return it->get<bool>();
  };
  o.lowercase = flag("do_lower_case", o.lowercase);
  o.strip_accents = flag("strip_accents", o.lowercase);
  o.handle_chinese_chars = flag("tokenize_chinese_chars", o.handle_chinese_chars);
}

std::shared_ptr<const WordPieceTokenizer::Data> load_vocab_file(const std::filesystem::path& path) {
  auto data = parse_vocab_txt(read_file(path), path.string());
  data.source = path.string();
  return std::make_shared<const WordPieceTokenizer::Data>(std::move(data));
}

}  // namespace

WordPieceTokenizer::WordPieceTokenizer(std::shared_ptr<const Data> data) : data_(std::move(data)) {}

WordPieceTokenizer WordPieceTokenizer::from_vocab_file(const std::filesystem::path& path) {
  return WordPieceTokenizer(load_vocab_file(path));
}

WordPieceTokenizer WordPieceTokenizer::from_tokenizer_json(const std::filesystem::path& path) {
  auto data = parse_tokenizer_json(read_file(path), path.string());
  data.source = path.string();
  return WordPieceTokenizer(std::make_shared<const Data>(std::move(data)));
}

WordPieceTokenizer WordPieceTokenizer::builtin_bert_base_uncased() {
  // Parsed once (thread-safe static), then shared by every copy.
  static const std::shared_ptr<const Data> builtin = [] {
    auto data = parse_vocab_txt(builtin_bert_base_uncased_vocab(), "builtin bert-base-uncased vocab");
    data.source = "builtin:bert-base-uncased";
    return std::make_shared<const Data>(std::move(data));
  }();
  return WordPieceTokenizer(builtin);
}

WordPieceTokenizer WordPieceTokenizer::from_model_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) throw TokenizerError(dir.string() + ": not a directory");
  if (std::filesystem::exists(dir / "tokenizer.json", ec)) return from_tokenizer_json(dir / "tokenizer.json");
  if (std::filesystem::exists(dir / "vocab.txt", ec)) {
    auto data = parse_vocab_txt(read_file(dir / "vocab.txt"), (dir / "vocab.txt").string());
    data.source = (dir / "vocab.txt").string();
    if (std::filesystem::exists(dir / "tokenizer_config.json", ec)) {
      apply_tokenizer_config(dir / "tokenizer_config.json", data.normalizer);
      finalize(data, data.source);  // normalized added tokens depend on the normalizer
    }
    return WordPieceTokenizer(std::make_shared<const Data>(std::move(data)));
  }
  return builtin_bert_base_uncased();
}

Encoding WordPieceTokenizer::encode(std::string_view text, std::optional<std::string_view> pair,
                                    const EncodeOptions& options) const {
  check_options(options);
  auto a = encode_sequence(text, *data_, "text");
  std::optional<std::vector<int32_t>> b;
  if (pair && !pair->empty()) b = encode_sequence(*pair, *data_, "text_pair");  // "" = no pair, as in HF
  return assemble(std::move(a), std::move(b), *data_, options);
}

std::vector<Encoding> WordPieceTokenizer::encode_pairs(
    const std::vector<std::pair<std::string, std::optional<std::string>>>& records, const EncodeOptions& options) const {
  check_options(options);
  std::vector<Encoding> out;
  out.reserve(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    const auto& [text, pair] = records[i];
    const std::string what = "record " + std::to_string(i);
    auto a = encode_sequence(text, *data_, what + " text");
    std::optional<std::vector<int32_t>> b;
    if (pair && !pair->empty()) b = encode_sequence(*pair, *data_, what + " text_pair");
    out.push_back(assemble(std::move(a), std::move(b), *data_, options));
  }
  if (options.padding == Padding::Longest) {
    size_t longest = 0;
    for (const auto& e : out) longest = std::max(longest, e.input_ids.size());
    for (auto& e : out) pad_to(e, longest, *data_);
  }
  return out;
}

std::vector<Encoding> WordPieceTokenizer::encode_batch(const std::vector<std::string>& texts,
                                                       const EncodeOptions& options) const {
  std::vector<std::pair<std::string, std::optional<std::string>>> records;
  records.reserve(texts.size());
  for (const auto& t : texts) records.emplace_back(t, std::nullopt);
  return encode_pairs(records, options);
}

void WordPieceTokenizer::pad(Encoding& e, size_t length) const { pad_to(e, length, *data_); }

size_t WordPieceTokenizer::vocab_size() const { return data_->id_to_token.size(); }
int32_t WordPieceTokenizer::pad_id() const { return data_->pad_id; }
int32_t WordPieceTokenizer::unk_id() const { return data_->unk_id; }
int32_t WordPieceTokenizer::cls_id() const { return data_->cls_id; }
int32_t WordPieceTokenizer::sep_id() const { return data_->sep_id; }
const std::string& WordPieceTokenizer::source() const { return data_->source; }
const NormalizerOptions& WordPieceTokenizer::normalizer_options() const { return data_->normalizer; }

std::optional<int32_t> WordPieceTokenizer::token_to_id(std::string_view token) const {
  auto it = data_->token_to_id.find(token);
  if (it == data_->token_to_id.end()) return std::nullopt;
  return it->second;
}

const std::string& WordPieceTokenizer::id_to_token(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= data_->id_to_token.size()) {
    throw TokenizerError("id_to_token: id " + std::to_string(id) + " is outside the vocabulary (size " +
                         std::to_string(data_->id_to_token.size()) + ")");
  }
  return data_->id_to_token[static_cast<size_t>(id)];
}

}  // namespace m2vk::tok

#include "inputs.hpp"

#include <algorithm>

namespace m2vk::server {

Row text_row(const Model& model, std::string_view text, std::optional<std::string_view> pair, const Truncation& t,
             const std::string& param) {
  const tok::WordPieceTokenizer& tk = model.tokenizer();
  tok::Encoding e;
  try {
    e = tk.encode(text, pair);
  } catch (const tok::TokenizerError& err) {
    throw RequestError(param + ": " + err.what(), param);
  }
  const auto limit = static_cast<std::size_t>(t.limit);
  if (e.input_ids.size() > limit) {
    if (!t.enabled)
      throw RequestError(param + " has " + std::to_string(e.input_ids.size()) + " tokens, more than the " +
                             std::to_string(limit) + " this server accepts; " +
                             (t.offered ? "shorten it or set truncate" : "shorten it"),
                         param);
    if (!t.from_left) {
      tok::EncodeOptions eo;
      eo.max_length = limit;
      eo.truncation = true;
      e = tk.encode(text, pair, eo);
    } else {
      if (pair) throw RequestError(param + ": truncation_direction Left is not supported for text pairs", param);
      // [CLS] + the last limit - 2 tokens of the text + [SEP].
      const std::size_t keep = limit - 2;
      auto cut = [&](std::vector<int32_t>& v) {
        v.erase(v.begin() + 1, v.end() - 1 - static_cast<std::ptrdiff_t>(keep));
      };
      cut(e.input_ids);
      cut(e.token_type_ids);
    }
  }
  return Row{std::move(e.input_ids), std::move(e.token_type_ids)};
}

Row ids_row(const Model& model, const nlohmann::json& ids, const Truncation& t, const std::string& param) {
  if (ids.empty()) throw RequestError(param + " is an empty token array", param);
  if (static_cast<int64_t>(ids.size()) > t.limit)
    throw RequestError(param + " has " + std::to_string(ids.size()) + " tokens, more than the " +
                           std::to_string(t.limit) + " this server accepts",
                       param);
  const int64_t vocab = model.config().vocab_size;
  Row row;
  row.ids.reserve(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const nlohmann::json& v = ids[i];
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() >= vocab)
      throw RequestError(param + "[" + std::to_string(i) + "] = " + v.dump() + " is not a token id in [0, " +
                             std::to_string(vocab) + ")",
                         param);
    row.ids.push_back(v.get<int32_t>());
  }
  row.type_ids.assign(row.ids.size(), 0);
  return row;
}

nlohmann::json parse_body(const std::string& body) {
  try {
    return nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    throw RequestError(std::string("the request body is not valid JSON: ") + e.what(), "body");
  }
}

}  // namespace m2vk::server

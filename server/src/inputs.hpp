// Turning a request's inputs into rows the batcher runs: text (and text pair) tokenization with the
// TEI truncation options, and validation of token-id inputs. Errors are RequestError, naming the
// request field at fault; each API maps them to its own status and body.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "batch_queue.hpp"
#include "m2vk/tokenizer.hpp"

namespace m2vk::server {

struct RequestError : std::runtime_error {
  RequestError(const std::string& message, std::string param_name)
      : std::runtime_error(message), param(std::move(param_name)) {}
  std::string param;  // the request field at fault ("input", "inputs[2]", "encoding_format", ...)
};

struct Truncation {
  bool enabled = false;     // false: an input over the limit is an error
  bool from_left = false;   // TEI truncation_direction "Left": keep the end of the text
  int64_t limit = 0;        // tokens per input, [CLS] and [SEP] included
  bool offered = true;      // the route has a `truncate` field (TEI); the over-length error says so
};

// Tokenizes `text` (and `pair`) as the model's tokenizer does, [CLS]/[SEP] included.
Row text_row(const Model& model, std::string_view text, std::optional<std::string_view> pair, const Truncation& t,
             const std::string& param);
// A token-id array used as given: every element an integer id of the vocabulary, at most
// t.limit of them (token arrays are not truncated).
Row ids_row(const Model& model, const nlohmann::json& ids, const Truncation& t, const std::string& param);

// The JSON body, or a RequestError naming the parse position.
nlohmann::json parse_body(const std::string& body);

}  // namespace m2vk::server

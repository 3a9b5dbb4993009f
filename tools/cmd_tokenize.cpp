// m2vk tokenize: JSONL records ({"text": ..., "text_pair": ...}) on stdin -> JSONL encodings on
// stdout, one line per record, in order.
//
// All input is read, parsed and tokenized before anything is written, so a bad line stops the
// command with an error naming that line and stdout stays empty (never a partial output).
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string_view>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_args.hpp"
#include "command.hpp"
#include "m2vk/tokenizer.hpp"

namespace {

using m2vk::cli::UsageError;
using m2vk::tok::EncodeOptions;
using m2vk::tok::Padding;
using m2vk::tok::WordPieceTokenizer;

using Record = std::pair<std::string, std::optional<std::string>>;

WordPieceTokenizer load_tokenizer(const m2vk::cli::ArgParser& args) {
  if (args.has("--model") && args.has("--vocab")) throw UsageError("give --model or --vocab, not both");
  if (auto dir = args.get("--model")) return WordPieceTokenizer::from_model_dir(*dir);
  if (auto file = args.get("--vocab")) {
    const std::string& f = *file;
    if (f.size() >= 5 && f.compare(f.size() - 5, 5, ".json") == 0) return WordPieceTokenizer::from_tokenizer_json(f);
    return WordPieceTokenizer::from_vocab_file(f);
  }
  return WordPieceTokenizer::builtin_bert_base_uncased();
}

EncodeOptions parse_options(const m2vk::cli::ArgParser& args) {
  EncodeOptions opts;
  if (auto n = args.get_int("--max-length", 1, 1 << 24)) opts.max_length = static_cast<size_t>(*n);
  opts.truncation = args.has("--truncation");
  opts.add_special_tokens = !args.has("--no-special-tokens");
  const std::string padding = args.get_or("--padding", "none");
  if (padding == "max_length") {
    opts.padding = Padding::MaxLength;
  } else if (padding == "longest") {
    opts.padding = Padding::Longest;
  } else if (padding != "none") {
    throw UsageError("--padding must be max_length, longest or none, got '" + padding + "'");
  }
  if (opts.truncation && !opts.max_length) throw UsageError("--truncation needs --max-length");
  if (opts.padding == Padding::MaxLength && !opts.max_length) throw UsageError("--padding max_length needs --max-length");
  return opts;
}

// Parses one JSONL line into a record; throws naming the line number.
Record parse_record(const std::string& line, size_t line_no) {
  const std::string where = "stdin line " + std::to_string(line_no) + ": ";
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {
    // nlohmann echoes the bytes it last read; keep only printable ASCII so that invalid UTF-8
    // or control characters never reach the terminal.
    std::string why = e.what();
    for (char& c : why) {
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) c = '?';
    }
    throw std::runtime_error(where + "not valid JSON (" + why + ")");
  }
  if (!j.is_object()) throw std::runtime_error(where + "expected a JSON object with a \"text\" field");
  auto text = j.find("text");
  if (text == j.end() || !text->is_string()) throw std::runtime_error(where + "\"text\" must be a string");
  Record r{text->get<std::string>(), std::nullopt};
  if (auto pair = j.find("text_pair"); pair != j.end() && !pair->is_null()) {
    if (!pair->is_string()) throw std::runtime_error(where + "\"text_pair\" must be a string or null");
    r.second = pair->get<std::string>();
  }
  return r;
}

int run_tokenize(const std::vector<std::string>& argv) {
  m2vk::cli::ArgParser args(
      "usage: m2vk tokenize [--model DIR | --vocab FILE] [--max-length N] [--truncation]\n"
      "                     [--padding max_length|longest] < records.jsonl > encodings.jsonl\n\n"
      "Reads JSONL records with \"text\" and an optional \"text_pair\" (blank lines are skipped) and\n"
      "writes one JSON line per record with input_ids, token_type_ids, attention_mask and tokens.\n"
      "Without --model/--vocab the builtin bert-base-uncased vocabulary is used.");
  args.option("--model", "model folder: tokenizer.json, else vocab.txt, else the builtin vocab")
      .option("--vocab", "vocab.txt, or a tokenizer.json (by its .json suffix)")
      .option("--max-length", "token limit for --truncation and --padding max_length")
      .flag("--truncation", "truncate to --max-length (longest_first for pairs)")
      .option("--padding", "max_length, longest (the longest record of the whole input) or none")
      .flag("--no-special-tokens", "do not add [CLS] and [SEP]");
  args.parse(argv);
  if (args.help_requested()) {
    std::printf("%s", args.help_text().c_str());
    return 0;
  }
  if (!args.positional().empty()) throw UsageError("unexpected argument '" + args.positional()[0] + "'");
  const EncodeOptions opts = parse_options(args);
  const WordPieceTokenizer tok = load_tokenizer(args);

  std::vector<Record> records;
  std::vector<size_t> line_numbers;
  std::string line;
  for (size_t line_no = 1; std::getline(std::cin, line); ++line_no) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    records.push_back(parse_record(line, line_no));
    line_numbers.push_back(line_no);
  }
  if (std::cin.bad()) throw std::runtime_error("reading stdin failed");

  // Each record on its own so that an error names its line; `longest` padding is applied to
  // the whole input afterwards.
  EncodeOptions row_opts = opts;
  if (row_opts.padding == Padding::Longest) row_opts.padding = Padding::None;
  std::vector<m2vk::tok::Encoding> encodings;
  encodings.reserve(records.size());
  size_t longest = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    const auto& [text, pair] = records[i];
    try {
      std::optional<std::string_view> p;
      if (pair) p = *pair;
      encodings.push_back(tok.encode(text, p, row_opts));
    } catch (const m2vk::tok::TokenizerError& e) {
      throw std::runtime_error("stdin line " + std::to_string(line_numbers[i]) + ": " + e.what());
    }
    longest = std::max(longest, encodings.back().input_ids.size());
  }
  if (opts.padding == Padding::Longest) {
    for (auto& e : encodings) tok.pad(e, longest);
  }

  std::string out;
  for (const auto& e : encodings) {
    nlohmann::ordered_json j;
    j["input_ids"] = e.input_ids;
    j["token_type_ids"] = e.token_type_ids;
    j["attention_mask"] = e.attention_mask;
    j["tokens"] = e.tokens;
    out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out += '\n';
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (std::fflush(stdout) != 0) throw std::runtime_error("writing stdout failed");
  return 0;
}

}  // namespace

M2VK_COMMAND("tokenize", "text (JSONL on stdin) -> token ids (JSONL on stdout)", run_tokenize);

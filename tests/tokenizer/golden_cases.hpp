// Loads the Hugging Face golden records (tests/data/golden/tokenizer/*.jsonl) for the tests.
#pragma once

#include <cstdint>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace m2vk::tok::testing {

inline std::string golden_dir() { return std::string(M2VK_TEST_DATA) + "/golden/tokenizer"; }

struct GoldenCase {
  std::string id;
  std::string category;  // cases.jsonl only
  std::string text;
  std::optional<std::string> text_pair;
  std::optional<size_t> max_length;  // truncation.jsonl only
  std::vector<int32_t> input_ids, token_type_ids, attention_mask;
  std::vector<std::string> tokens;
  nlohmann::json raw;
};

inline std::vector<GoldenCase> load_golden(const std::string& file) {
  std::ifstream in(golden_dir() + "/" + file);
  if (!in) throw std::runtime_error("cannot open golden file " + file);
  std::vector<GoldenCase> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line);
    GoldenCase c;
    c.id = j.at("id").get<std::string>();
    c.category = j.value("category", "");
    c.text = j.at("text").get<std::string>();
    if (j.contains("text_pair") && !j["text_pair"].is_null()) c.text_pair = j["text_pair"].get<std::string>();
    if (j.contains("max_length")) c.max_length = j["max_length"].get<size_t>();
    c.input_ids = j.at("input_ids").get<std::vector<int32_t>>();
    c.token_type_ids = j.at("token_type_ids").get<std::vector<int32_t>>();
    if (j.contains("attention_mask")) {
      c.attention_mask = j["attention_mask"].get<std::vector<int32_t>>();
    } else {
      c.attention_mask.assign(c.input_ids.size(), 1);  // cases.jsonl: no padding, all real tokens
    }
    c.tokens = j.at("tokens").get<std::vector<std::string>>();
    c.raw = std::move(j);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace m2vk::tok::testing

// Runs the built `m2vk tokenize` on golden records and on bad input. The program path comes from
// the build (M2VK_BIN = $<TARGET_FILE:m2vk>).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <sstream>

#include <nlohmann/json.hpp>

#include "golden_cases.hpp"
#include "tokenizer_test_util.hpp"

namespace m2vk::tok {
namespace {

using testing::GoldenCase;
using testing::ScratchDir;

struct RunResult {
  int exit_code;
  std::string out, err;
};

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

RunResult run_tokenize(const ScratchDir& dir, const std::string& input, const std::string& args) {
  const auto in = dir.write("in.jsonl", input);
  const auto out = dir.path() / "out.jsonl";
  const auto err = dir.path() / "err.txt";
  const std::string cmd = quote(M2VK_BIN) + " tokenize " + args + " < " + quote(in.string()) + " > " +
                          quote(out.string()) + " 2> " + quote(err.string());
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, testing::read_text(out), testing::read_text(err)};
}

std::string record_line(const GoldenCase& c) {
  nlohmann::json j = {{"id", c.id}, {"text", c.text}};
  if (c.text_pair) j["text_pair"] = *c.text_pair;
  return j.dump() + "\n";
}

std::vector<nlohmann::json> output_lines(const std::string& out) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

void expect_record(const nlohmann::json& got, const GoldenCase& c) {
  EXPECT_EQ(got.at("input_ids").get<std::vector<int32_t>>(), c.input_ids) << c.id;
  EXPECT_EQ(got.at("token_type_ids").get<std::vector<int32_t>>(), c.token_type_ids) << c.id;
  EXPECT_EQ(got.at("attention_mask").get<std::vector<int32_t>>(), c.attention_mask) << c.id;
  EXPECT_EQ(got.at("tokens").get<std::vector<std::string>>(), c.tokens) << c.id;
}

TEST(TokenizeCli, GoldenRecordsInOrder) {
  const auto cases = testing::load_golden("cases.jsonl");
  std::vector<GoldenCase> picked;
  for (const auto& c : cases) {
    // Plain, accented, CJK, special-token and pair records.
    if (c.id == "s001" || c.id == "s002" || c.category == "cjk" || c.category == "special_in_text" ||
        c.category == "pair") {
      picked.push_back(c);
    }
  }
  ASSERT_GT(picked.size(), 20u);
  std::string input;
  for (const auto& c : picked) input += record_line(c) + (c.id == "s002" ? "\n" : "");  // plus a blank line
  ScratchDir dir;
  const auto r = run_tokenize(dir, input, "");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = output_lines(r.out);
  ASSERT_EQ(lines.size(), picked.size());
  for (size_t i = 0; i < lines.size(); ++i) expect_record(lines[i], picked[i]);
}

TEST(TokenizeCli, TruncationAndMaxLengthPadding) {
  std::vector<GoldenCase> len16;
  for (const auto& c : testing::load_golden("truncation.jsonl")) {
    if (c.max_length == 16u) len16.push_back(c);
  }
  ASSERT_EQ(len16.size(), 5u);
  std::string input;
  for (const auto& c : len16) input += record_line(c);
  ScratchDir dir;
  const auto r = run_tokenize(dir, input, "--vocab " + quote(testing::golden_dir() + "/vocab.txt") +
                                              " --max-length 16 --truncation --padding max_length");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = output_lines(r.out);
  ASSERT_EQ(lines.size(), len16.size());
  for (size_t i = 0; i < lines.size(); ++i) expect_record(lines[i], len16[i]);
}

TEST(TokenizeCli, LongestPadsToTheLongestRecordOfTheInput) {
  ScratchDir dir;
  const auto r = run_tokenize(dir, "{\"text\": \"one\"}\n{\"text\": \"one two three\", \"text_pair\": null}\n",
                              "--padding longest");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = output_lines(r.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["input_ids"], nlohmann::json({101, 2028, 102, 0, 0}));
  EXPECT_EQ(lines[0]["attention_mask"], nlohmann::json({1, 1, 1, 0, 0}));
  EXPECT_EQ(lines[1]["input_ids"], nlohmann::json({101, 2028, 2048, 2093, 102}));
}

TEST(TokenizeCli, BadLineIsAnErrorWithNoOutput) {
  ScratchDir dir;
  const std::string good = "{\"text\": \"fine\"}\n";
  struct Case {
    std::string line;
    const char* expected;
  };
  const Case cases[] = {
      {"{\"text\": \"broken\"\n", "stdin line 3: not valid JSON"},
      {"[\"text\"]\n", "stdin line 3: expected a JSON object"},
      {"{\"txt\": \"x\"}\n", "stdin line 3: \"text\" must be a string"},
      {"{\"text\": \"x\", \"text_pair\": 5}\n", "stdin line 3: \"text_pair\" must be a string or null"},
      {"{\"text\": \"bad \xff byte\"}\n", "stdin line 3: not valid JSON"},
  };
  for (const auto& c : cases) {
    const auto r = run_tokenize(dir, good + good + c.line + good, "");
    EXPECT_EQ(r.exit_code, 1) << c.line;
    EXPECT_EQ(r.out, "") << c.line;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << "expected '" << c.expected << "' in: " << r.err;
    for (char ch : r.err) EXPECT_NE(ch, '\xff') << "raw input bytes echoed to the terminal";
  }
}

TEST(TokenizeCli, UsageAndLoadErrors) {
  ScratchDir dir;
  const std::string input = "{\"text\": \"x\"}\n";
  auto r = run_tokenize(dir, input, "--padding sideways");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--padding must be"), std::string::npos) << r.err;
  r = run_tokenize(dir, input, "--truncation");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--truncation needs --max-length"), std::string::npos) << r.err;
  const std::string missing = (dir.path() / "nope.txt").string();
  r = run_tokenize(dir, input, "--vocab " + quote(missing));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(missing + ": no such file"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace m2vk::tok

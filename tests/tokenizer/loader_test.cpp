// Loading a vocabulary from vocab.txt, tokenizer.json, a model folder or the builtin copy, and
// the errors for files this library cannot use.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "golden_cases.hpp"
#include "m2vk/tokenizer.hpp"
#include "tokenizer_test_util.hpp"

namespace m2vk::tok {
namespace {

using testing::ScratchDir;

// The layout Hugging Face writes for bert-base-uncased's tokenizer.json (model.vocab is filled
// in from a vocab.txt by make_tokenizer_json).
constexpr const char* kBertTokenizerJsonSkeleton = R"({
  "version": "1.0",
  "truncation": null,
  "padding": null,
  "added_tokens": [
    {"id": 0, "content": "[PAD]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 100, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 101, "content": "[CLS]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 102, "content": "[SEP]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 103, "content": "[MASK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
  ],
  "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
  "pre_tokenizer": {"type": "BertPreTokenizer"},
  "post_processor": {
    "type": "TemplateProcessing",
    "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
               {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
    "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
             {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
             {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
    "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [101], "tokens": ["[CLS]"]},
                       "[SEP]": {"id": "[SEP]", "ids": [102], "tokens": ["[SEP]"]}}
  },
  "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
  "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
            "max_input_chars_per_word": 100, "vocab": {}}
})";

nlohmann::json make_tokenizer_json(const std::string& vocab_txt) {
  auto j = nlohmann::json::parse(kBertTokenizerJsonSkeleton);
  auto& vocab = j["model"]["vocab"];
  int id = 0;
  size_t pos = 0;
  while (pos < vocab_txt.size()) {
    const size_t nl = vocab_txt.find('\n', pos);
    vocab[vocab_txt.substr(pos, nl - pos)] = id++;
    pos = nl + 1;
  }
  return j;
}

std::string golden_vocab() { return testing::read_text(testing::golden_dir() + "/vocab.txt"); }

template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const TokenizerError& e) {
    return e.what();
  }
  return "(no TokenizerError)";
}

TEST(TokenizerLoad, BuiltinIsBertBaseUncased) {
  const auto tok = WordPieceTokenizer::builtin_bert_base_uncased();
  EXPECT_EQ(tok.vocab_size(), 30522u);
  EXPECT_EQ(tok.pad_id(), 0);
  EXPECT_EQ(tok.unk_id(), 100);
  EXPECT_EQ(tok.cls_id(), 101);
  EXPECT_EQ(tok.sep_id(), 102);
  EXPECT_EQ(tok.token_to_id("[MASK]"), 103);
  EXPECT_EQ(tok.id_to_token(1996), "the");
  EXPECT_EQ(tok.source(), "builtin:bert-base-uncased");
  EXPECT_FALSE(tok.token_to_id("definitely-not-a-token").has_value());
  EXPECT_NE(error_of([&] { (void)tok.id_to_token(30522); }).find("30522"), std::string::npos);
  // The embedded bytes are the shipped file, line for line.
  const std::string vocab = golden_vocab();
  size_t pos = 0;
  for (int32_t id = 0; pos < vocab.size(); ++id) {
    const size_t nl = vocab.find('\n', pos);
    ASSERT_EQ(tok.id_to_token(id), vocab.substr(pos, nl - pos)) << "id " << id;
    pos = nl + 1;
  }
}

TEST(TokenizerLoad, TokenizerJsonMatchesGolden) {
  ScratchDir dir;
  const auto path = dir.write("tokenizer.json", make_tokenizer_json(golden_vocab()).dump());
  const auto tok = WordPieceTokenizer::from_tokenizer_json(path);
  EXPECT_EQ(tok.vocab_size(), 30522u);
  EXPECT_EQ(tok.source(), path.string());
  EXPECT_TRUE(tok.normalizer_options().lowercase);
  EXPECT_TRUE(tok.normalizer_options().strip_accents);  // null follows lowercase
  for (const auto& c : testing::load_golden("cases.jsonl")) {
    std::optional<std::string_view> pair;
    if (c.text_pair) pair = *c.text_pair;
    const auto e = tok.encode(c.text, pair);
    EXPECT_EQ(e.input_ids, c.input_ids) << c.id;
    EXPECT_EQ(e.tokens, c.tokens) << c.id;
    EXPECT_EQ(e.token_type_ids, c.token_type_ids) << c.id;
  }
}

TEST(TokenizerLoad, TokenizerJsonSettingsAreRead) {
  // A tiny vocabulary with a different subword prefix and word limit.
  auto j = make_tokenizer_json("[PAD]\n[UNK]\n[CLS]\n[SEP]\nun\n@@aff\n@@able\nx\n");
  j["added_tokens"] = nlohmann::json::array();
  j["model"]["continuing_subword_prefix"] = "@@";
  j["model"]["max_input_chars_per_word"] = 9;
  j["normalizer"]["lowercase"] = false;
  ScratchDir dir;
  const auto tok = WordPieceTokenizer::from_tokenizer_json(dir.write("t.json", j.dump()));
  EXPECT_FALSE(tok.normalizer_options().lowercase);
  EXPECT_FALSE(tok.normalizer_options().strip_accents);
  EncodeOptions no_specials;
  no_specials.add_special_tokens = false;
  const auto e = tok.encode("unaffable UNAFFABLE unaffablex x", std::nullopt, no_specials);
  // 9 characters: split with "@@"; upper case is kept (no lowercasing) so it is unknown;
  // 10 characters exceed max_input_chars_per_word.
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"un", "@@aff", "@@able", "[UNK]", "[UNK]", "x"}));
  EXPECT_EQ(e.input_ids, (std::vector<int32_t>{4, 5, 6, 1, 1, 7}));
}

// Added tokens: raw ones match case-sensitively in the raw text; `normalized` ones match in the
// normalized text (their content normalized too), and may have ids after the WordPiece vocab.
TEST(TokenizerLoad, TokenizerJsonAddedTokens) {
  auto j = make_tokenizer_json("[PAD]\n[UNK]\n[CLS]\n[SEP]\nx\ny\n");
  j["added_tokens"] = nlohmann::json::array({
      {{"id", 1}, {"content", "[UNK]"}, {"normalized", false}, {"special", true}},
      {{"id", 6}, {"content", "<Raw>"}, {"normalized", false}, {"special", true}, {"lstrip", true}},
      {{"id", 7}, {"content", "F\u00d6\u00d6-Bar"}, {"normalized", true}, {"special", false}},
  });
  ScratchDir dir;
  const auto tok = WordPieceTokenizer::from_tokenizer_json(dir.write("t.json", j.dump()));
  EXPECT_EQ(tok.vocab_size(), 8u);
  EXPECT_EQ(tok.id_to_token(7), "F\u00d6\u00d6-Bar");
  EncodeOptions no_specials;
  no_specials.add_special_tokens = false;
  // "<raw>" is not the raw token (case differs) and falls apart into unknown pieces; the
  // normalized token matches inside a word, in any case and with or without accents.
  EXPECT_EQ(tok.encode("x<Raw>y <raw> xfoo-bary Foo-BAR", std::nullopt, no_specials).input_ids,
            (std::vector<int32_t>{4, 6, 5, 1, 1, 1, 4, 7, 5, 7}));
  auto single_word = j;
  single_word["added_tokens"][2]["single_word"] = true;
  const auto path = dir.write("single.json", single_word.dump());
  try {
    WordPieceTokenizer::from_tokenizer_json(path);
    ADD_FAILURE() << "single_word accepted";
  } catch (const TokenizerError& e) {
    EXPECT_NE(std::string(e.what()).find("added_tokens[2].single_word = true is not supported"), std::string::npos)
        << e.what();
  }
}

TEST(TokenizerLoad, ModelDirPrefersTokenizerJsonThenVocabThenBuiltin) {
  ScratchDir dir;
  EXPECT_EQ(WordPieceTokenizer::from_model_dir(dir.path()).source(), "builtin:bert-base-uncased");
  const auto vocab = dir.write("vocab.txt", golden_vocab());
  EXPECT_EQ(WordPieceTokenizer::from_model_dir(dir.path()).source(), vocab.string());
  dir.write("tokenizer_config.json", R"({"do_lower_case": false})");
  const auto cased = WordPieceTokenizer::from_model_dir(dir.path());
  EXPECT_FALSE(cased.normalizer_options().lowercase);
  EXPECT_EQ(cased.encode("Hello").tokens, (std::vector<std::string>{"[CLS]", "[UNK]", "[SEP]"}));
  const auto json = dir.write("tokenizer.json", make_tokenizer_json(golden_vocab()).dump());
  EXPECT_EQ(WordPieceTokenizer::from_model_dir(dir.path()).source(), json.string());
  EXPECT_NE(error_of([&] { WordPieceTokenizer::from_model_dir(dir.path() / "nope"); }).find("not a directory"),
            std::string::npos);
}

TEST(TokenizerLoad, VocabTxtErrorsNameTheProblem) {
  ScratchDir dir;
  const auto missing = dir.path() / "missing.txt";
  EXPECT_NE(error_of([&] { WordPieceTokenizer::from_vocab_file(missing); }).find(missing.string() + ": no such file"),
            std::string::npos);
  const auto empty = dir.write("empty.txt", "");
  EXPECT_NE(error_of([&] { WordPieceTokenizer::from_vocab_file(empty); }).find("vocabulary is empty"),
            std::string::npos);
  const auto no_unk = dir.write("no_unk.txt", "[PAD]\n[CLS]\n[SEP]\nhello\n");
  const std::string msg = error_of([&] { WordPieceTokenizer::from_vocab_file(no_unk); });
  EXPECT_NE(msg.find(no_unk.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("'[UNK]' is not in the vocabulary"), std::string::npos) << msg;
  // CRLF line endings are accepted.
  const auto crlf = dir.write("crlf.txt", "[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\nhello\r\n");
  const auto tok = WordPieceTokenizer::from_vocab_file(crlf);
  EXPECT_EQ(tok.encode("Hello").input_ids, (std::vector<int32_t>{2, 4, 3}));
}

TEST(TokenizerLoad, TokenizerJsonErrorsNameTheProblem) {
  ScratchDir dir;
  auto expect_error = [&](const std::string& content, const std::string& expected) {
    const auto path = dir.write("bad.json", content);
    const std::string msg = error_of([&] { WordPieceTokenizer::from_tokenizer_json(path); });
    EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find(expected), std::string::npos) << "expected '" << expected << "' in: " << msg;
  };
  const auto good = make_tokenizer_json("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n");
  // Sanity: the good one loads (the added tokens' ids are rewritten to this small vocabulary).
  auto small = good;
  small["added_tokens"] = nlohmann::json::array();
  EXPECT_EQ(WordPieceTokenizer::from_tokenizer_json(dir.write("good.json", small.dump())).vocab_size(), 6u);

  expect_error("{not json", "not valid JSON");
  expect_error("[1, 2]", "top level must be a JSON object");
  auto bpe = small;
  bpe["model"] = {{"type", "BPE"}, {"vocab", {{"a", 0}}}, {"merges", nlohmann::json::array()}};
  expect_error(bpe.dump(), "model.type is 'BPE'; only WordPiece");
  auto no_model = small;
  no_model.erase("model");
  expect_error(no_model.dump(), "no \"model\" object");
  auto empty = small;
  empty["model"]["vocab"] = nlohmann::json::object();
  expect_error(empty.dump(), "vocabulary (model.vocab) is empty");
  auto no_unk = small;
  no_unk["model"]["vocab"].erase("[UNK]");
  no_unk["model"]["vocab"]["hello"] = 1;
  expect_error(no_unk.dump(), "'[UNK]' is not in the vocabulary");
  auto gap = small;
  gap["model"]["vocab"]["hello"] = 9;
  expect_error(gap.dump(), "leaves a gap");
  auto dup = small;
  dup["model"]["vocab"]["hello"] = 0;
  dup["model"]["vocab"]["extra"] = 5;
  expect_error(dup.dump(), "is used by both");
  auto bad_id = small;
  bad_id["model"]["vocab"]["hello"] = "five";
  expect_error(bad_id.dump(), "model.vocab[\"hello\"] must be an integer id");
  auto norm = small;
  norm["normalizer"] = {{"type", "NFKC"}};
  expect_error(norm.dump(), "normalizer.type 'NFKC' is not supported");
  auto pre = small;
  pre["pre_tokenizer"] = {{"type", "Whitespace"}};
  expect_error(pre.dump(), "not 'Whitespace'");
  auto added = good;  // the skeleton's added tokens use bert-base-uncased ids (100..103)
  expect_error(added.dump(), "added_tokens[1] ('[UNK]', id 100) does not match the vocabulary");
}

}  // namespace
}  // namespace m2vk::tok

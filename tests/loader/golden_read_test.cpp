// Every tensor of the golden checkpoints (zip, legacy, Composer, ...) reads back with the dtype,
// shape and bytes that torch.load gives (expected.json, made by tools/make_fixtures.py).
#include <gtest/gtest.h>

#include <filesystem>

#include "m2vk/loader/tensor_store.hpp"
#include "test_util.hpp"

namespace m2vk::loader::test {
namespace {

struct GoldenCase {
  const char* set;
  const char* format;
  const char* strip;  // prefix the loader normalises away
};

class GoldenRead : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenRead, MatchesTorchLoadWithoutCache) {
  const auto& c = GetParam();
  LoadOptions o;
  o.use_cache = false;
  TensorStore s = load_checkpoint(data_dir() / "golden" / c.set / "checkpoint", o);
  EXPECT_EQ(s.format(), c.format);
  expect_matches(s, expected().at(std::string("golden/") + c.set), c.strip);
}

TEST_P(GoldenRead, MatchesTorchLoadThroughCache) {
  // The build's copy of the golden folders is read-only (tests/CMakeLists.txt): the cache must go
  // to M2VK_CACHE_DIR, never beside the checkpoint.
  const auto& c = GetParam();
  const auto folder = data_dir() / "golden" / c.set / "checkpoint";
  ASSERT_EQ(std::filesystem::status(folder).permissions() & std::filesystem::perms::owner_write,
            std::filesystem::perms::none)
      << folder << " should be read-only";
  ScratchDir cache;
  ::setenv("M2VK_CACHE_DIR", cache.path.c_str(), 1);
  for (int pass = 0; pass < 2; ++pass) {
    TensorStore s = load_checkpoint(data_dir() / "golden" / c.set, {});
    EXPECT_EQ(s.format(), "safetensors");
    EXPECT_EQ(s.source().parent_path(), cache.path);
    std::string joined;
    for (const auto& n : s.notes()) joined += n + "\n";
    EXPECT_NE(joined.find(pass == 0 ? "cache written" : "cache used"), std::string::npos) << joined;
    for (const auto& e : std::filesystem::directory_iterator(folder))
      EXPECT_NE(e.path().extension(), ".safetensors") << "cache written beside the checkpoint: " << e.path();
    expect_matches(s, expected().at(std::string("golden/") + c.set), c.strip, /*check_sharing=*/false);
  }
  ::unsetenv("M2VK_CACHE_DIR");
}

INSTANTIATE_TEST_SUITE_P(Sets, GoldenRead,
                         ::testing::Values(GoldenCase{"tiny-retrieval", "pytorch-zip", ""},
                                           GoldenCase{"legacy-format", "pytorch-legacy", ""},
                                           GoldenCase{"composer", "pytorch-zip", "model."},
                                           GoldenCase{"tiny-classifier", "pytorch-zip", ""},
                                           GoldenCase{"tiny-unidirectional", "pytorch-zip", ""}),
                         [](const auto& param_info) {
                           std::string n = param_info.param.set;
                           for (auto& ch : n) ch = ch == '-' ? '_' : ch;
                           return n;
                         });

TEST(GoldenRead, ComposerKeysAreNormalisedAndReported) {
  LoadOptions o;
  o.use_cache = false;
  TensorStore s = load_checkpoint(data_dir() / "golden/composer/checkpoint/model.pt", o);
  ASSERT_NE(s.find("bert.embeddings.word_embeddings.weight"), nullptr);
  ASSERT_NE(s.find("classifier.weight"), nullptr);
  auto notes = s.notes();
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_NE(notes[0].find("state.model"), std::string::npos);
  EXPECT_NE(notes[1].find("\"model.\" stripped"), std::string::npos);
  // The column-major view (strides (1, 64)) is checked byte for byte by expect_matches above.
  const Tensor& w = s.at("bert.encoder.layer.0.attention.out_linear.weight");
  EXPECT_EQ(w.shape, (std::vector<int64_t>{64, 64}));

  o.normalize_keys = false;
  TensorStore raw = load_checkpoint(data_dir() / "golden/composer/checkpoint/model.pt", o);
  EXPECT_NE(raw.find("model.bert.embeddings.word_embeddings.weight"), nullptr);
  EXPECT_EQ(raw.find("bert.embeddings.word_embeddings.weight"), nullptr);
}

TEST(GoldenRead, ZipAndLegacyGiveIdenticalTensors) {
  LoadOptions o;
  o.use_cache = false;
  TensorStore zip = load_checkpoint(data_dir() / "golden/tiny-retrieval/checkpoint", o);
  TensorStore legacy = load_checkpoint(data_dir() / "golden/legacy-format/checkpoint", o);
  ASSERT_EQ(zip.tensors().size(), legacy.tensors().size());
  for (size_t i = 0; i < zip.tensors().size(); ++i) {
    const Tensor& a = zip.tensors()[i];
    const Tensor& b = legacy.at(a.name);
    EXPECT_EQ(a.shape, b.shape) << a.name;
    ASSERT_EQ(a.bytes.size(), b.bytes.size()) << a.name;
    EXPECT_TRUE(std::equal(a.bytes.begin(), a.bytes.end(), b.bytes.begin())) << a.name;
  }
}

TEST(GoldenRead, AtNamesTheTensorAndFile) {
  LoadOptions o;
  o.use_cache = false;
  TensorStore s = load_checkpoint(data_dir() / "golden/tiny-retrieval/checkpoint", o);
  std::string e = error_of([&] { s.at("bert.no.such.weight"); });
  EXPECT_NE(e.find("bert.no.such.weight"), std::string::npos) << e;
  EXPECT_NE(e.find("pytorch_model.bin"), std::string::npos) << e;
  EXPECT_EQ(s.find("bert.no.such.weight"), nullptr);
}

}  // namespace
}  // namespace m2vk::loader::test

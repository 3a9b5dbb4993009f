// Key normalisation rules, legacy-format bad inputs, and the expanded-view limit.
#include <gtest/gtest.h>

#include <cstring>

#include "key_names.hpp"
#include "pickle_reader.hpp"
#include "test_util.hpp"
#include "torch_pickle.hpp"

namespace m2vk::loader::test {
namespace {

std::vector<Tensor> named(std::initializer_list<const char*> names) {
  std::vector<Tensor> v;
  for (const char* n : names) v.push_back(Tensor{n, DType::F32, {1}, {}, ""});
  return v;
}
std::vector<std::string> names_of(const std::vector<Tensor>& v) {
  std::vector<std::string> r;
  for (const auto& t : v) r.push_back(t.name);
  return r;
}

TEST(KeyNames, WrapperPrefixesAreStrippedOnlyWhenEveryKeyHasThem) {
  auto v = named({"_orig_mod.module.bert.a", "_orig_mod.module.classifier.b"});
  auto notes = normalize_keys(v);
  EXPECT_EQ(names_of(v), (std::vector<std::string>{"bert.a", "classifier.b"}));
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_NE(notes[0].find("_orig_mod."), std::string::npos);

  auto mixed = named({"model.bert.a", "bert.b"});  // not every key: leave them alone
  EXPECT_TRUE(normalize_keys(mixed).empty());
  EXPECT_EQ(names_of(mixed), (std::vector<std::string>{"model.bert.a", "bert.b"}));

  auto hf = named({"bert.embeddings.x", "classifier.weight"});  // already HF names
  EXPECT_TRUE(normalize_keys(hf).empty());
}

TEST(KeyNames, BareBertModelGetsThePrefix) {
  auto v = named({"embeddings.word_embeddings.weight", "encoder.layer.0.mlp.wo.weight", "pooler.dense.bias"});
  auto notes = normalize_keys(v);
  EXPECT_EQ(names_of(v), (std::vector<std::string>{"bert.embeddings.word_embeddings.weight", "bert.encoder.layer.0.mlp.wo.weight",
                                                   "bert.pooler.dense.bias"}));
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("\"bert.\" added to 3"), std::string::npos) << notes[0];
  auto composer_bare = named({"model.embeddings.a", "model.encoder.b"});
  normalize_keys(composer_bare);
  EXPECT_EQ(names_of(composer_bare), (std::vector<std::string>{"bert.embeddings.a", "bert.encoder.b"}));
}

LoadOptions no_cache() {
  LoadOptions o;
  o.use_cache = false;
  return o;
}

TEST(LegacyBadInput, BigEndianSysInfoIsRejected) {
  ScratchDir d;
  auto b = read_bytes(loader_data("views_legacy.pt"));
  std::string key = "little_endian";
  auto it = std::search(b.begin(), b.end(), key.begin(), key.end());
  ASSERT_NE(it, b.end());
  auto t = std::find(it, it + 20, uint8_t(0x88));  // NEWTRUE after the key (maybe past a BINPUT)
  ASSERT_NE(t, it + 20);
  *t = 0x89;  // NEWFALSE
  write_bytes(d / "be.pt", b);
  std::string e = error_of([&] { load_checkpoint(d / "be.pt", no_cache()); });
  EXPECT_NE(e.find("big-endian"), std::string::npos) << e;
  EXPECT_NE(e.find("be.pt"), std::string::npos) << e;
}

TEST(LegacyBadInput, BadMagicAndTruncation) {
  ScratchDir d;
  auto b = read_bytes(loader_data("views_legacy.pt"));
  auto bad = b;
  bad[5] ^= 0xff;  // inside the 10-byte magic number
  write_bytes(d / "magic.pt", bad);
  EXPECT_NE(error_of([&] { load_checkpoint(d / "magic.pt", no_cache()); }).find("magic number"), std::string::npos);
  for (size_t keep : {size_t(3), size_t(40), b.size() / 2}) {
    write_bytes(d / "cut.pt", std::vector<uint8_t>(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(keep)));
    std::string e = error_of([&] { load_checkpoint(d / "cut.pt", no_cache()); });
    EXPECT_NE(e.find("cut.pt"), std::string::npos) << keep << ": " << e;
  }
  // Extra bytes after the last storage are tolerated and reported.
  auto longer = b;
  longer.push_back(0);
  write_bytes(d / "long.pt", longer);
  TensorStore s = load_checkpoint(d / "long.pt", no_cache());
  ASSERT_FALSE(s.notes().empty());
  EXPECT_NE(s.notes()[0].find("1 trailing bytes"), std::string::npos);
}

TEST(LegacyBadInput, StorageCountMismatch) {
  ScratchDir d;
  auto b = read_bytes(loader_data("dtypes_legacy.pt"));
  // Skip the five pickles (magic, version, sys_info, object, key list) with the reader itself;
  // the first storage's 8-byte element count follows.
  std::span<const std::byte> all(reinterpret_cast<const std::byte*>(b.data()), b.size());
  pickle::Reader r(all, "dtypes_legacy.pt");
  for (int i = 0; i < 5; ++i) r.load();
  size_t stop = r.position() - 1;
  b[stop + 1] += 1;  // first storage's element count, low byte
  write_bytes(d / "count.pt", b);
  std::string e = error_of([&] { load_checkpoint(d / "count.pt", no_cache()); });
  EXPECT_NE(e.find("the pickle says"), std::string::npos) << e;
}

}  // namespace
}  // namespace m2vk::loader::test

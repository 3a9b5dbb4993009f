// The fixtures of tools/make_fixtures.py (all dtypes, views, shared storages, legacy and protocol-4
// pickles, a renamed zip, wrapped state dicts, sharded safetensors) against torch.load's reading.
#include <gtest/gtest.h>

#include "m2vk/loader/tensor_store.hpp"
#include "test_util.hpp"

namespace m2vk::loader::test {
namespace {

class FixtureRead : public ::testing::TestWithParam<const char*> {};

TEST_P(FixtureRead, MatchesTorchLoad) {
  LoadOptions o;
  o.use_cache = false;
  TensorStore s = load_checkpoint(loader_data(GetParam()), o);
  expect_matches(s, expected().at(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Files, FixtureRead,
                         ::testing::Values("dtypes.pt", "dtypes_legacy.pt", "views.pt", "views_legacy.pt",
                                           "views_proto4.pt", "renamed.bin", "arrays.npz", "arrays_compressed.npz"),
                         [](const auto& param_info) {
                           std::string n = param_info.param;
                           for (auto& ch : n) ch = std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
                           return n;
                         });

TEST(FixtureRead, FormatsAreNamed) {
  LoadOptions o;
  o.use_cache = false;
  EXPECT_EQ(load_checkpoint(loader_data("views.pt"), o).format(), "pytorch-zip");
  EXPECT_EQ(load_checkpoint(loader_data("views_legacy.pt"), o).format(), "pytorch-legacy");
  EXPECT_EQ(load_checkpoint(loader_data("arrays.npz"), o).format(), "npz");
  EXPECT_EQ(load_checkpoint(loader_data("sharded"), o).format(), "safetensors-sharded");
}

TEST(FixtureRead, ViewsAreMaterialisedRowMajor) {
  LoadOptions o;
  o.use_cache = false;
  TensorStore s = load_checkpoint(loader_data("views.pt"), o);
  // base[i][j] = (10 i + j) * 0.5 - 3: a closed form independent of the fixture file.
  auto base = [](int i, int j) { return float(10 * i + j) * 0.5f - 3.0f; };
  auto t = to_float32(s.at("transposed"));
  ASSERT_EQ(s.at("transposed").shape, (std::vector<int64_t>{10, 6}));
  for (int r = 0; r < 10; ++r)
    for (int c = 0; c < 6; ++c) EXPECT_EQ(t[size_t(r * 6 + c)], base(c, r));
  auto cols = to_float32(s.at("cols"));
  for (int r = 0; r < 6; ++r)
    for (int c = 0; c < 4; ++c) EXPECT_EQ(cols[size_t(r * 4 + c)], base(r, c + 3));
  auto strided = to_float32(s.at("strided"));
  ASSERT_EQ(s.at("strided").shape, (std::vector<int64_t>{3, 4}));
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) EXPECT_EQ(strided[size_t(r * 4 + c)], base(1 + 2 * r, 3 * c));
  EXPECT_EQ(to_float32(s.at("element")), std::vector<float>{base(5, 9)});
  EXPECT_TRUE(s.at("element").shape.empty());
  auto ex = to_float32(s.at("expanded"));
  ASSERT_EQ(ex.size(), 12u);
  for (int r = 0; r < 4; ++r) {
    EXPECT_EQ(ex[size_t(r * 3)], 1.5f);
    EXPECT_EQ(ex[size_t(r * 3 + 1)], -2.0f);
    EXPECT_EQ(ex[size_t(r * 3 + 2)], 4.0f);
  }
}

TEST(FixtureRead, DtypesKeptAsStored) {
  LoadOptions o;
  o.use_cache = false;
  TensorStore s = load_checkpoint(loader_data("dtypes.pt"), o);
  EXPECT_EQ(s.at("bf16").dtype, DType::BF16);
  EXPECT_EQ(s.at("f16").bytes.size(), 5u * 2u);
  EXPECT_EQ(s.at("empty").numel(), 0);
  EXPECT_EQ(s.at("empty").shape, (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(s.at("scalar").numel(), 1);
  // I64 values beyond float precision stay exact in the bytes.
  const Tensor& i64 = s.at("i64");
  int64_t v[3];
  std::memcpy(v, i64.bytes.data(), sizeof v);
  EXPECT_EQ(v[0], -(int64_t(1) << 62));
  EXPECT_EQ(v[2], (int64_t(1) << 62) + 5);
}

TEST(FixtureRead, WrappedStateDictIsFoundAndPrefixesStripped) {
  LoadOptions o;
  o.use_cache = false;
  TensorStore s = load_checkpoint(loader_data("wrapped.pt"), o);
  expect_matches(s, expected().at("wrapped.pt"), "module._orig_mod.");
  std::string notes;
  for (const auto& n : s.notes()) notes += n + "\n";
  EXPECT_NE(notes.find("\"state_dict\""), std::string::npos) << notes;
  EXPECT_NE(notes.find("\"module.\" stripped"), std::string::npos) << notes;
  EXPECT_NE(notes.find("\"_orig_mod.\" stripped"), std::string::npos) << notes;
  EXPECT_NE(s.find("bert.weight"), nullptr);
}

TEST(FixtureRead, ShardedIndexMergesShards) {
  TensorStore s = load_checkpoint(loader_data("sharded"), {});
  expect_matches(s, expected().at("sharded"), "", /*check_sharing=*/false);
}

TEST(FixtureRead, DisallowedGlobalsUsedAsTensorsAreErrors) {
  LoadOptions o;
  o.use_cache = false;
  std::string e = error_of([&] { load_checkpoint(loader_data("evil_os_system.pt"), o); });
  EXPECT_NE(e.find("posix.system"), std::string::npos) << e;
  EXPECT_NE(e.find("\"w\""), std::string::npos) << e;
  e = error_of([&] { load_checkpoint(loader_data("evil_eval.pt"), o); });
  EXPECT_NE(e.find("builtin__.eval"), std::string::npos) << e;  // protocol 2 writes the python 2 module name
  EXPECT_NE(e.find("not an allowed tensor constructor"), std::string::npos) << e;
}

TEST(FixtureRead, FolderSearchListsWhatWasLookedFor) {
  ScratchDir d;
  std::string e = error_of([&] { load_checkpoint(d.path, {}); });
  EXPECT_NE(e.find("model.safetensors"), std::string::npos) << e;
  EXPECT_NE(e.find("pytorch_model.bin"), std::string::npos) << e;
  EXPECT_NE(e.find("*.npz"), std::string::npos) << e;
  e = error_of([&] { load_checkpoint(d.path / "nothing.bin", {}); });
  EXPECT_NE(e.find("no such file"), std::string::npos) << e;
}

}  // namespace
}  // namespace m2vk::loader::test

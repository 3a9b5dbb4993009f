// The m2vk CLI: demo-model, embed (order, formats, stdin/JSONL input, values equal to the API),
// classify, bad flags (non-zero exit, no output file), golden exit codes.
#include <gtest/gtest.h>


#include <cmath>
#include <cstdio>
#include <cstring>

#include "m2vk/demo_model.hpp"
#include "m2vk/loader/safetensors.hpp"
#include "m2vk/loader/tensor_store.hpp"
#include "m2vk/model.hpp"
#include "test_util.hpp"

namespace {

using namespace m2vk;
namespace fs = std::filesystem;

using test::CliRun;

// Runs `m2vk <args>`, capturing stdout; stderr goes to the test log.
CliRun m2vk_run(const std::string& args) { return test::run_cli(M2VK_BIN, args); }

std::string q(const fs::path& p) { return test::quote_path(p); }

// The API side of the comparisons runs the CPU reference, as the CLI calls below do (--device cpu).
Model load_cpu(const fs::path& dir) {
  ModelLoadOptions o;
  o.device = Device::parse("cpu");
  return Model::load(dir, o);
}

class Cli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    model_ = dir_->path() / "demo";
    const CliRun r = m2vk_run("demo-model " + q(model_) + " --shape tiny --l-max 64 --seed 2");
    ASSERT_EQ(r.code, 0);
  }
  static void TearDownTestSuite() { delete dir_; }
  static test::TempDir* dir_;
  static fs::path model_;
};
test::TempDir* Cli::dir_ = nullptr;
fs::path Cli::model_;

std::vector<std::vector<double>> parse_jsonl_embeddings(const std::string& text) {
  std::vector<std::vector<double>> rows;
  size_t pos = 0;
  while ((pos = text.find("\"embedding\": [", pos)) != std::string::npos) {
    pos += 14;
    const size_t end = text.find(']', pos);
    std::vector<double> v;
    const char* s = text.c_str() + pos;
    while (s < text.c_str() + end) {
      char* e = nullptr;
      v.push_back(std::strtod(s, &e));
      s = e;
      while (*s == ',' || *s == ' ') ++s;
    }
    rows.push_back(v);
    pos = end;
  }
  return rows;
}

TEST_F(Cli, DemoModelWritesTheRealLayout) {
  EXPECT_TRUE(fs::exists(model_ / "config.json"));
  EXPECT_TRUE(fs::exists(model_ / "model.safetensors"));
  EXPECT_TRUE(fs::exists(model_ / "vocab.txt"));
  EXPECT_NE(test::read_file(model_ / "config.json").find("\"m2vk_random_weights\": true"), std::string::npos);
}

TEST_F(Cli, EmbedJsonlMatchesApiInInputOrder) {
  const CliRun r = m2vk_run("embed --model " + q(model_) + " --device cpu 'first text' 'second one' 'third'");
  ASSERT_EQ(r.code, 0);
  auto rows = parse_jsonl_embeddings(r.out);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_NE(r.out.find("\"index\": 2"), std::string::npos);
  EXPECT_NE(r.out.find("\"random_weights\": true"), std::string::npos);
  Model m = load_cpu(model_);
  EmbedResult e = m.embed({"first text", "second one", "third"});
  for (int64_t i = 0; i < 3; ++i) {
    ASSERT_EQ(rows[i].size(), 32u);
    for (int64_t c = 0; c < 32; ++c) EXPECT_NEAR(rows[i][c], e.data[i * 32 + c], 1e-7) << i;
  }
}

TEST_F(Cli, EmbedReadsStdinAndJsonlAndWritesNpyAndSafetensors) {
  const fs::path in = dir_->path() / "in.jsonl";
  test::TempDir out;
  {
    std::ofstream f(in);
    f << "{\"text\": \"first text\"}\nplain second line\n\n{\"text\": \"third\"}\n";
  }
  const CliRun a = m2vk_run("embed --model " + q(model_) + " --device cpu --format npy --output " + q(out / "e.npy") + " < " + q(in));
  ASSERT_EQ(a.code, 0);
  const std::string npy = test::read_file(out / "e.npy");
  ASSERT_EQ(npy.substr(0, 6), "\x93NUMPY");
  EXPECT_NE(npy.find("'shape': (3, 32)"), std::string::npos);
  const size_t header = 10 + static_cast<unsigned char>(npy[8]) + 256 * static_cast<unsigned char>(npy[9]);
  ASSERT_EQ(npy.size(), header + 3 * 32 * 4);

  const CliRun b = m2vk_run("embed --model " + q(model_) + " --device cpu --input " + q(in) + " --format safetensors --output " +
                         q(out / "e.safetensors"));
  ASSERT_EQ(b.code, 0);
  loader::TensorStore st = loader::load_safetensors(out / "e.safetensors");
  std::vector<float> sv = loader::to_float32(st.at("embeddings"));
  ASSERT_EQ(sv.size(), 3u * 32);
  // Same values in both files, and row 1 is the plain-text line.
  EXPECT_EQ(std::memcmp(sv.data(), npy.data() + header, sv.size() * 4), 0);
  Model m = load_cpu(model_);
  EmbedResult e = m.embed({"plain second line"});
  for (int c = 0; c < 32; ++c) EXPECT_EQ(sv[32 + c], e.data[c]);
}

TEST_F(Cli, BadFlagsExitNonZeroAndWriteNothing) {
  test::TempDir out;
  const fs::path o = out / "x.jsonl";
  EXPECT_EQ(m2vk_run("embed --model " + q(model_) + " --padding sideways --output " + q(o) + " hi").code, 2);
  EXPECT_EQ(m2vk_run("embed --model " + q(model_) + " --bogus --output " + q(o) + " hi").code, 2);
  EXPECT_EQ(m2vk_run("embed --model " + q(model_) + " --format csv --output " + q(o) + " hi").code, 2);
  EXPECT_EQ(m2vk_run("embed --model " + q(model_) + " --format npy hi").code, 2);  // npy needs --output
  EXPECT_EQ(m2vk_run("embed --model " + q(model_) + " --max-length 65 --output " + q(o) + " hi").code, 1);
  EXPECT_EQ(m2vk_run("embed --model " + q(model_) + " --device 99 --output " + q(o) + " hi").code, 1);  // no GPU 99
  EXPECT_EQ(m2vk_run("embed --model " + q(dir_->path() / "nonexistent") + " --output " + q(o) + " hi").code, 1);
  EXPECT_EQ(m2vk_run("embed --output " + q(o) + " hi").code, 2);  // no --model
  EXPECT_FALSE(fs::exists(o));
  for (const auto& e : fs::directory_iterator(out.path())) ADD_FAILURE() << "left behind: " << e.path();
}

TEST_F(Cli, ClassifyOnRetrievalModelFails) {
  EXPECT_EQ(m2vk_run("classify --model " + q(model_) + " hello").code, 1);
}

TEST(CliGolden, ExitCodes) {
  const CliRun ok = m2vk_run("golden " + q(test::golden_dir("tiny-unidirectional")) + " --device cpu");
  EXPECT_EQ(ok.code, 0) << ok.out;
  EXPECT_NE(ok.out.find("encoder.layer.1.mlp.wo"), std::string::npos);
  EXPECT_NE(ok.out.find("PASS"), std::string::npos);

  // A corrupted expected tensor must fail the run.
  test::TempDir d;
  fs::copy(test::golden_dir("tiny-unidirectional"), d.path(), fs::copy_options::recursive);
  fs::remove(d / "expected_padmax.safetensors");
  {
    loader::TensorStore src = loader::load_safetensors(test::golden_dir("tiny-unidirectional") / "expected.safetensors");
    std::vector<loader::TensorToWrite> t;
    for (const auto& x : src.tensors()) {
      const loader::Tensor* xp = &x;
      const bool corrupt = x.name == "encoder.layer.0.mixer.long_conv";
      t.push_back({x.name, x.dtype, x.shape, [xp, corrupt](std::span<std::byte> out) {
                     std::memcpy(out.data(), xp->bytes.data(), out.size());
                     if (corrupt) {
                       float v;
                       std::memcpy(&v, out.data(), 4);
                       v += 0.01f;
                       std::memcpy(out.data(), &v, 4);
                     }
                   }});
    }
    loader::write_safetensors(d / "expected.safetensors", t, {});
  }
  const CliRun bad = m2vk_run("golden " + q(d.path()) + " --device cpu --dump " + q(d / "dump.safetensors"));
  EXPECT_EQ(bad.code, 1) << bad.out;
  EXPECT_NE(bad.out.find("FAIL"), std::string::npos);
  // The dump holds the produced tensors under the expected names.
  loader::TensorStore dump = loader::load_safetensors(d / "dump.safetensors");
  EXPECT_NE(dump.find("encoder.layer.0.mixer.long_conv"), nullptr);
  EXPECT_NE(dump.find("last_hidden_state"), nullptr);
  EXPECT_EQ(m2vk_run("golden " + q(d / "missing")).code, 1);
  EXPECT_EQ(m2vk_run("golden").code, 2);
}

}  // namespace

// The on-disk pipeline cache: written (atomically) when the context ends, reused by the next
// context, and a corrupt or foreign file is ignored, never fatal.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "pc/host_test.h"
#include "vk_test.hpp"

namespace m2vk {
namespace {

namespace fs = std::filesystem;

class PipelineCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("m2vk-pcache-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<host::Context> make() {
    host::ContextOptions opt;
    opt.validation = true;
    opt.cache_dir = dir_;
    return host::Context::create(opt);
  }
  // Builds two pipelines and runs one, so the cache has content and the context is usable.
  static void exercise(host::Context& ctx) {
    ctx.pipeline("host_test_saxpy", {host::SpecConstant::u32(0, 64)});
    const host::Pipeline& p = ctx.pipeline("host_test_index");
    host::Buffer b = ctx.create_buffer(64 * 4);
    auto rec = ctx.record();
    rec.dispatch(p, {host::write(b)}, pc::HostIndexPC{64, 7, 2, 0}, host::Groups{1}, "index");
    rec.submit_and_wait();
    EXPECT_EQ(ctx.download<std::uint32_t>(b.slice(4, 4))[0], 9u);
    for (const auto& m : ctx.validation_messages()) ADD_FAILURE() << m.id << ": " << m.message;
  }
  static std::vector<char> read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  fs::path dir_;
};

TEST_F(PipelineCacheTest, WrittenOnExitAndReused) {
  fs::path file;
  {
    auto ctx = make();
    file = ctx->pipeline_cache_path();
    EXPECT_EQ(file.parent_path(), dir_);
    EXPECT_EQ(ctx->pipeline_cache_loaded_bytes(), 0u);  // nothing there yet
    exercise(*ctx);
  }
  ASSERT_TRUE(fs::exists(file));
  const auto size = fs::file_size(file);
  EXPECT_GE(size, 32u);  // at least the header (lavapipe stores nothing more)
  for (const auto& e : fs::directory_iterator(dir_)) EXPECT_EQ(e.path(), file) << "stray temporary file";
  {
    auto ctx = make();
    EXPECT_EQ(ctx->pipeline_cache_loaded_bytes(), size);
    exercise(*ctx);
  }
}

TEST_F(PipelineCacheTest, CorruptOrForeignFileIsIgnored) {
  fs::path file;
  std::vector<char> good;
  {
    auto ctx = make();
    file = ctx->pipeline_cache_path();
    exercise(*ctx);
  }
  good = read(file);
  ASSERT_GE(good.size(), 32u);
  std::vector<std::vector<char>> bad = {
      {},                                      // empty
      std::vector<char>(good.begin(), good.begin() + 20),  // truncated header
      std::vector<char>(1000, '\x5a'),                     // garbage
  };
  auto foreign = good;
  foreign[16] = static_cast<char>(foreign[16] ^ 0xff);  // another driver's pipelineCacheUUID
  bad.push_back(foreign);
  auto wrong_len = good;
  wrong_len[0] = '\x7f';
  wrong_len[1] = '\x7f';
  wrong_len[2] = '\x7f';  // header claims more bytes than the file has
  bad.push_back(wrong_len);
  for (std::size_t i = 0; i < bad.size(); ++i) {
    {
      std::ofstream out(file, std::ios::binary | std::ios::trunc);
      out.write(bad[i].data(), static_cast<std::streamsize>(bad[i].size()));
    }
    {
      auto ctx = make();
      EXPECT_EQ(ctx->pipeline_cache_loaded_bytes(), 0u) << "case " << i;
      exercise(*ctx);
    }
    // Replaced by a valid cache on exit.
    auto ctx = make();
    EXPECT_EQ(ctx->pipeline_cache_loaded_bytes(), good.size()) << "case " << i;
  }
}

TEST_F(PipelineCacheTest, UnwritableFolderIsNotFatal) {
  // A regular file where the cache folder should be: creating it fails, which must not throw.
  fs::create_directories(dir_.parent_path());
  { std::ofstream(dir_) << "x"; }
  {
    auto ctx = make();
    exercise(*ctx);
    EXPECT_THROW(ctx->save_pipeline_cache(), host::HostError);  // explicit save reports the problem
  }
  fs::remove(dir_);
}

TEST(PipelineCacheDir, EnvironmentOrder) {
  auto save = [](const char* k) {
    const char* v = std::getenv(k);
    return std::make_pair(v != nullptr, std::string(v ? v : ""));
  };
  auto restore = [](const char* k, const std::pair<bool, std::string>& v) {
    if (v.first)
      ::setenv(k, v.second.c_str(), 1);
    else
      ::unsetenv(k);
  };
  auto m = save("M2VK_CACHE_DIR"), x = save("XDG_CACHE_HOME"), h = save("HOME");
  ::setenv("M2VK_CACHE_DIR", "/a/m2vk-cache", 1);
  ::setenv("XDG_CACHE_HOME", "/b/xdg", 1);
  ::setenv("HOME", "/c/home", 1);
  EXPECT_EQ(host::default_cache_dir(), fs::path("/a/m2vk-cache"));
  ::unsetenv("M2VK_CACHE_DIR");
  EXPECT_EQ(host::default_cache_dir(), fs::path("/b/xdg/m2vk"));
  ::unsetenv("XDG_CACHE_HOME");
  EXPECT_EQ(host::default_cache_dir(), fs::path("/c/home/.cache/m2vk"));
  restore("M2VK_CACHE_DIR", m);
  restore("XDG_CACHE_HOME", x);
  restore("HOME", h);
}

}  // namespace
}  // namespace m2vk

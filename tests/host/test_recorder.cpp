// Command recording: automatic barriers (only where a hazard exists), thousands of dispatches
// in one command buffer (with push descriptors and with pooled descriptor sets), named
// timestamps, and use after submit.
#include <chrono>
#include <string>
#include <vector>

#include "pc/host_test.h"
#include "vk_test.hpp"

namespace m2vk {
namespace {

using host::Groups;

class RecorderTest : public test::VkTest {};

TEST_F(RecorderTest, BarriersOnlyWhereAHazardExists) {
  const std::uint32_t n = 256;
  std::vector<float> xa = test::random_floats(n, 11), yb = test::random_floats(n, 12);
  host::Buffer a = upload(xa), b = upload(yb);
  host::Buffer c = ctx().create_buffer(n * 4);
  const host::Pipeline& saxpy = ctx().pipeline("host_test_saxpy", {host::SpecConstant::u32(0, 64)});
  auto axpy = [&](host::CommandRecorder& rec, float alpha) {
    rec.dispatch(saxpy, {host::read(a), host::read_write(b)}, pc::HostSaxpyPC{n, alpha}, Groups{n / 64}, "saxpy");
  };
  auto rec = ctx().record();
  axpy(rec, 1.0f);  // b += a
  rec.fill(c, std::bit_cast<std::uint32_t>(0.5f));  // independent of a and b
  EXPECT_EQ(rec.barrier_count(), 0u);
  axpy(rec, 2.0f);  // reads and writes b again: RAW + WAW
  EXPECT_EQ(rec.barrier_count(), 1u);
  rec.copy(c, a);  // overwrites a, which the saxpy reads: WAR
  EXPECT_EQ(rec.barrier_count(), 2u);
  axpy(rec, 1.0f);  // reads the new a: RAW
  EXPECT_EQ(rec.barrier_count(), 3u);
  rec.submit_and_wait();
  std::vector<double> want(n);
  for (std::uint32_t i = 0; i < n; ++i) want[i] = double(yb[i]) + 3.0 * xa[i] + 0.5;
  EXPECT_TRUE(test::all_close(download<float>(b), want, 1e-6, 1e-6));
}

// Dependent increments: each dispatch reads what the previous one wrote, so a missing barrier
// or a lost dispatch shows up in the final count.
void run_chain(host::Context& ctx, std::uint32_t dispatches, std::uint32_t n) {
  host::Buffer data = ctx.create_buffer(n * 4);
  const host::Pipeline& p = ctx.pipeline("host_test_index");
  auto rec = ctx.record();
  rec.fill(data, 0);
  for (std::uint32_t i = 0; i < dispatches; ++i)
    rec.dispatch(p, {host::read_write(data)}, pc::HostIndexPC{n, 0, i % 3 + 1, 1}, Groups{host::div_up(n, 64)}, "inc");
  EXPECT_EQ(rec.dispatch_count(), dispatches);
  EXPECT_EQ(rec.barrier_count(), dispatches);  // fill -> first dispatch, then one per dispatch
  rec.submit_and_wait();
  std::uint32_t want = 0;
  for (std::uint32_t i = 0; i < dispatches; ++i) want += i % 3 + 1;
  auto got = ctx.download<std::uint32_t>(data);
  for (std::uint32_t i = 0; i < n; ++i) ASSERT_EQ(got[i], want) << "element " << i;
}

TEST_F(RecorderTest, ThousandsOfDispatchesInOneCommandBuffer) { run_chain(ctx(), 5000, 100); }

TEST(RecorderPooledDescriptors, ThousandsOfDispatchesWithoutPushDescriptors) {
  host::ContextOptions opt;
  opt.validation = true;
  opt.disable_push_descriptor = true;  // exercises descriptor pools (several: 256 sets each)
  opt.persist_pipeline_cache = false;
  auto ctx = host::Context::create(opt);
  run_chain(*ctx, 2000, 100);
  for (const auto& m : ctx->validation_messages()) ADD_FAILURE() << m.id << ": " << m.message;
}

TEST_F(RecorderTest, TimingsAreNamedPositiveAndPlausible) {
  if (!ctx().device_info().timestamps) GTEST_SKIP() << "device has no timestamps";
  const std::uint32_t n = 1 << 22;  // 16 MiB per buffer: milliseconds of work even on a fast GPU
  host::Buffer x = filled(n * 4, std::bit_cast<std::uint32_t>(1.0f)), y = filled(n * 4);
  const host::Pipeline& p = ctx().pipeline("host_test_saxpy", {host::SpecConstant::u32(0, 256)});
  auto rec = ctx().record({.profile = true});
  ASSERT_TRUE(rec.profiling());
  rec.dispatch(p, {host::read(x), host::read_write(y)}, pc::HostSaxpyPC{n, 2.0f}, Groups{n / 256}, "saxpy_a");
  rec.dispatch(p, {host::read(x), host::read_write(y)}, pc::HostSaxpyPC{n, 3.0f}, Groups{n / 256}, "saxpy_b");
  rec.fill(x, 0, "clear_x");
  auto t0 = std::chrono::steady_clock::now();
  rec.submit_and_wait();
  double wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  auto t = rec.timings();
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].name, "saxpy_a");
  EXPECT_EQ(t[1].name, "saxpy_b");
  EXPECT_EQ(t[2].name, "clear_x");
  double sum = 0;
  for (const auto& d : t) {
    EXPECT_GT(d.ms, 0.0) << d.name;
    sum += d.ms;
  }
  EXPECT_LE(sum, wall_ms * 1.05 + 0.5) << "GPU time cannot exceed the host's wall time around the submit";
  EXPECT_EQ(download<float>(y.slice(0, 8)), (std::vector<float>{5.0f, 5.0f}));
}

TEST_F(RecorderTest, ManyTimedDispatchesGrowTheQueryPool) {
  if (!ctx().device_info().timestamps) GTEST_SKIP() << "device has no timestamps";
  host::Buffer data = filled(64 * 4);
  const host::Pipeline& p = ctx().pipeline("host_test_index");
  auto rec = ctx().record({.profile = true});
  for (int i = 0; i < 700; ++i)  // > 256 commands per 512-query pool
    rec.dispatch(p, {host::read_write(data)}, pc::HostIndexPC{64, 0, 1, 1}, Groups{1}, "inc" + std::to_string(i));
  rec.submit_and_wait();
  auto t = rec.timings();
  ASSERT_EQ(t.size(), 700u);
  EXPECT_EQ(t[699].name, "inc699");
  for (const auto& d : t) EXPECT_GE(d.ms, 0.0);
  EXPECT_EQ(download<std::uint32_t>(data.slice(0, 4))[0], 700u);
}

TEST_F(RecorderTest, NoTimingsWithoutProfiling) {
  host::Buffer data = filled(64 * 4);
  auto rec = ctx().record();
  rec.fill(data, 1);
  rec.submit_and_wait();
  EXPECT_FALSE(rec.profiling());
  EXPECT_TRUE(rec.timings().empty());
}

TEST_F(RecorderTest, RecordingAfterSubmitIsAnError) {
  host::Buffer data = filled(64 * 4);
  auto rec = ctx().record();
  rec.fill(data, 1);
  rec.submit_and_wait();
  EXPECT_TRUE(rec.submitted());
  EXPECT_THROW(rec.fill(data, 2), host::HostError);
  EXPECT_THROW(rec.submit_and_wait(), host::HostError);
  // A moved-from recorder is empty and says so.
  auto rec2 = ctx().record();
  auto rec3 = std::move(rec2);
  EXPECT_THROW(rec2.fill(data, 3), host::HostError);  // NOLINT(bugprone-use-after-move): tested on purpose
  rec3.fill(data, 3);
  ctx().submit(rec3);
  EXPECT_EQ(download<std::uint32_t>(data.slice(0, 4))[0], 3u);
}

// Foreign work recorded straight into the command buffer (as VkFFT does) is one named op in the
// timings when bracketed by begin_external / end_external, is ordered after earlier writes to its
// ranges, and the bracket is enforced.
TEST_F(RecorderTest, ExternalWorkIsTimedAsOneNamedOp) {
  if (!ctx().device_info().timestamps) GTEST_SKIP() << "device has no timestamps";
  const std::uint32_t n = 1 << 22;
  host::Buffer data = filled(n * 4, 7);
  auto rec = ctx().record({.profile = true});
  rec.fill(data, 1, "ours");
  rec.begin_external("foreign_fill", {host::write(data)});
  EXPECT_THROW(rec.fill(data, 3), host::HostError);  // nothing of ours inside the bracket
  EXPECT_THROW(rec.submit_and_wait(), host::HostError);
  const host::BufferRange r = data;
  vkCmdFillBuffer(rec.command_buffer(), r.buffer, r.offset, r.size, 2);
  rec.end_external();
  EXPECT_THROW(rec.end_external(), host::HostError);  // no bracket open
  rec.submit_and_wait();
  auto t = rec.timings();
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].name, "ours");
  EXPECT_EQ(t[1].name, "foreign_fill");
  EXPECT_GT(t[1].ms, 0.0);
  EXPECT_EQ(download<std::uint32_t>(data.slice(0, 4))[0], 2u);  // the barrier ordered it after ours
  EXPECT_EQ(download<std::uint32_t>(data.slice(std::uint64_t(n - 1) * 4, 4))[0], 2u);
  auto unnamed = ctx().record();
  EXPECT_THROW(unnamed.begin_external("", {host::write(data)}), host::HostError);
}

TEST_F(RecorderTest, UnsubmittedRecorderIsDiscardedCleanly) {
  host::Buffer data = filled(64 * 4, 9);
  {
    auto rec = ctx().record();
    rec.fill(data, 1);
    rec.dispatch(ctx().pipeline("host_test_index"), {host::write(data)}, pc::HostIndexPC{64, 0, 1, 0}, Groups{1}, "never");
  }
  EXPECT_EQ(download<std::uint32_t>(data.slice(0, 4))[0], 9u);
}

}  // namespace
}  // namespace m2vk

// Compute shaders through the host runtime, each checked against a CPU computation:
// a vector op (push + specialization constants), reductions (shared memory and subgroup) and a
// shared-memory transpose over odd sizes.
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "pc/host_test.h"
#include "vk_test.hpp"

namespace m2vk {
namespace {

using host::Groups;

class ComputeTest : public test::VkTest {};

struct SaxpyCase {
  std::uint32_t n;
  std::uint32_t local;
};

class SaxpyTest : public test::VkTest, public ::testing::WithParamInterface<SaxpyCase> {};

TEST_P(SaxpyTest, MatchesCpu) {
  const auto [n, local] = GetParam();
  std::vector<float> x = test::random_floats(n, 1), y = test::random_floats(n, 2);
  const float alpha = 0.75f;
  host::Buffer bx = upload(x), by = upload(y);
  const host::Pipeline& p = ctx().pipeline("host_test_saxpy", {host::SpecConstant::u32(0, local)});
  EXPECT_EQ(p.local_size[0], local);
  auto rec = ctx().record();
  rec.dispatch(p, {host::read(bx), host::read_write(by)}, pc::HostSaxpyPC{n, alpha}, Groups{host::div_up(n, local)}, "saxpy");
  rec.submit_and_wait();
  std::vector<float> want(n);
  for (std::uint32_t i = 0; i < n; ++i) want[i] = alpha * x[i] + y[i];  // one fma-free rounding either way
  EXPECT_TRUE(test::all_close(download<float>(by), want, 1e-6, 1e-6));
}

INSTANTIATE_TEST_SUITE_P(Sizes, SaxpyTest,
                         ::testing::Values(SaxpyCase{1, 64}, SaxpyCase{63, 64}, SaxpyCase{64, 64}, SaxpyCase{100003, 64},
                                           SaxpyCase{100003, 256}, SaxpyCase{7, 1}),
                         [](const auto& param_info) { return "n" + std::to_string(param_info.param.n) + "_wg" + std::to_string(param_info.param.local); });

// Two passes of the same shader: per-workgroup partial sums, then the sum of the partials.
float gpu_sum(host::Context& ctx, const std::string& variant, const host::Buffer& in, std::uint32_t n) {
  const host::Pipeline& p = ctx.pipeline(variant);
  const std::uint32_t per_group = 4096;
  const std::uint32_t groups = host::div_up(n, per_group);
  host::Buffer partial = ctx.create_buffer(groups * sizeof(float));
  host::Buffer total = ctx.create_buffer(sizeof(float));
  auto rec = ctx.record();
  rec.dispatch(p, {host::read(in), host::write(partial)}, pc::HostReducePC{n, per_group}, Groups{groups}, "partials");
  rec.dispatch(p, {host::read(partial), host::write(total)}, pc::HostReducePC{groups, groups}, Groups{1}, "total");
  rec.submit_and_wait();
  EXPECT_EQ(rec.barrier_count(), 1u);  // the second pass reads what the first wrote
  return ctx.download<float>(total)[0];
}

class ReduceTest : public test::VkTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(ReduceTest, SumMatchesDoubleReference) {
  for (std::uint32_t n : {1u, 255u, 257u, 4096u, 1000003u}) {
    std::vector<float> v = test::random_floats(n, n, 0.0f, 1.0f);
    double want = std::accumulate(v.begin(), v.end(), 0.0);
    host::Buffer in = upload(v);
    float got = gpu_sum(ctx(), GetParam(), in, n);
    // fp32 tree sums of n positive values: relative error well under n * eps / 100 here.
    EXPECT_NEAR(got, want, 1e-6 * want + 1e-6) << GetParam() << " n=" << n;
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, ReduceTest, ::testing::Values("host_test_reduce_shared", "host_test_reduce_subgroup"));

TEST_F(ComputeTest, TransposeOddSizes) {
  const host::Pipeline& p = ctx().pipeline("host_test_transpose");
  ASSERT_EQ(p.local_size[0], 16u);
  ASSERT_EQ(p.local_size[1], 16u);
  const std::pair<std::uint32_t, std::uint32_t> shapes[] = {{1, 1}, {1, 37}, {37, 1}, {16, 16}, {17, 15}, {53, 37}, {300, 211}};
  for (auto [rows, cols] : shapes) {
    std::vector<float> a = test::random_floats(std::size_t{rows} * cols, rows * 1000 + cols);
    host::Buffer in = upload(a);
    host::Buffer out = filled(a.size() * sizeof(float), 0x7fc00000u);  // NaN: unwritten elements fail
    auto rec = ctx().record();
    rec.dispatch(p, {host::read(in), host::write(out)}, pc::HostTransposePC{rows, cols}, Groups{host::div_up(cols, 16), host::div_up(rows, 16)},
                 "transpose");
    rec.submit_and_wait();
    std::vector<float> want(a.size());
    for (std::uint32_t r = 0; r < rows; ++r)
      for (std::uint32_t c = 0; c < cols; ++c) want[std::size_t{c} * rows + r] = a[std::size_t{r} * cols + c];
    EXPECT_TRUE(test::all_close(download<float>(out), want, 0, 0)) << rows << "x" << cols;
  }
}

TEST_F(ComputeTest, SpecializationConstantsReachTheShader) {
  struct Case {
    host::SpecConstants spec;
    std::uint32_t u, f_bits, i_bits, local;
  };
  const Case cases[] = {
      {{}, 7u, std::bit_cast<std::uint32_t>(1.5f), std::bit_cast<std::uint32_t>(-3), 1u},
      {{host::SpecConstant::u32(1, 42), host::SpecConstant::f32(2, -0.25f), host::SpecConstant::i32(3, -100000),
        host::SpecConstant::u32(0, 32)},
       42u, std::bit_cast<std::uint32_t>(-0.25f), std::bit_cast<std::uint32_t>(-100000), 32u},
      {{host::SpecConstant::u32(0, 8)}, 7u, std::bit_cast<std::uint32_t>(1.5f), std::bit_cast<std::uint32_t>(-3), 8u},
  };
  for (const auto& c : cases) {
    const host::Pipeline& p = ctx().pipeline("host_test_spec_constants", c.spec);
    EXPECT_EQ(p.local_size[0], c.local);
    host::Buffer out = filled(5 * sizeof(std::uint32_t));
    auto rec = ctx().record();
    rec.dispatch(p, {host::write(out)}, std::span<const std::byte>{}, Groups{3}, "spec");
    rec.submit_and_wait();
    auto got = download<std::uint32_t>(out);
    EXPECT_EQ(got, (std::vector<std::uint32_t>{c.u, c.f_bits, c.i_bits, c.local, 3u}));
  }
  // Same key -> same cached pipeline; different values -> a different one.
  const host::Pipeline& a = ctx().pipeline("host_test_spec_constants", {host::SpecConstant::u32(1, 5)});
  const host::Pipeline& b = ctx().pipeline("host_test_spec_constants", {host::SpecConstant::u32(1, 5)});
  const host::Pipeline& c = ctx().pipeline("host_test_spec_constants", {host::SpecConstant::u32(1, 6)});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(a.pipeline, c.pipeline);
}

TEST_F(ComputeTest, PushConstantsChangeBetweenDispatches) {
  // Same pipeline, same buffer, different push constants: each dispatch must see its own values.
  const std::uint32_t n = 1000;
  host::Buffer data = filled(n * sizeof(std::uint32_t));
  const host::Pipeline& p = ctx().pipeline("host_test_index");
  auto rec = ctx().record();
  rec.dispatch(p, {host::write(data)}, pc::HostIndexPC{n, 5, 3, 0}, Groups{host::div_up(n, 64)}, "set");
  rec.dispatch(p, {host::read_write(data)}, pc::HostIndexPC{n / 2, 0, 1000, 1}, Groups{host::div_up(n / 2, 64)}, "add");
  rec.submit_and_wait();
  auto got = download<std::uint32_t>(data);
  for (std::uint32_t i = 0; i < n; ++i) ASSERT_EQ(got[i], 5 + 3 * i + (i < n / 2 ? 1000u : 0u)) << i;
}

TEST_F(ComputeTest, MisuseIsAClearError) {
  const host::Pipeline& p = ctx().pipeline("host_test_saxpy", {host::SpecConstant::u32(0, 64)});
  EXPECT_EQ(p.binding_count, 2u);
  EXPECT_EQ(p.push_constant_size, sizeof(pc::HostSaxpyPC));
  host::Buffer x = filled(256), y = filled(256);
  auto rec = ctx().record();
  auto message = [](auto&& fn) {
    try {
      fn();
    } catch (const host::HostError& e) {
      return std::string(e.what());
    }
    return std::string("no exception");
  };
  EXPECT_NE(message([&] { rec.dispatch(p, {host::read(x)}, pc::HostSaxpyPC{64, 1.0f}, Groups{1}, "one_binding"); })
                .find("1 buffers bound, the shader declares 2"),
            std::string::npos);
  EXPECT_NE(message([&] { rec.dispatch(p, {host::read(x), host::write(y)}, pc::HostIndexPC{1, 1, 1, 1}, Groups{1}, "x"); }).find("push-constant"),
            std::string::npos);
  EXPECT_NE(message([&] { rec.dispatch(p, {host::read(x), host::write(y)}, pc::HostSaxpyPC{64, 1.0f}, Groups{0xffffffffu}, "big"); })
                .find("group count"),
            std::string::npos);
  EXPECT_THROW(ctx().pipeline("no_such_variant"), std::runtime_error);
  EXPECT_THROW(ctx().pipeline("host_test_saxpy", {host::SpecConstant::u32(9, 1)}), host::HostError);
  EXPECT_EQ(rec.dispatch_count(), 0u);
}

}  // namespace
}  // namespace m2vk

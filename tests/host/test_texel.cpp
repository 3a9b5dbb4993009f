// Uniform texel buffer bindings (host::texels): values read back exactly through RGBA32F and R32
// views, offset slices, both descriptor paths (push descriptors and pooled sets), reflection of
// the binding kind, and the named errors for misuse and device limits.
#include <cstring>
#include <string>
#include <vector>

#include "pc/gemm_texel_probe.h"
#include "vk_test.hpp"

namespace m2vk {
namespace {

using host::Groups;

class TexelTest : public test::VkTest {};

// out[i] = texel i of `src` read as `format`, for i < n (vec4 per texel; R32 gives (x, 0, 0, 1)).
std::vector<float> probe(host::Context& ctx, const host::BufferRange& src, VkFormat format, std::uint32_t n) {
  host::Buffer out = ctx.create_buffer(std::uint64_t(n) * 16);
  auto rec = ctx.record();
  rec.dispatch(ctx.pipeline("gemm_texel_probe"), {host::texels(src, format), host::write(out)}, pc::GemmTexelProbePC{n},
               Groups{host::div_up(n, 64)}, "probe");
  rec.submit_and_wait();
  return ctx.download<float>(out);
}

std::vector<float> ramp(std::size_t n) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = 0.5f * float(i) - 1000.25f;  // exact in fp32
  return v;
}

TEST_F(TexelTest, ReflectsTheBindingKinds) {
  const host::Pipeline& p = ctx().pipeline("gemm_texel_probe");
  ASSERT_EQ(p.binding_count, 2u);
  EXPECT_EQ(p.binding_kinds, (std::vector<host::BindingKind>{host::BindingKind::UniformTexelBuffer,
                                                              host::BindingKind::StorageBuffer}));
  EXPECT_EQ(ctx().pipeline("host_test_saxpy").binding_kinds,
            (std::vector<host::BindingKind>{host::BindingKind::StorageBuffer, host::BindingKind::StorageBuffer}));
}

TEST_F(TexelTest, Rgba32fViewReadsBackExactly) {
  const std::uint32_t n = 1001;  // texels: not a multiple of the workgroup
  const std::vector<float> v = ramp(4 * n);
  host::Buffer b = upload(v);
  EXPECT_EQ(probe(ctx(), b, VK_FORMAT_R32G32B32A32_SFLOAT, n), v);
}

TEST_F(TexelTest, R32ViewOfAnOffsetSliceReadsBackExactly) {
  const std::vector<float> v = ramp(5000);
  host::Buffer b = upload(v);
  const VkDeviceSize align = std::max<VkDeviceSize>(ctx().limits().texel_offset_alignment, 4);
  const VkDeviceSize off = 3 * align;  // bytes
  const std::uint32_t n = 777;
  const auto got = probe(ctx(), b.slice(off, n * 4), VK_FORMAT_R32_SFLOAT, n);
  for (std::uint32_t i = 0; i < n; ++i) {
    ASSERT_EQ(got[4 * i], v[off / 4 + i]) << "texel " << i;
    ASSERT_EQ(got[4 * i + 1], 0.0f);
    ASSERT_EQ(got[4 * i + 3], 1.0f);
  }
  // Two slices of the same buffer in one command buffer (two cached views, no barrier needed).
  host::Buffer o1 = ctx().create_buffer(64 * 16), o2 = ctx().create_buffer(64 * 16);
  auto rec = ctx().record();
  const auto& p = ctx().pipeline("gemm_texel_probe");
  rec.dispatch(p, {host::texels(b.slice(0, 256), VK_FORMAT_R32_SFLOAT), host::write(o1)}, pc::GemmTexelProbePC{64}, Groups{1});
  rec.dispatch(p, {host::texels(b.slice(off, 256), VK_FORMAT_R32_SFLOAT), host::write(o2)}, pc::GemmTexelProbePC{64}, Groups{1});
  rec.submit_and_wait();
  EXPECT_EQ(rec.barrier_count(), 0u);
  const auto g1 = ctx().download<float>(o1), g2 = ctx().download<float>(o2);
  for (std::uint32_t i = 0; i < 64; ++i) {
    ASSERT_EQ(g1[4 * i], v[i]);
    ASSERT_EQ(g2[4 * i], v[off / 4 + i]);
  }
}

TEST_F(TexelTest, ViewsOfReleasedBuffersAreNotReusedStale) {
  // Same bytes of the memory block, different contents: a fresh buffer must read its own data.
  for (int round = 0; round < 3; ++round) {
    std::vector<float> v = ramp(256);
    for (float& x : v) x += float(round * 10000);
    host::Buffer b = upload(v);
    EXPECT_EQ(probe(ctx(), b, VK_FORMAT_R32G32B32A32_SFLOAT, 64), v) << "round " << round;
  }
}

TEST(TexelPooledDescriptors, ReadsBackWithoutPushDescriptors) {
  host::ContextOptions opt;
  opt.validation = true;
  opt.disable_push_descriptor = true;
  opt.persist_pipeline_cache = false;
  auto ctx = host::Context::create(opt);
  const std::vector<float> v = ramp(4 * 300);
  host::Buffer b = ctx->create_buffer(v.size() * 4);
  ctx->upload(b, v);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(probe(*ctx, b, VK_FORMAT_R32G32B32A32_SFLOAT, 300), v);
  for (const auto& m : ctx->validation_messages()) ADD_FAILURE() << m.id << ": " << m.message;
}

// Runs one probe dispatch with the given bindings and returns the HostError text ("" if none).
std::string dispatch_error(host::Context& ctx, std::initializer_list<host::Binding> bindings) {
  auto rec = ctx.record();
  try {
    rec.dispatch(ctx.pipeline("gemm_texel_probe"), bindings, pc::GemmTexelProbePC{1}, Groups{1}, "probe");
  } catch (const host::HostError& e) {
    return e.what();
  }
  return "";
}

TEST_F(TexelTest, MisuseAndLimitsThrowNamedErrors) {
  host::Buffer b = ctx().create_buffer(4096), out = ctx().create_buffer(4096);
  auto has = [](const std::string& msg, const char* what) {
    return msg.find(what) != std::string::npos && msg.find("dispatch 'probe'") != std::string::npos;
  };
  const VkFormat rgba = VK_FORMAT_R32G32B32A32_SFLOAT;
  EXPECT_PRED2(has, dispatch_error(ctx(), {host::read(b), host::write(out)}), "host::texels");
  EXPECT_PRED2(has, dispatch_error(ctx(), {host::texels(b, rgba), host::texels(out, rgba)}), "storage buffer in the shader");
  EXPECT_PRED2(has, dispatch_error(ctx(), {host::texels(b.slice(0, 20), rgba), host::write(out)}), "whole number of 16-byte texels");
  EXPECT_PRED2(has, dispatch_error(ctx(), {host::texels(b, VK_FORMAT_R8G8B8A8_UNORM), host::write(out)}), "not supported");
  if (ctx().limits().texel_offset_alignment > 4) {
    EXPECT_PRED2(has, dispatch_error(ctx(), {host::texels(b.slice(4, 16), rgba), host::write(out)}),
                 "minTexelBufferOffsetAlignment");
  }
  EXPECT_EQ(dispatch_error(ctx(), {host::texels(b, rgba), host::write(out)}), "");
  EXPECT_EQ(host::texel_size(VK_FORMAT_R32_SFLOAT), 4u);
  EXPECT_EQ(host::texel_size(rgba), 16u);
  EXPECT_EQ(host::texel_size(VK_FORMAT_R8G8B8A8_UNORM), 0u);
}

TEST_F(TexelTest, LimitsAreReported) {
  // Vulkan's required minimum for maxTexelBufferElements is 65536.
  EXPECT_GE(ctx().limits().max_texel_elements, 65536u);
  EXPECT_GE(ctx().limits().texel_offset_alignment, 1u);
}

}  // namespace
}  // namespace m2vk

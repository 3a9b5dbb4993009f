// Compile-only contexts (ContextOptions::compile_only) on lavapipe: pipelines are created, every
// call that needs memory or a queue is refused with an error saying why, and pipeline statistics
// are simply absent on a driver without VK_KHR_pipeline_executable_properties. (The RADV null
// device, where this mode matters, is covered by tests/gpu_model/null_device_test.cpp.)
#include <gtest/gtest.h>

#include <string>

#include "m2vk/host/context.hpp"
#include "m2vk/host/error.hpp"

namespace m2vk::host {
namespace {

std::unique_ptr<Context> compile_only_context() {
  ContextOptions o;
  o.compile_only = true;
  o.capture_statistics = true;
  o.persist_pipeline_cache = false;
  return Context::create(o);
}

TEST(CompileOnly, PipelinesAreCreatedAndMemoryIsRefusedByName) {
  auto ctx = compile_only_context();
  EXPECT_TRUE(ctx->compile_only());
  const Pipeline& p = ctx->pipeline("host_test_saxpy");
  EXPECT_NE(p.pipeline, VK_NULL_HANDLE);
  EXPECT_EQ(p.binding_count, 2u);
  try {
    ctx->create_buffer(256);
    FAIL() << "create_buffer worked in a compile-only context";
  } catch (const HostError& e) {
    EXPECT_NE(std::string(e.what()).find("compile-only"), std::string::npos) << e.what();
  }
  try {
    ctx->record();
    FAIL() << "record() worked in a compile-only context";
  } catch (const HostError& e) {
    EXPECT_NE(std::string(e.what()).find("compile-only"), std::string::npos) << e.what();
  }
}

TEST(CompileOnly, LavapipeReportsNoStatistics) {
  auto ctx = compile_only_context();
  EXPECT_FALSE(ctx->statistics_available());
  EXPECT_TRUE(ctx->pipeline_statistics(ctx->pipeline("host_test_saxpy")).empty());
}

TEST(CompileOnly, CooperativeMatrixShaderIsUnsupportedWithoutTheExtension) {
  auto ctx = compile_only_context();
  if (ctx->cooperative_matrix_enabled()) GTEST_SKIP() << "this device has VK_NV_cooperative_matrix";
  try {
    ctx->pipeline("gemm_coopmat_e0");
    FAIL() << "gemm_coopmat_e0 compiled without VK_NV_cooperative_matrix";
  } catch (const UnsupportedShader& e) {
    EXPECT_NE(std::string(e.what()).find("VK_NV_cooperative_matrix"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace m2vk::host

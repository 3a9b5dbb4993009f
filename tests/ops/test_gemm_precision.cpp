// Precision selection for the GEMMs (m2vk/ops/gemm_precision.hpp): FP16CoopMat is used only on
// devices with cooperative matrices, fp16 arithmetic, subgroup size 32 and a context that
// enabled them; otherwise it falls back to FP32 (default) or throws (Require).
#include <gtest/gtest.h>

#include <string>

#include "m2vk/ops/gemm_precision.hpp"
#include "m2vk/ops/op_error.hpp"
#include "m2vk/shaders.hpp"
#include "vk_test.hpp"

namespace m2vk::test {
namespace {

using ops::Precision;
using ops::PrecisionPolicy;

host::DeviceInfo capable_device() {
  host::DeviceInfo d;
  d.name = "fake tensor-core GPU";
  d.cooperative_matrix = true;
  d.coopmat_nv_f16 = true;
  d.fp16_arithmetic = true;
  d.vulkan_memory_model = true;
  d.subgroup_size = 32;
  return d;
}

TEST(GemmPrecision, CapableDeviceGetsCoopMat) {
  EXPECT_EQ(ops::resolve_precision(capable_device(), true, Precision::FP16CoopMat), Precision::FP16CoopMat);
  EXPECT_EQ(ops::resolve_precision(capable_device(), true, Precision::FP32), Precision::FP32);
}

TEST(GemmPrecision, EachMissingPieceFallsBackAndIsNamed) {
  struct Miss {
    void (*apply)(host::DeviceInfo&);
    bool enabled;
    const char* needle;
  };
  const Miss cases[] = {
      {[](host::DeviceInfo& d) { d.cooperative_matrix = d.coopmat_nv_f16 = false; }, true, "no VK_NV_cooperative_matrix"},
      {[](host::DeviceInfo& d) { d.coopmat_nv_f16 = false; }, true, "KHR_cooperative_matrix only"},
      {[](host::DeviceInfo& d) { d.fp16_arithmetic = false; }, true, "shaderFloat16"},
      {[](host::DeviceInfo& d) { d.vulkan_memory_model = false; }, true, "vulkanMemoryModel"},
      {[](host::DeviceInfo& d) { d.subgroup_size = 8; }, true, "subgroup size 8"},
      {[](host::DeviceInfo&) {}, false, "did not enable"},
  };
  for (const Miss& m : cases) {
    host::DeviceInfo d = capable_device();
    m.apply(d);
    EXPECT_EQ(ops::resolve_precision(d, m.enabled, Precision::FP16CoopMat), Precision::FP32) << m.needle;
    try {
      ops::resolve_precision(d, m.enabled, Precision::FP16CoopMat, PrecisionPolicy::Require);
      ADD_FAILURE() << "Require did not throw for " << m.needle;
    } catch (const ops::OpError& e) {
      EXPECT_NE(std::string(e.what()).find(m.needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("fake tensor-core GPU"), std::string::npos) << e.what();
    }
  }
}

TEST(GemmPrecision, ParseNames) {
  EXPECT_EQ(ops::parse_precision("fp32"), Precision::FP32);
  EXPECT_EQ(ops::parse_precision("fp16-coopmat"), Precision::FP16CoopMat);
  EXPECT_EQ(ops::precision_name(Precision::FP16CoopMat), "fp16-coopmat");
  EXPECT_THROW(ops::parse_precision("bf16"), ops::OpError);
}

class GemmPrecisionDevice : public VkTest {};

TEST_F(GemmPrecisionDevice, LavapipeFallsBackToFp32) {
  // lavapipe has no cooperative matrices: reduced precision silently becomes FP32, or errors
  // clearly under Require.
  EXPECT_FALSE(ctx().device_info().cooperative_matrix);
  EXPECT_FALSE(ctx().device_info().coopmat_nv_f16);
  EXPECT_FALSE(ctx().cooperative_matrix_enabled());
  EXPECT_FALSE(ops::coopmat_enabled(ctx()));
  EXPECT_EQ(ops::resolve_precision(ctx(), Precision::FP16CoopMat), Precision::FP32);
  EXPECT_THROW(ops::resolve_precision(ctx(), Precision::FP16CoopMat, PrecisionPolicy::Require), ops::OpError);
}

TEST(GemmPrecision, CoopMatKernelIsEmbedded) {
  // The cooperative-matrix kernel compiled to SPIR-V at build time (its pipeline cannot be
  // created on lavapipe, which lacks the capability).
  for (int e = 0; e < 4; ++e) {
    const auto words = m2vk::shaders::find("gemm_coopmat_e" + std::to_string(e));
    ASSERT_GT(words.size(), 5u);
    EXPECT_EQ(words[0], 0x07230203u);  // SPIR-V magic
  }
}

}  // namespace
}  // namespace m2vk::test

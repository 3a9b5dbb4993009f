// Shared fixture for GPU tests: one host::Context per test process (validation layer forced on),
// and a test FAILS if the validation layer reported anything while it ran.
//
//   #include "vk_test.hpp"
//   class MyOpTest : public m2vk::test::VkTest {};
//   TEST_F(MyOpTest, Works) {
//     auto x = upload(std::vector<float>{1, 2, 3});          // device-local buffer
//     auto rec = ctx().record();
//     rec.dispatch(ctx().pipeline("my_op"), {host::read(x), host::write(y)}, pc, {groups});
//     rec.submit_and_wait();
//     auto got = download<float>(y);
//     EXPECT_TRUE(m2vk::test::all_close(got, want, 1e-5, 1e-5));
//   }
//
// Link m2vk_test_common (tests/CMakeLists: m2vk_add_gtest(... LIBS m2vk_test_common ...)).
// The device comes from M2VK_DEVICE (lavapipe in CTest).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "m2vk/host/host.hpp"

namespace m2vk::test {

// The process-wide context (created on first use with validation on).
host::Context& vk_context();

class VkTest : public ::testing::Test {
 protected:
  void SetUp() override;
  // Adds a failure for every validation message recorded during the test.
  void TearDown() override;

  host::Context& ctx() { return vk_context(); }

  // A device-local buffer holding `values`.
  template <class T>
  host::Buffer upload(const std::vector<T>& values) {
    host::Buffer b = ctx().create_buffer(values.size() * sizeof(T));
    ctx().upload(b, values);
    return b;
  }
  // A device-local buffer of `bytes` bytes (a multiple of 4) filled with a 32-bit pattern.
  host::Buffer filled(VkDeviceSize bytes, std::uint32_t pattern = 0) {
    host::Buffer b = ctx().create_buffer(bytes);
    auto rec = ctx().record();
    rec.fill(b, pattern);
    rec.submit_and_wait();
    return b;
  }
  template <class T>
  std::vector<T> download(const host::BufferRange& r) {
    return ctx().download<T>(r);
  }
};

// Reproducible inputs: uniform in [lo, hi) from a fixed seed.
std::vector<float> random_floats(std::size_t n, std::uint32_t seed, float lo = -1.0f, float hi = 1.0f);

// Passes when |got[i] - want[i]| <= atol + rtol * |want[i]| for all i, with equal sizes and no
// NaN/Inf in got; the failure message names the worst element and the number of mismatches.
::testing::AssertionResult all_close(const std::vector<float>& got, const std::vector<double>& want, double atol, double rtol);
::testing::AssertionResult all_close(const std::vector<float>& got, const std::vector<float>& want, double atol, double rtol);

}  // namespace m2vk::test

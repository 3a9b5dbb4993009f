// The validation hookup: messages are recorded (never printed), a missing layer is an error,
// and Vulkan failures become VulkanError with the call and the VkResult name.
#include <cstdlib>
#include <string>

#include "vk_test.hpp"

namespace m2vk {
namespace {

TEST(Validation, InvalidCallIsRecorded) {
  host::ContextOptions opt;
  opt.validation = true;
  opt.persist_pipeline_cache = false;
  auto ctx = host::Context::create(opt);
  ASSERT_TRUE(ctx->validation_enabled());
  EXPECT_TRUE(ctx->validation_messages().empty());
  ctx->debug_make_invalid_call();
  auto messages = ctx->validation_messages();
  ASSERT_FALSE(messages.empty());
  bool found = false;
  for (const auto& m : messages)
    found |= m.severity == host::ValidationMessage::Severity::Error && m.id.find("vkCmdFillBuffer") != std::string::npos;
  EXPECT_TRUE(found) << messages[0].id << ": " << messages[0].message;
  ctx->clear_validation_messages();
  EXPECT_TRUE(ctx->validation_messages().empty());
}

TEST(Validation, OffMeansNothingIsRecorded) {
  host::ContextOptions opt;
  opt.validation = false;
  opt.persist_pipeline_cache = false;
  auto ctx = host::Context::create(opt);
  EXPECT_FALSE(ctx->validation_enabled());
  EXPECT_TRUE(ctx->validation_messages().empty());
}

TEST(Validation, EnvironmentDefault) {
  const char* old = std::getenv("M2VK_VALIDATION");
  std::string saved = old ? old : "";
  ::setenv("M2VK_VALIDATION", "1", 1);
  EXPECT_TRUE(host::ContextOptions{}.validation);
  ::setenv("M2VK_VALIDATION", "0", 1);
  EXPECT_FALSE(host::ContextOptions{}.validation);
  ::unsetenv("M2VK_VALIDATION");
  EXPECT_FALSE(host::ContextOptions{}.validation);
  if (old) ::setenv("M2VK_VALIDATION", saved.c_str(), 1);
}

TEST(Validation, MissingLayerIsAnError) {
  // VK_LAYER_PATH replaces the loader's search path for explicit layers: point it at nothing.
  const char* old = std::getenv("VK_LAYER_PATH");
  std::string saved = old ? old : "";
  ::setenv("VK_LAYER_PATH", "/nonexistent-m2vk-layer-path", 1);
  host::ContextOptions opt;
  opt.validation = true;
  opt.persist_pipeline_cache = false;
  try {
    host::Context::create(opt);
    ADD_FAILURE() << "created a validated context without the layer";
  } catch (const host::HostError& e) {
    EXPECT_NE(std::string(e.what()).find("VK_LAYER_KHRONOS_validation"), std::string::npos) << e.what();
  }
  if (old)
    ::setenv("VK_LAYER_PATH", saved.c_str(), 1);
  else
    ::unsetenv("VK_LAYER_PATH");
}

TEST(VulkanErrors, NameTheCallAndResult) {
  try {
    host::check(VK_ERROR_DEVICE_LOST, "vkQueueSubmit", "command buffer with 3 dispatches");
    ADD_FAILURE() << "no exception";
  } catch (const host::VulkanError& e) {
    std::string m = e.what();
    EXPECT_EQ(e.result(), VK_ERROR_DEVICE_LOST);
    EXPECT_TRUE(e.device_lost());
    EXPECT_NE(m.find("vkQueueSubmit failed with VK_ERROR_DEVICE_LOST (command buffer with 3 dispatches)"), std::string::npos) << m;
  }
  try {
    host::check(VK_ERROR_OUT_OF_DEVICE_MEMORY, "vkAllocateMemory", "device-local buffer");
    ADD_FAILURE() << "no exception";
  } catch (const host::VulkanError& e) {
    EXPECT_TRUE(e.out_of_memory());
    EXPECT_NE(std::string(e.what()).find("out of memory"), std::string::npos);
  }
  EXPECT_NO_THROW(host::check(VK_SUCCESS, "vkCreateBuffer"));
  EXPECT_NO_THROW(host::check(VK_INCOMPLETE, "vkEnumeratePhysicalDevices"));  // a status, not an error
  EXPECT_EQ(host::vk_result_name(static_cast<VkResult>(-123456)), "VkResult(-123456)");
}

}  // namespace
}  // namespace m2vk

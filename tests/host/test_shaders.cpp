// The embedded shader table and the reflection the runtime derives from it.
#include <algorithm>
#include <string>

#include "m2vk/shaders.hpp"
#include "pc/host_test.h"
#include "vk_test.hpp"

namespace m2vk {
namespace {

TEST(Shaders, VariantsAreEmbeddedAndFoundByName) {
  auto names = shaders::names();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  for (const char* n : {"host_test_saxpy", "host_test_reduce_shared", "host_test_reduce_subgroup", "host_test_transpose",
                        "host_test_index", "host_test_spec_constants"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
    auto words = shaders::find(n);
    ASSERT_GT(words.size(), 5u) << n;
    EXPECT_EQ(words[0], 0x07230203u) << n;  // SPIR-V magic
    EXPECT_TRUE(shaders::try_find(n).has_value());
  }
  // One source, two variants through a define: different code.
  auto a = shaders::find("host_test_reduce_shared"), b = shaders::find("host_test_reduce_subgroup");
  EXPECT_FALSE(std::equal(a.begin(), a.end(), b.begin(), b.end()));
}

TEST(Shaders, UnknownNameIsAnErrorNamingIt) {
  EXPECT_FALSE(shaders::try_find("no_such_shader").has_value());
  EXPECT_FALSE(shaders::try_find("").has_value());
  try {
    shaders::find("no_such_shader");
    ADD_FAILURE() << "no exception";
  } catch (const shaders::UnknownShader& e) {
    EXPECT_NE(std::string(e.what()).find("'no_such_shader'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("host_test_saxpy"), std::string::npos);  // lists the known ones
  }
}

class ReflectionTest : public test::VkTest {};

TEST_F(ReflectionTest, BindingsPushConstantsAndWorkgroupSize) {
  const host::Pipeline& saxpy = ctx().pipeline("host_test_saxpy", {host::SpecConstant::u32(0, 128)});
  EXPECT_EQ(saxpy.binding_count, 2u);
  EXPECT_EQ(saxpy.push_constant_size, sizeof(pc::HostSaxpyPC));
  EXPECT_EQ(saxpy.local_size[0], 128u);
  EXPECT_EQ(saxpy.local_size[1], 1u);
  const host::Pipeline& index = ctx().pipeline("host_test_index");
  EXPECT_EQ(index.binding_count, 1u);
  EXPECT_EQ(index.push_constant_size, sizeof(pc::HostIndexPC));
  EXPECT_EQ(index.local_size[0], 64u);
  const host::Pipeline& transpose = ctx().pipeline("host_test_transpose");
  EXPECT_EQ(transpose.local_size[0], 16u);
  EXPECT_EQ(transpose.local_size[1], 16u);
  const host::Pipeline& spec = ctx().pipeline("host_test_spec_constants");
  EXPECT_EQ(spec.push_constant_size, 0u);
  EXPECT_EQ(spec.local_size[0], 1u);  // local_size_x_id default
}

}  // namespace
}  // namespace m2vk

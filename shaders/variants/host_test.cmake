# Test shaders of the host runtime (tests/host). Format for every op: one m2vk_shader() per variant.
m2vk_shader(NAME host_test_saxpy SOURCE test/saxpy.comp)
m2vk_shader(NAME host_test_reduce_shared SOURCE test/reduce.comp)
m2vk_shader(NAME host_test_reduce_subgroup SOURCE test/reduce.comp DEFINES SUBGROUP=1)
m2vk_shader(NAME host_test_transpose SOURCE test/transpose.comp)
m2vk_shader(NAME host_test_index SOURCE test/index.comp)
m2vk_shader(NAME host_test_spec_constants SOURCE test/spec_constants.comp)

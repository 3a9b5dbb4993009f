# VkFFT backend of the FFT convolution (vkfft_conv.cpp). Debian's vkFFT.h 1.2.26 does not compile
# against glslang 12: its positional initializer of glslang_resource_t predates nine mesh-shader
# fields. A corrected copy is written into the build tree at configure time (glslang's default
# values inserted before maxDualSourceDrawBuffersEXT) and included as a system header.
find_package(glslang CONFIG QUIET)
set(M2VK_VKFFT_HEADER /usr/include/vkFFT.h CACHE FILEPATH "VkFFT header (libvkfft-dev)")
if(glslang_FOUND AND EXISTS ${M2VK_VKFFT_HEADER})
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${M2VK_VKFFT_HEADER})
  file(READ ${M2VK_VKFFT_HEADER} vkfft_src)
  set(vkfft_mesh_ext "/* mesh EXT limits (glslang 12) */ 256, 256, 128, 128, 128, 128, 128, 128, 4,")
  string(REPLACE "/* .maxDualSourceDrawBuffersEXT = */ 1,"
                 "${vkfft_mesh_ext} /* .maxDualSourceDrawBuffersEXT = */ 1," vkfft_src "${vkfft_src}")
  set(vkfft_dir ${CMAKE_CURRENT_BINARY_DIR}/vkfft_patched)
  file(WRITE ${vkfft_dir}/vkFFT.h.tmp "${vkfft_src}")
  file(COPY_FILE ${vkfft_dir}/vkFFT.h.tmp ${vkfft_dir}/vkFFT.h ONLY_IF_DIFFERENT)
  target_include_directories(m2vk_ops SYSTEM PRIVATE ${vkfft_dir})
  target_link_libraries(m2vk_ops PRIVATE glslang::glslang glslang::SPIRV)
  target_compile_definitions(m2vk_ops PRIVATE M2VK_HAVE_VKFFT=1)
  message(STATUS "m2vk_ops: VkFFT backend enabled (${M2VK_VKFFT_HEADER})")
else()
  message(STATUS "m2vk_ops: VkFFT backend disabled (needs ${M2VK_VKFFT_HEADER} and glslang)")
endif()

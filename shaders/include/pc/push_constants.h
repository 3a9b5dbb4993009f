// Push-constant layouts written once, included by both GLSL and C++.
//
// An op's header (include/pc/<op>.h) lists its members once, with an X-macro:
//
//   #include "pc/push_constants.h"
//   #define M2VK_PC_SAXPY(X) X(uint, n) X(float, alpha)
//   M2VK_DECLARE_PUSH_CONSTANTS(SaxpyPC, M2VK_PC_SAXPY, 8)
//
// In C++ that declares `struct m2vk::pc::SaxpyPC { std::uint32_t n; float alpha; };` with
// static_asserts on its size (the third argument) and the 128-byte guaranteed limit; in GLSL it
// expands to nothing. The shader then declares its block from the same member list:
//
//   #include "pc/saxpy.h"
//   M2VK_PUSH_CONSTANT_BLOCK(SaxpyPC, M2VK_PC_SAXPY)
//   // = layout(push_constant) uniform SaxpyPC_block { uint n; float alpha; } pc;
// Members must be 32-bit scalars (uint, int, float) so the C++ and std430 layouts agree
// without padding rules.
#ifndef M2VK_PC_PUSH_CONSTANTS_H
#define M2VK_PC_PUSH_CONSTANTS_H

#ifdef __cplusplus
#include <cstdint>
#include <type_traits>
namespace m2vk::pc {
using m2vk_pc_uint = std::uint32_t;
using m2vk_pc_int = std::int32_t;
using m2vk_pc_float = float;
}  // namespace m2vk::pc
#define M2VK_PC_CXX_MEMBER(type, name) m2vk_pc_##type name;
#define M2VK_DECLARE_PUSH_CONSTANTS(Name, MEMBERS, SIZE)                                      \
  namespace m2vk::pc {                                                                        \
  struct Name {                                                                               \
    MEMBERS(M2VK_PC_CXX_MEMBER)                                                               \
  };                                                                                          \
  static_assert(sizeof(Name) == (SIZE), #Name ": size differs from the declared size");       \
  static_assert((SIZE) <= 128, #Name ": larger than the 128-byte guaranteed push constants"); \
  static_assert(std::is_standard_layout_v<Name> && std::is_trivially_copyable_v<Name>);       \
  }
#else
#define M2VK_PC_GLSL_MEMBER(type, name) type name;
#define M2VK_DECLARE_PUSH_CONSTANTS(Name, MEMBERS, SIZE)
#define M2VK_PUSH_CONSTANT_BLOCK(Name, MEMBERS) \
  layout(push_constant) uniform Name##_block { MEMBERS(M2VK_PC_GLSL_MEMBER) } pc;
#endif

#endif  // M2VK_PC_PUSH_CONSTANTS_H

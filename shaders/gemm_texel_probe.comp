#version 450
// Texel-buffer probe: out[i] = texelFetch(src, i) for i < n. The host runtime's tests of uniform
// texel buffer bindings (tests/host/test_texel.cpp) use it; it lives with the GEMM because the
// GEMM kernel is what reads its operands through texel buffers. An R32 view yields (x, 0, 0, 1).
#include "pc/gemm_texel_probe.h"

layout(local_size_x = 64) in;
layout(binding = 0) uniform samplerBuffer src;
layout(std430, binding = 1) writeonly buffer Out { vec4 o[]; };
M2VK_PUSH_CONSTANT_BLOCK(GemmTexelProbePC, M2VK_PC_GEMM_TEXEL_PROBE)

void main() {
  uint i = gl_GlobalInvocationID.x;
  if (i < pc.n) o[i] = texelFetch(src, int(i));
}

// Push constants of shaders/gemm_texel_probe.comp: out[i] = texelFetch(src, i) for i < n.
#ifndef M2VK_PC_GEMM_TEXEL_PROBE_H
#define M2VK_PC_GEMM_TEXEL_PROBE_H
#include "pc/push_constants.h"

#define M2VK_PC_GEMM_TEXEL_PROBE(X) X(uint, n)
M2VK_DECLARE_PUSH_CONSTANTS(GemmTexelProbePC, M2VK_PC_GEMM_TEXEL_PROBE, 4)

#endif  // M2VK_PC_GEMM_TEXEL_PROBE_H

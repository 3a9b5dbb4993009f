#version 450
// The reduced-precision GEMM: fp16 inputs, fp32 accumulation on cooperative matrices
// (tensor cores). Same bindings, push constants and epilogues as gemm.comp (EPI 0-3, no fused
// GLU). Written against GL_NV_cooperative_matrix because Debian 12's glslc predates
// GL_KHR_cooperative_matrix; needs a subgroup size of 32 (4 subgroups per workgroup).
//
// A workgroup computes a 64 x 64 tile; each subgroup a 32 x 32 quarter as 2 x 2 fragments of
// 16 x 16. Per 16-wide k step, A (64 x 16) and W (64 x 16) are converted to fp16 into shared
// memory through the strided views, so any layout and any M, N, K work (zero padding at the
// edges); values beyond fp16's range (65504) become inf: the caller's choice of precision.
// The accumulators go through shared memory for the fp32 epilogue.
#extension GL_NV_cooperative_matrix : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_KHR_shader_subgroup_basic : require
#include "activations.glsl"
#include "pc/gemm.h"

#define T 64
#define KS 16
layout(local_size_x = 128) in;

layout(std430, binding = 0) readonly buffer ABuf { float a[]; };
layout(std430, binding = 1) readonly buffer WBuf { float w[]; };
layout(std430, binding = 2) readonly buffer BiasBuf { float bias[]; };
layout(std430, binding = 3) writeonly buffer CBuf { float c[]; };
#if EPI == 3
layout(std430, binding = 4) readonly buffer RBuf { float r[]; };
#endif
M2VK_PUSH_CONSTANT_BLOCK(GemmPC, M2VK_PC_GEMM)

shared float16_t As[T * KS];  // [m][k]
shared float16_t Ws[T * KS];  // [n][k]: read column-major as the K x N operand
shared float Cs[T * T];

void main() {
  uint tid = gl_LocalInvocationID.x;
  uint sg = gl_SubgroupID;  // 0..3
  uint sg_m = (sg / 2) * 32, sg_n = (sg % 2) * 32;
  uint blk = gl_WorkGroupID.x / pc.tiles_per_seg;
  uint n0 = (gl_WorkGroupID.x % pc.tiles_per_seg) * T;
  uint m0 = gl_WorkGroupID.y * T;
  uint batch = gl_WorkGroupID.z;
  uint abase = pc.a_off + batch * pc.a_sb + blk * pc.K * pc.a_sc;

  fcoopmatNV<32, gl_ScopeSubgroup, 16, 16> acc[2][2];
  for (uint i = 0; i < 2; i++)
    for (uint j = 0; j < 2; j++) acc[i][j] = fcoopmatNV<32, gl_ScopeSubgroup, 16, 16>(0.0);

  for (uint k0 = 0; k0 < pc.K; k0 += KS) {
    for (uint e = tid; e < T * KS; e += 128) {
      uint mm = e / KS, kk = e % KS;
      uint row = m0 + mm, k = k0 + kk, n = n0 + mm;
      As[e] = float16_t((row < pc.M && k < pc.K) ? a[abase + row * pc.a_sr + k * pc.a_sc] : 0.0);
      Ws[e] = float16_t((n < pc.N && k < pc.K) ? w[(blk * pc.N + n) * pc.K + k] : 0.0);
    }
    barrier();
    fcoopmatNV<16, gl_ScopeSubgroup, 16, 16> fa[2], fb[2];
    for (uint i = 0; i < 2; i++) coopMatLoadNV(fa[i], As, (sg_m + 16 * i) * KS, KS, false);
    for (uint j = 0; j < 2; j++) coopMatLoadNV(fb[j], Ws, (sg_n + 16 * j) * KS, KS, true);
    for (uint i = 0; i < 2; i++)
      for (uint j = 0; j < 2; j++) acc[i][j] = coopMatMulAddNV(fa[i], fb[j], acc[i][j]);
    barrier();
  }
  for (uint i = 0; i < 2; i++)
    for (uint j = 0; j < 2; j++) coopMatStoreNV(acc[i][j], Cs, (sg_m + 16 * i) * T + sg_n + 16 * j, T, false);
  barrier();
  for (uint e = tid; e < T * T; e += 128) {
    uint mm = e / T, nn = e % T;
    uint row = m0 + mm, n = n0 + nn;
    if (row >= pc.M || n >= pc.N) continue;
    uint col = blk * pc.N + n;
    float x = Cs[e];
    if (pc.has_bias != 0) x += bias[col];
    uint off = batch * pc.c_sb + row * pc.c_sr + col * pc.c_sc;
#if EPI == 1
    x = m2vk_gelu(x);
#elif EPI == 2
    x = m2vk_tanh(x);
#elif EPI == 3
    x += r[pc.r_off + off];
#endif
    c[pc.c_off + off] = x;
  }
}

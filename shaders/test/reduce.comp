#version 450
// Host runtime test: one partial sum per workgroup, through shared memory (default) or
// subgroup adds (SUBGROUP=1; the subgroup size is whatever the device has, never assumed).
#include "pc/host_test.h"
#ifdef SUBGROUP
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif

#define WG 256
layout(local_size_x = WG) in;
layout(std430, binding = 0) readonly buffer In { float v[]; };
layout(std430, binding = 1) writeonly buffer Out { float partial[]; };
M2VK_PUSH_CONSTANT_BLOCK(HostReducePC, M2VK_PC_HOST_REDUCE)

shared float s[WG];

void main() {
  uint lid = gl_LocalInvocationID.x;
  uint begin = gl_WorkGroupID.x * pc.per_group;
  uint end = min(pc.n, begin + pc.per_group);
  float acc = 0.0;
  for (uint i = begin + lid; i < end; i += WG) acc += v[i];
#ifdef SUBGROUP
  acc = subgroupAdd(acc);
  if (gl_SubgroupInvocationID == 0) s[gl_SubgroupID] = acc;
  barrier();
  if (lid == 0) {
    float t = 0.0;
    for (uint k = 0; k < gl_NumSubgroups; ++k) t += s[k];
    partial[gl_WorkGroupID.x] = t;
  }
#else
  s[lid] = acc;
  barrier();
  for (uint stride = WG / 2; stride > 0; stride /= 2) {
    if (lid < stride) s[lid] += s[lid + stride];
    barrier();
  }
  if (lid == 0) partial[gl_WorkGroupID.x] = s[0];
#endif
}

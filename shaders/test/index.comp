#version 450
// Host runtime test: data[i] = base + i * step, or data[i] += step (ADD path, pc.add != 0).
// Used for buffer splitting (each bound slice gets its own base) and long dispatch chains.
#include "pc/host_test.h"

layout(local_size_x = 64) in;
layout(std430, binding = 0) buffer Data { uint data[]; };
M2VK_PUSH_CONSTANT_BLOCK(HostIndexPC, M2VK_PC_HOST_INDEX)

void main() {
  uint i = gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x + gl_GlobalInvocationID.x;
  if (i >= pc.n) return;
  if (pc.add != 0u) data[i] += pc.step;
  else data[i] = pc.base + i * pc.step;
}

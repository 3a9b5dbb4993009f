#version 450
// Host runtime test: a vector op with push constants and a specialized workgroup size.
#include "pc/host_test.h"

layout(local_size_x_id = 0) in;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) buffer Y { float y[]; };
M2VK_PUSH_CONSTANT_BLOCK(HostSaxpyPC, M2VK_PC_HOST_SAXPY)

void main() {
  uint i = gl_GlobalInvocationID.x;
  if (i < pc.n) y[i] = pc.alpha * x[i] + y[i];
}

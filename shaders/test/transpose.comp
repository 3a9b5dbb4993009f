#version 450
// Host runtime test: tiled transpose through shared memory (the +1 column avoids bank
// conflicts); edge tiles of odd-sized matrices are guarded on both the load and the store.
#include "pc/host_test.h"

#define TILE 16
layout(local_size_x = TILE, local_size_y = TILE) in;
layout(std430, binding = 0) readonly buffer In { float src[]; };
layout(std430, binding = 1) writeonly buffer Out { float dst[]; };
M2VK_PUSH_CONSTANT_BLOCK(HostTransposePC, M2VK_PC_HOST_TRANSPOSE)

shared float tile[TILE][TILE + 1];

void main() {
  uint c = gl_WorkGroupID.x * TILE + gl_LocalInvocationID.x;
  uint r = gl_WorkGroupID.y * TILE + gl_LocalInvocationID.y;
  if (r < pc.rows && c < pc.cols) tile[gl_LocalInvocationID.y][gl_LocalInvocationID.x] = src[r * pc.cols + c];
  barrier();
  // Output element (row c', col r') of the (cols x rows) result.
  uint oc = gl_WorkGroupID.y * TILE + gl_LocalInvocationID.x;  // column of dst = row of src
  uint orow = gl_WorkGroupID.x * TILE + gl_LocalInvocationID.y;
  if (orow < pc.cols && oc < pc.rows) dst[orow * pc.rows + oc] = tile[gl_LocalInvocationID.x][gl_LocalInvocationID.y];
}

// Push constants of the host runtime's test shaders (shaders/test/*.comp, tests/host).
#ifndef M2VK_PC_HOST_TEST_H
#define M2VK_PC_HOST_TEST_H
#include "pc/push_constants.h"

// y[i] = alpha * x[i] + y[i] for i < n
#define M2VK_PC_HOST_SAXPY(X) X(uint, n) X(float, alpha)
M2VK_DECLARE_PUSH_CONSTANTS(HostSaxpyPC, M2VK_PC_HOST_SAXPY, 8)

// out[g] = sum of in[g * per_group .. min(n, (g + 1) * per_group)) for each workgroup g
#define M2VK_PC_HOST_REDUCE(X) X(uint, n) X(uint, per_group)
M2VK_DECLARE_PUSH_CONSTANTS(HostReducePC, M2VK_PC_HOST_REDUCE, 8)

// out (cols x rows) = transpose of in (rows x cols), both row-major
#define M2VK_PC_HOST_TRANSPOSE(X) X(uint, rows) X(uint, cols)
M2VK_DECLARE_PUSH_CONSTANTS(HostTransposePC, M2VK_PC_HOST_TRANSPOSE, 8)

// data[i] = base + i * step (i < n), or data[i] += step when `add` is non-zero
#define M2VK_PC_HOST_INDEX(X) X(uint, n) X(uint, base) X(uint, step) X(uint, add)
M2VK_DECLARE_PUSH_CONSTANTS(HostIndexPC, M2VK_PC_HOST_INDEX, 16)

#endif  // M2VK_PC_HOST_TEST_H

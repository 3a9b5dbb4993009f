#version 450
#extension GL_EXT_control_flow_attributes : require
// FMA peak of a device, the yardstick of the GEMM benchmark (bench/gemm): every invocation runs
// `iters` FMAs on each of 8 independent accumulators (enough to hide FMA latency on CPUs and
// GPUs), 16 per accumulator per loop iteration, then writes one value so nothing is optimised
// away. Flops = 16 * iters * invocations (iters a multiple of 16). The long loop body matters on
// llvmpipe: a value carried around a loop costs a masked select and a store per iteration
// there, so with 2 FMAs per accumulator per iteration this kernel measured 81 GFLOP/s on the
// 2-core lavapipe host, with 16 it measures 138 (bench/RESULTS.md, "GEMMs").
layout(local_size_x = 64) in;
layout(std430, binding = 0) writeonly buffer O { float o[]; };
layout(push_constant) uniform PC { uint iters; } pc;

void main() {
  uint i = gl_GlobalInvocationID.x;
  float s = float(i) * 1e-7;
  float a0 = s, a1 = s + 1e-7, a2 = s + 2e-7, a3 = s + 3e-7, a4 = s + 4e-7, a5 = s + 5e-7, a6 = s + 6e-7, a7 = s + 7e-7;
  const float m = 0.9999999, c = 1e-7;
  for (uint k = 0; k < pc.iters; k += 16) {
    [[unroll]] for (uint u = 0; u < 16; u++) {
      a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
      a4 = fma(a4, m, c); a5 = fma(a5, m, c); a6 = fma(a6, m, c); a7 = fma(a7, m, c);
    }
  }
  o[i] = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
}

// Pooler inputs (architecture doc 3.6). CLS pooling needs no kernel: cls_rows() is a view of
// token 0 of every row that the pooler GEMM (Epilogue::Tanh) reads directly. Masked mean
// pooling (pool_all = true) averages the tokens whose mask is non-zero; a row with no such token
// gives zeros (PyTorch would give NaN from 0/0).
#pragma once

#include "m2vk/host/host.hpp"
#include "m2vk/ops/matrix_view.hpp"

namespace m2vk::ops {

// (B, L, H) -> (B, 1, H): token 0 of each batch entry.
MatrixView cls_rows(const MatrixView& hidden);

// out (B, 1, H) = masked mean of hidden (B, L, H); mask (B, L) uint32 row-major.
void record_mean_pool(host::Context& ctx, host::CommandRecorder& rec, const MatrixView& hidden,
                      const host::BufferRange& mask, const MatrixView& out);

}  // namespace m2vk::ops

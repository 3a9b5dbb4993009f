// Embedding gather + LayerNorm (see m2vk/ops/embedding.hpp, shaders/layer_norm.comp EMBED=1).
#include "m2vk/ops/embedding.hpp"

#include <string>

#include "layer_binding.hpp"
#include "layer_norm_launch.hpp"
#include "m2vk/ops/op_error.hpp"
#include "pc/layer_norm.h"

namespace m2vk::ops {

void record_embedding(host::Context& ctx, host::CommandRecorder& rec, const host::BufferRange& ids,
                      const host::BufferRange& type_ids, std::uint32_t batch, std::uint32_t len,
                      const EmbeddingTables& t, const MatrixView& y, LayerNormKernel kernel) {
  const std::string op = "record_embedding";
  if (t.hidden == 0 || t.vocab == 0 || t.type_vocab == 0) throw OpError(op + ": empty tables");
  if (len > t.max_positions) {
    throw OpError(op + ": sequence length " + std::to_string(len) + " exceeds max_position_embeddings " +
                  std::to_string(t.max_positions));
  }
  if (y.batch != batch || y.rows != len || y.cols != t.hidden) {
    throw OpError(op + ": y " + y.describe() + " is not (" + std::to_string(batch) + ", " + std::to_string(len) +
                  ", " + std::to_string(t.hidden) + ")");
  }
  auto need = [&](const host::BufferRange& r, std::uint64_t floats, const char* what) {
    if (r.size / 4 < floats) {
      throw OpError(op + ": " + what + " holds " + std::to_string(r.size / 4) + " values, needs " +
                    std::to_string(floats));
    }
  };
  need(t.word, std::uint64_t(t.vocab) * t.hidden, "word table");
  need(t.type, std::uint64_t(t.type_vocab) * t.hidden, "type table");
  need(t.position, std::uint64_t(t.max_positions) * t.hidden, "position table");
  need(t.norm.gamma, t.hidden, "gamma");
  need(t.norm.beta, t.hidden, "beta");
  need(ids, std::uint64_t(batch) * len, "ids");
  need(type_ids, std::uint64_t(batch) * len, "type_ids");
  detail::check_in_buffer(y, op + ": y");
  if (batch == 0 || len == 0) return;
  detail::for_each_piece(ctx, {&y}, batch, len, op, [&](std::uint32_t b0, std::uint32_t nb, std::uint32_t r0, std::uint32_t nr) {
    const auto yb = detail::bind_view(ctx, y, b0, nb, r0, nr, op + ": y");
    const std::uint64_t first_id = std::uint64_t(b0) * len + r0;
    const auto idb = detail::bind_floats(ctx, ids, first_id, first_id + std::uint64_t(nb - 1) * len + nr, op + ": ids");
    const auto tyb =
        detail::bind_floats(ctx, type_ids, first_id, first_id + std::uint64_t(nb - 1) * len + nr, op + ": type_ids");
    pc::LayerNormPC pc{};
    pc.batch = nb;
    pc.rows = nr;
    pc.cols = t.hidden;
    pc.eps = t.norm.eps;
    pc.y_off = yb.offset;
    pc.y_sb = detail::pc_u32(y.stride_batch, op + ": y.stride_batch");
    pc.y_sr = detail::pc_u32(y.stride_row, op + ": y.stride_row");
    pc.y_sc = detail::pc_u32(y.stride_col, op + ": y.stride_col");
    if (idb.offset != tyb.offset) {
      throw OpError(op + ": ids and type_ids ranges must share their alignment (offsets " +
                    std::to_string(ids.offset) + ", " + std::to_string(type_ids.offset) + ")");
    }
    pc.ids_off = idb.offset;
    pc.id_sb = len;
    pc.pos_base = 0;
    pc.row_base = r0;
    pc.vocab = t.vocab;
    pc.type_vocab = t.type_vocab;
    const detail::NormLaunch launch = detail::norm_launch(ctx, kernel, "layer_embedding_norm", std::uint64_t(nb) * nr);
    rec.dispatch(ctx.pipeline(launch.pipeline),
                 {host::read(idb.range), host::read(tyb.range), host::read(t.word), host::read(t.type),
                  host::read(t.position), host::read(t.norm.gamma), host::read(t.norm.beta), host::write(yb.range)},
                 pc, launch.groups, "embedding_norm");
  });
}

}  // namespace m2vk::ops

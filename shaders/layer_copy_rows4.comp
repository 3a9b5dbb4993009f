#version 450
// y = x between two layouts of a (B, M, C) tensor, y with contiguous rows (include/pc/layer_copy.h):
// the long convolutions' channel-major output into the token-major layout out_linear reads
// fastest. x is read as R32 texels (any strides; on llvmpipe a texel fetch is a gather, a
// storage-buffer load a per-lane loop) and y written as vec4s. A workgroup covers a tile of 16
// rows x 16 vec4s, rows fastest: from a channel-major x a lane group reads 16 neighbouring
// floats of each channel (with 4 channels per lane and channel rows 2^k floats apart, lanes
// along the columns read lines that all map to one cache set: 12x slower at 8192 tokens), and
// every y line the tile touches is written whole within it.
#include "pc/layer_copy.h"

layout(local_size_x = 256) in;
layout(binding = 0) uniform samplerBuffer x;
layout(std430, binding = 1) writeonly buffer YBuf { vec4 y4[]; };
M2VK_PUSH_CONSTANT_BLOCK(LayerCopyPC, M2VK_PC_LAYER_COPY)

void main() {
  uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * pc.row_pitch;
  uint lane = i % 256u, tile = i / 256u;
  uint groups = pc.cols / 4u, tiles_m = (pc.rows + 15u) / 16u, tiles_g = (groups + 15u) / 16u;
  uint per_batch = tiles_m * tiles_g;
  if (tile >= pc.batch * per_batch) return;
  uint b = tile / per_batch, rem = tile - b * per_batch;
  uint tg = rem / tiles_m;
  uint m = (rem - tg * tiles_m) * 16u + lane % 16u, g = tg * 16u + lane / 16u;
  if (m >= pc.rows || g >= groups) return;
  uint src = pc.x_off + b * pc.x_sb + m * pc.x_sr + 4u * g * pc.x_sc;
  vec4 v = vec4(texelFetch(x, int(src)).x, texelFetch(x, int(src + pc.x_sc)).x, texelFetch(x, int(src + 2u * pc.x_sc)).x,
                texelFetch(x, int(src + 3u * pc.x_sc)).x);
  y4[(pc.y_off + b * pc.y_sb + m * pc.y_sr) / 4u + g] = v;
}

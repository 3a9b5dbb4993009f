# GEMMs (src/ops/gemm.cpp). A_LOAD: 0 scalar, 1 vec4 along k, 2 vec4 along m; W_VEC4: vec4
# weight rows (needs K % 4 == 0, and so do the vec4 activation loads). EPI: 0 bias, 1 GELU,
# 2 tanh, 3 residual add, 4 and 5 the Hyena filter's Sin and decay (only the variants below).
# GLU: fused gate (no EPI).
foreach(mode "0;0" "0;1" "1;1" "2;1")
  list(GET mode 0 a)
  list(GET mode 1 w)
  foreach(e 0 1 2 3)
    m2vk_shader(NAME gemm_a${a}_w${w}_e${e} SOURCE gemm.comp DEFINES A_LOAD=${a} W_VEC4=${w} EPI=${e})
  endforeach()
  m2vk_shader(NAME gemm_glu_a${a}_w${w} SOURCE gemm.comp DEFINES A_LOAD=${a} W_VEC4=${w} EPI=0 GLU=1)
endforeach()
# vec4 stores of C (C4, row-contiguous aligned output) for the model's hot paths: vec4 loads,
# bias / residual / GLU epilogues (GELU and tanh keep scalar stores: only small layers use them).
foreach(a 1 2)
  foreach(e 0 3)
    m2vk_shader(NAME gemm_a${a}_w1_e${e}_c4 SOURCE gemm.comp DEFINES A_LOAD=${a} W_VEC4=1 EPI=${e} C4=1)
  endforeach()
  m2vk_shader(NAME gemm_glu_a${a}_w1_c4 SOURCE gemm.comp DEFINES A_LOAD=${a} W_VEC4=1 EPI=0 GLU=1 C4=1)
  # A rows shared through subgroup shuffles (A_SHUF=1, suffix _s), for devices with shuffles.
  foreach(e 0 1 2 3)
    m2vk_shader(NAME gemm_a${a}_w1_e${e}_s SOURCE gemm.comp DEFINES A_LOAD=${a} W_VEC4=1 EPI=${e} A_SHUF=1)
  endforeach()
  foreach(e 0 3)
    m2vk_shader(NAME gemm_a${a}_w1_e${e}_c4_s SOURCE gemm.comp DEFINES A_LOAD=${a} W_VEC4=1 EPI=${e} C4=1 A_SHUF=1)
  endforeach()
  # Paired-lane GLU (GLU=2, subgroup shuffles), with and without vec4 stores.
  m2vk_shader(NAME gemm_glu2_a${a}_w1 SOURCE gemm.comp DEFINES A_LOAD=${a} W_VEC4=1 EPI=0 GLU=2)
  m2vk_shader(NAME gemm_glu2_a${a}_w1_c4 SOURCE gemm.comp DEFINES A_LOAD=${a} W_VEC4=1 EPI=0 GLU=2 C4=1)
endforeach()
# The Hyena filter's epilogues, only in the variants its GEMMs can pick (src/ops/gemm.cpp falls
# back to scalar loads otherwise): scalar loads (the K = emb_dim first layer), and vec4 loads
# along k with and without vec4 stores and shuffles (its token-major activations).
foreach(e 4 5)
  m2vk_shader(NAME gemm_a0_w0_e${e} SOURCE gemm.comp DEFINES A_LOAD=0 W_VEC4=0 EPI=${e})
  m2vk_shader(NAME gemm_a1_w1_e${e} SOURCE gemm.comp DEFINES A_LOAD=1 W_VEC4=1 EPI=${e})
  m2vk_shader(NAME gemm_a1_w1_e${e}_s SOURCE gemm.comp DEFINES A_LOAD=1 W_VEC4=1 EPI=${e} A_SHUF=1)
  m2vk_shader(NAME gemm_a1_w1_e${e}_c4 SOURCE gemm.comp DEFINES A_LOAD=1 W_VEC4=1 EPI=${e} C4=1)
  m2vk_shader(NAME gemm_a1_w1_e${e}_c4_s SOURCE gemm.comp DEFINES A_LOAD=1 W_VEC4=1 EPI=${e} C4=1 A_SHUF=1)
endforeach()
# 8 x 8 tiles of the plain GEMM (TM8=1, suffix _t8; GemmKernel::Texel8): the load and store
# modes the model's hot GEMMs and the filter take, no shuffles (the fused GLU is 8 x 8 already).
foreach(mode "0;0" "0;1" "1;1" "2;1")
  list(GET mode 0 a)
  list(GET mode 1 w)
  foreach(e 0 1 2 3)
    m2vk_shader(NAME gemm_a${a}_w${w}_e${e}_t8 SOURCE gemm.comp DEFINES A_LOAD=${a} W_VEC4=${w} EPI=${e} TM8=1)
  endforeach()
endforeach()
foreach(a 1 2)
  foreach(e 0 3)
    m2vk_shader(NAME gemm_a${a}_w1_e${e}_c4_t8 SOURCE gemm.comp DEFINES A_LOAD=${a} W_VEC4=1 EPI=${e} C4=1 TM8=1)
  endforeach()
endforeach()
foreach(e 4 5)
  m2vk_shader(NAME gemm_a0_w0_e${e}_t8 SOURCE gemm.comp DEFINES A_LOAD=0 W_VEC4=0 EPI=${e} TM8=1)
  m2vk_shader(NAME gemm_a1_w1_e${e}_t8 SOURCE gemm.comp DEFINES A_LOAD=1 W_VEC4=1 EPI=${e} TM8=1)
  m2vk_shader(NAME gemm_a1_w1_e${e}_c4_t8 SOURCE gemm.comp DEFINES A_LOAD=1 W_VEC4=1 EPI=${e} C4=1 TM8=1)
endforeach()
# Shared-memory tiles for GPUs (gemm_tiled.comp: 64 x 64 workgroup tiles, 4 x 4 outputs per
# invocation, storage-buffer loads): what gemm_kernel_for() picks on every device but a CPU.
# A_LOAD as above (0 also reads W as scalars, 1 and 2 as vec4); EPI and GLU as above.
foreach(a 0 1 2)
  foreach(e 0 1 2 3)
    m2vk_shader(NAME gemm_tiled_a${a}_e${e} SOURCE gemm_tiled.comp DEFINES A_LOAD=${a} EPI=${e})
  endforeach()
  m2vk_shader(NAME gemm_tiled_glu_a${a} SOURCE gemm_tiled.comp DEFINES A_LOAD=${a} GLU=1)
endforeach()
foreach(a 0 1)  # the filter's epilogues, as above (A_LOAD 2 falls back to 0)
  foreach(e 4 5)
    m2vk_shader(NAME gemm_tiled_a${a}_e${e} SOURCE gemm_tiled.comp DEFINES A_LOAD=${a} EPI=${e})
  endforeach()
endforeach()
# The same with 128 x 64 tiles, 8 x 4 per invocation (TILE=1, prefix gemm_tiled128;
# GemmKernel::Tiled128: long M on GPUs).
foreach(a 0 1 2)
  foreach(e 0 1 2 3)
    m2vk_shader(NAME gemm_tiled128_a${a}_e${e} SOURCE gemm_tiled.comp DEFINES A_LOAD=${a} EPI=${e} TILE=1)
  endforeach()
endforeach()
foreach(a 1 2)  # the fused GLU with scalar loads keeps 64 x 64 tiles (it spills on gfx1100)
  m2vk_shader(NAME gemm_tiled128_glu_a${a} SOURCE gemm_tiled.comp DEFINES A_LOAD=${a} GLU=1 TILE=1)
endforeach()
foreach(a 0 1)
  foreach(e 4 5)
    m2vk_shader(NAME gemm_tiled128_a${a}_e${e} SOURCE gemm_tiled.comp DEFINES A_LOAD=${a} EPI=${e} TILE=1)
  endforeach()
endforeach()
# Cooperative-matrix GEMM (fp16 inputs, fp32 accumulation). Compiled at build time so the
# kernel stays valid SPIR-V; run only where resolve_precision() allows (gemm_precision.hpp).
foreach(e 0 1 2 3)
  m2vk_shader(NAME gemm_coopmat_e${e} SOURCE gemm_coopmat.comp DEFINES EPI=${e})
endforeach()
# FMA-peak yardstick of bench/gemm.
m2vk_shader(NAME gemm_fma_peak SOURCE gemm_fma_peak.comp)
# Texel-buffer probe for the host runtime's texel-binding tests (tests/host/test_texel.cpp).
m2vk_shader(NAME gemm_texel_probe SOURCE gemm_texel_probe.comp)

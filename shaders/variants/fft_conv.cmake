# FFT long convolution (src/ops/fft_conv*.cpp). FFT_SMEM = complex values in shared memory
# (8 bytes each): s4096 needs 32 KiB (lavapipe, NVIDIA, AMD), s2048 16 KiB (Vulkan's minimum).
# Workgroups of 256 invocations: each holds FFT_SMEM / 256 butterfly outputs per stage in
# registers (16 complex at s4096: ~50 VGPRs on RADV; with 64 invocations the 64 complex per
# invocation went to scratch memory, or spill on gfx1100 once unrolled) and the shared memory
# spreads over 4 waves of 64, so GCN keeps 2 workgroups per SIMD. On lavapipe, 256 measured
# the same as 64 (bench/fft at subgroups 4 and 16, L 2048 and 16384: the ratio to VkFFT moved
# by less than the run-to-run noise). Short rows are batched (single pass: FFT_SMEM / M rows
# per workgroup): on CPU devices the cost of a workgroup is mostly fixed.
# s2048 (devices with Vulkan's minimum 16 KiB of shared memory) takes 128, Vulkan's minimum
# workgroup; make_fft_plan checks both limits.
foreach(smem 2048 4096)
  if(smem EQUAL 4096)
    set(d FFT_SMEM=${smem} FFT_WG=256)
  else()
    set(d FFT_SMEM=${smem} FFT_WG=128)
  endif()
  m2vk_shader(NAME fft_conv_single_s${smem} SOURCE fft_conv_single.comp DEFINES ${d})
  m2vk_shader(NAME fft_spectrum_single_s${smem} SOURCE fft_conv_single.comp DEFINES ${d} FFT_SPECTRUM_MODE=1)
  m2vk_shader(NAME fft_cols_fwd_s${smem} SOURCE fft_conv_cols_fwd.comp DEFINES ${d})
  m2vk_shader(NAME fft_cols_fwd_kernel_s${smem} SOURCE fft_conv_cols_fwd.comp DEFINES ${d} FFT_SPECTRUM_MODE=1)
  m2vk_shader(NAME fft_rows_conv_s${smem} SOURCE fft_conv_rows.comp DEFINES ${d})
  m2vk_shader(NAME fft_rows_spectrum_s${smem} SOURCE fft_conv_rows.comp DEFINES ${d} FFT_SPECTRUM_MODE=1)
  m2vk_shader(NAME fft_cols_inv_s${smem} SOURCE fft_conv_cols_inv.comp DEFINES ${d})
endforeach()
# VkFFT baseline helpers (src/ops/vkfft_conv.cpp)
m2vk_shader(NAME fft_vkfft_pack SOURCE fft_vkfft_pack.comp)
m2vk_shader(NAME fft_vkfft_pack_kernel SOURCE fft_vkfft_pack.comp DEFINES FFT_SPECTRUM_MODE=1)
m2vk_shader(NAME fft_vkfft_mul SOURCE fft_vkfft_mul.comp)
m2vk_shader(NAME fft_vkfft_unpack SOURCE fft_vkfft_unpack.comp)
# out = log2(x) for a power of two x
function(m2vk_fft_log2 x out)
  set(l 0)
  set(v ${x})
  while(v GREATER 1)
    math(EXPR v "${v} / 2")
    math(EXPR l "${l} + 1")
  endwhile()
  set(${out} ${l} PARENT_SCOPE)
endfunction()
# Register/subgroup kernel (fft_conv_reg.comp) for subgroups of S = 4, 8, 16 lanes: M = N/2 =
# A * R * S complex points, workgroups of R * S invocations, P shared-memory phases per exchange
# (M * 8 / P bytes: <= 32 KiB). Each lane holds A complex values per register array (va, z, zp,
# and x for the D term), so A is the smallest the kernel allows: J = A / R rows k1 per lane group
# must be a multiple of 2 P, i.e. A >= sqrt(2 P M / S). Picked by make_fft_plan for these M when
# the device's subgroup size is S (fft_conv_plan.cpp, kRegVariants: keep the two tables equal);
# other sizes and devices use the shared-memory kernels above. Entries: S,R,A,P[,n2].
set(reg_variants
  # S = 8 (lavapipe's default): J = 2 or 4
  "8,4,8,1" "8,4,16,1" "8,8,16,1" "8,8,32,1" "8,16,32,1" "8,16,64,2"
  # S = 4: A >= sqrt(M / 2), twice S = 8's at M = 256, 1024, 4096. M = 8192 needs two phases
  # (64 KiB), i.e. J >= 4 with the k1 split, so A = 128 (which glslc -O was killed compiling after
  # 3 minutes); with the transposes' phases over n2 (FFT_SPLIT_N2, flag n2) J = 2 is enough: A = 64.
  "4,4,16,1" "4,8,16,1" "4,8,32,1" "4,16,32,1" "4,16,64,1" "4,32,64,2,n2"
  # S = 16: A as small as J >= 2 P allows (R = 2 at M = 256)
  "16,2,8,1" "16,4,8,1" "16,4,16,1" "16,8,16,1" "16,8,32,1" "16,8,64,2")
foreach(entry ${reg_variants})
  string(REPLACE "," ";" srap "${entry}")
  list(GET srap 0 s)
  list(GET srap 1 r)
  list(GET srap 2 a)
  list(GET srap 3 p)
  m2vk_fft_log2(${s} slog)
  m2vk_fft_log2(${r} rlog)
  m2vk_fft_log2(${a} alog)
  math(EXPR m "${r} * ${a} * ${s}")
  set(d FFT_S=${s}u FFT_SLOG=${slog}u FFT_R=${r}u FFT_A=${a}u FFT_RLOG=${rlog}u FFT_ALOG=${alog}u FFT_P=${p})
  list(LENGTH srap fields)
  if(fields GREATER 4)
    list(APPEND d FFT_SPLIT_N2=1)
  endif()
  m2vk_shader(NAME fft_conv_reg_s${s}_m${m} SOURCE fft_conv_reg.comp DEFINES ${d})
  m2vk_shader(NAME fft_spectrum_reg_s${s}_m${m} SOURCE fft_conv_reg.comp DEFINES ${d} FFT_SPECTRUM_MODE=1)
endforeach()
# Wide register kernel (fft_conv_regw.comp): one row k1 per lane group of 8 lanes, M = 8 R^2,
# workgroups of R * 8 invocations, P phases per exchange (M * 8 / P bytes of shared memory).
# Lane groups of 8 run on subgroups of 8 and 16 (two groups per subgroup), hence "s8"; "s4"
# runs each group as two subgroups of 4 (FFT_SPLIT_LANES: the lane DFT's distance-4 stage runs on
# step 1's side of the transposes, with the columns permuted so that it is a shuffle).
# M = 32768 (N = 65536, L <= 32768) is picked by make_fft_plan; M = 2048 (four phases) runs the
# same code in tests at a small JIT cost (FftConvOptions::wide_register_kernel).
foreach(rp "16;4;4" "64;6;8")
  list(GET rp 0 r)
  list(GET rp 1 rlog)
  list(GET rp 2 p)
  math(EXPR m "${r} * ${r} * 8")
  set(d FFT_R=${r}u FFT_RLOG=${rlog}u FFT_P=${p})
  m2vk_shader(NAME fft_conv_regw_s8_m${m} SOURCE fft_conv_regw.comp DEFINES ${d})
  m2vk_shader(NAME fft_spectrum_regw_s8_m${m} SOURCE fft_conv_regw.comp DEFINES ${d} FFT_SPECTRUM_MODE=1)
  m2vk_shader(NAME fft_conv_regw_s4_m${m} SOURCE fft_conv_regw.comp DEFINES ${d} FFT_SPLIT_LANES=1)
  m2vk_shader(NAME fft_spectrum_regw_s4_m${m} SOURCE fft_conv_regw.comp DEFINES ${d} FFT_SPLIT_LANES=1
              FFT_SPECTRUM_MODE=1)
endforeach()


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
# Register/subgroup kernel (fft_conv_reg.comp) for subgroups of 8: M = N/2 = A * R * 8 complex
# points, workgroups of R * 8 invocations, P shared-memory phases per exchange (M * 8 / P bytes).
# Picked by make_fft_plan for these M when the device's subgroup size is 8; other sizes and
# devices use the shared-memory kernels above.
foreach(rap "4;8;2;3;1" "4;16;2;4;1" "8;16;3;4;1" "8;32;3;5;1" "16;32;4;5;1" "16;64;4;6;2")
  list(GET rap 0 r)
  list(GET rap 1 a)
  list(GET rap 2 rlog)
  list(GET rap 3 alog)
  list(GET rap 4 p)
  math(EXPR m "${r} * ${a} * 8")
  set(d FFT_R=${r}u FFT_A=${a}u FFT_RLOG=${rlog}u FFT_ALOG=${alog}u FFT_P=${p})
  m2vk_shader(NAME fft_conv_reg_m${m} SOURCE fft_conv_reg.comp DEFINES ${d})
  m2vk_shader(NAME fft_spectrum_reg_m${m} SOURCE fft_conv_reg.comp DEFINES ${d} FFT_SPECTRUM_MODE=1)
endforeach()
# Wide register kernel (fft_conv_regw.comp): one row k1 per subgroup, M = 8 R^2, workgroups of
# R * 8 invocations, P phases per exchange (M * 8 / P bytes of shared memory). M = 32768
# (N = 65536, L <= 32768) is picked by make_fft_plan; M = 2048 (four phases) runs the same code
# in tests at a small JIT cost (FftConvOptions::wide_register_kernel).
foreach(rp "16;4;4" "64;6;8")
  list(GET rp 0 r)
  list(GET rp 1 rlog)
  list(GET rp 2 p)
  math(EXPR m "${r} * ${r} * 8")
  set(d FFT_R=${r}u FFT_RLOG=${rlog}u FFT_P=${p})
  m2vk_shader(NAME fft_conv_regw_m${m} SOURCE fft_conv_regw.comp DEFINES ${d})
  m2vk_shader(NAME fft_spectrum_regw_m${m} SOURCE fft_conv_regw.comp DEFINES ${d} FFT_SPECTRUM_MODE=1)
endforeach()

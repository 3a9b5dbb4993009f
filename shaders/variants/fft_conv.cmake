# FFT long convolution (src/ops/fft_conv*.cpp). FFT_SMEM = complex values in shared memory
# (8 bytes each): s4096 needs 32 KiB (lavapipe, NVIDIA, AMD), s2048 16 KiB (Vulkan's minimum).
# Workgroups of 64 invocations: on lavapipe every barrier suspends and resumes each 8-wide
# slice of the workgroup, so fewer, busier invocations are cheaper; short rows are batched
# (single pass: FFT_SMEM / M rows per workgroup) for the same reason.
foreach(smem 2048 4096)
  set(d FFT_SMEM=${smem} FFT_WG=64)
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

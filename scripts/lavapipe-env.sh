# Sourced by the scripts: point the Vulkan loader at lavapipe only, so runs never depend on
# (or probe) other drivers. Override by setting M2VK_ICD yourself.
export VK_ICD_FILENAMES="${M2VK_ICD:-/usr/share/vulkan/icd.d/lvp_icd.x86_64.json}"
export VK_DRIVER_FILES="$VK_ICD_FILENAMES"
# LP_NATIVE_VECTOR_WIDTH set when this is sourced (subgroups of 4 / 16): a Mesa shader cache of
# that width's own, because Mesa 22.3's cache key does not tell 256- from 512-bit llvmpipe code
# (a shared cache hands a 512-bit run the 8-lane kernels a 256-bit run compiled, and back).
if [[ -n "${LP_NATIVE_VECTOR_WIDTH:-}" && -z "${MESA_SHADER_CACHE_DIR:-}" ]]; then
  export MESA_SHADER_CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/mesa_shader_cache_w$LP_NATIVE_VECTOR_WIDTH"
fi

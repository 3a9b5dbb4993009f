# Sourced by the scripts: point the Vulkan loader at lavapipe only, so runs never depend on
# (or probe) other drivers. Override by setting M2VK_ICD yourself.
export VK_ICD_FILENAMES="${M2VK_ICD:-/usr/share/vulkan/icd.d/lvp_icd.x86_64.json}"
export VK_DRIVER_FILES="$VK_ICD_FILENAMES"

# Source this on a borrowed GPU machine, in the repository root, after carrying .gpu/ there
# (made by scripts/gpu-bundle.sh): unpacks the binaries into /tmp/rt/bin and the runtime .debs into /tmp/rt (never into /,
# which they could break), puts them first on LD_LIBRARY_PATH, and points the Vulkan loader at the
# NVIDIA driver's manifest when the loader would not find one by itself.
rt=/tmp/rt
mkdir -p "$rt"
for f in .gpu/*.deb; do dpkg -x "$f" "$rt"; done
# Python's tarfile where the machine's tar has no xz beside it.
tar -C "$rt" -xJf .gpu/bin.tar.xz 2>/dev/null ||
  python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' .gpu/bin.tar.xz "$rt"
export LD_LIBRARY_PATH="$rt/usr/lib/x86_64-linux-gnu:$rt/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if [[ -z ${VK_DRIVER_FILES:-} && -z ${VK_ICD_FILENAMES:-} ]]; then
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json \
             /etc/vulkan/icd.d/nvidia_icd.json; do
    if [[ -f $icd ]]; then
      export VK_DRIVER_FILES=$icd
      break
    fi
  done
fi
# The validation layer's manifest names its library without a path: LD_LIBRARY_PATH finds it.
export VK_LAYER_PATH="$rt/usr/share/vulkan/explicit_layer.d"
export PATH="$rt/bin:$PATH"

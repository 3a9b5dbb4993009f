#!/usr/bin/env bash
# The README's first command: installs the Debian packages, builds m2vk (Release) and runs the
# main job on the default Vulkan device.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DM2VK_BUILD_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)"
# Without a GPU driver, Mesa's lavapipe (CPU) is the Vulkan device.
./build/tools/m2vk devices
# A random-weight demo model in the real layout, and one embedding through it on the default
# device (the GPU when a Vulkan device exists, lavapipe included). Its outputs are meaningless and
# m2vk says so.
./build/tools/m2vk demo-model build/demo-model --shape tiny
./build/tools/m2vk embed --model build/demo-model "M2-BERT runs on any Vulkan GPU."

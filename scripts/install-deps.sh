#!/usr/bin/env bash
# Installs the Debian 12 packages m2vk needs to build, test and run on lavapipe.
# Idempotent: does nothing when every package is already installed. Needs root (or sudo).
set -euo pipefail

PACKAGES=(
  cmake make ninja-build g++ pkg-config
  libvulkan-dev glslc glslang-tools glslang-dev spirv-tools
  vulkan-validationlayers vulkan-tools mesa-vulkan-drivers
  libzip-dev nlohmann-json3-dev libvkfft-dev libutf8proc-dev libgtest-dev
  libxxhash-dev
  clang libclang-rt-14-dev
  libcpp-httplib-dev libssl-dev
  # The Python module (python/) and its tests: pybind11, numpy, pytest, tqdm, Dask.
  pybind11-dev python3-dev python3-numpy python3-pytest python3-tqdm
  python3-dask python3-distributed python3-pandas
)
# The official OpenAI Node.js client is a test peer of `m2vk serve` (tests/server/node): Debian's
# Node.js where the machine has none of its own.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  PACKAGES+=(nodejs npm)
fi
# Only for the Python baselines and fixture scripts (bench/, tools/make_fixtures.py).
if [[ "${M2VK_WITH_TORCH:-0}" == 1 ]]; then
  PACKAGES+=(python3-torch python3-numpy libopenblas0-pthread)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Set up a fresh Debian machine for matrix: host build tools, npm dependencies
# (including Node 22 from the registry and the host addon), then every cross
# toolchain, sysroot and qemu-user binary matrix.yaml needs (`matrix doctor --install`).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive

# Tools `npm ci` itself needs (the addon is built with cmake-js at install time).
# chromium: the HTML report is tested in a real (headless) browser. perl: `prove`, which
# test/tap.test.ts compares TAP verdicts with; git: bisect; bsdutils: `script` (tty stages).
# clang-15/lld-15/llvm-15: the test of the toolchain-version axis runs a second clang beside the default one
# (llvm-15 for its llvm-ar-15, which the llvm toolchain file names).
base=(ca-certificates cmake make ninja-build meson gcc g++ libc6-dev libclang-rt-14-dev clang lld llvm clang-15 lld-15 llvm-15 chromium fonts-noto-color-emoji perl git bsdutils)
missing=()
for pkg in "${base[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

npm ci --no-audit --no-fund

# The toolchains and qemu the matrix needs, read from matrix.yaml.
if [ -n "$SUDO" ]; then
  $SUDO env "PATH=$PWD/node_modules/.bin:$PATH" node bin/matrix.js doctor --install
else
  npx matrix doctor --install
fi

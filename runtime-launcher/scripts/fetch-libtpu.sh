#!/usr/bin/env bash
# Fetches the pinned libtpu wheel from PyPI (pip's ordinary client), verifies its
# sha256, unpacks libtpu.so into the TorchTPU cache and points the stable name
# <cache>/plugins/libtpu.so at it. Prints the plugin path.
#
# Only the tpu features need it. The TPU backend's build runs it for its ahead-of-time
# compile tests; nothing runs it on demand: run it once before using a tpu* feature
# elsewhere. The wheel is about 137 MB (libtpu.so unpacked: about 467 MB).
#
#   TORCHTPU_CACHE  overrides ~/.cache/torchtpu
#
# Idempotent: a second run with everything in place only checks a stamp file.
set -euo pipefail

# ---- the pin (change all five together) ---------------------------------------
PKG_NAME="libtpu"
PKG_VERSION="0.0.52"
# libtpu.so is the same in every cpXY wheel of a release; this one is pinned.
WHEEL="libtpu-0.0.52-cp311-cp311-manylinux_2_31_x86_64.whl"
WHEEL_SHA256="f5e2e596eaea9357fbb5a6755a7a9007c6ab75bfde4a55191b03eff402971140"
MEMBER="libtpu/libtpu.so"   # exports GetPjrtApi (PJRT C API 0.117 in this release)
# ------------------------------------------------------------------------------

TOOL="fetch-libtpu"
STABLE_NAME="libtpu.so"
PIP_TAGS=(--platform manylinux_2_31_x86_64 --python-version 3.11 --implementation cp --abi cp311)
SIZE_NOTE="about 137 MB"
source "$(dirname "$0")/fetch-wheel-library.sh"

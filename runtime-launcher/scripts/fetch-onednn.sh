#!/usr/bin/env bash
# Fetches oneDNN (Intel's onednn-cpu-gomp wheel, pinned by version and sha256) from PyPI, unpacks libdnnl into the
# TorchTPU cache and points the stable name <cache>/plugins/libdnnl.so.3 at it. Prints the library's path.
# The CPU backend runs convolutions with it where that measures faster than XLA's own kernels; without it the
# backend runs them with XLA's.
#
#   TORCHTPU_CACHE  overrides ~/.cache/torchtpu
set -euo pipefail

# ---- the pin (change all four together, and the headers in bundles/io.torchtpu.backend.cpu/native) ----------
PKG_NAME="onednn-cpu-gomp"
PKG_VERSION="2023.2.0"
WHEEL="onednn_cpu_gomp-2023.2.0-py2.py3-none-manylinux1_x86_64.whl"
WHEEL_SHA256="2f22a54d6a890ed14bfa185d42a4be65d8b5b1df85dc1f0f3a9abe31620416fb"
MEMBER="onednn_cpu_gomp-2023.2.0.data/data/lib/libdnnl.so.3"
# ------------------------------------------------------------------------------

TOOL="fetch-onednn"
STABLE_NAME="libdnnl.so.3"
SIZE_NOTE="39 MB"
PIP_TAGS=(--platform manylinux1_x86_64 --python-version 3 --implementation py)
source "$(dirname "$0")/fetch-wheel-library.sh"

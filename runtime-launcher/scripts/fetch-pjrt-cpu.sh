#!/usr/bin/env bash
# Fetches the pinned XLA CPU PJRT plugin wheel from PyPI (pip's ordinary client),
# verifies its sha256, unpacks the plugin .so into the TorchTPU cache and points
# the stable name <cache>/plugins/pjrt_cpu.so at it. Prints the plugin path.
#
#   TORCHTPU_CACHE  overrides ~/.cache/torchtpu
#
# Idempotent: a second run with everything in place only checks a stamp file.
set -euo pipefail

# ---- the pin (change all four together) ------------------------------------
PKG_NAME="lammps-jax-pjrt-cpu"
PKG_VERSION="0.11.2"
WHEEL="lammps_jax_pjrt_cpu-0.11.2-py3-none-manylinux_2_27_x86_64.whl"
WHEEL_SHA256="1319390d948b39f69f7dade496b7c385149d9ca6097a6b62114da113216d9ad1"
MEMBER="lammps_jax_pjrt_cpu/pjrt_c_api_cpu_plugin.so"   # the .so exporting GetPjrtApi
# ------------------------------------------------------------------------------

TOOL="fetch-pjrt-cpu"
STABLE_NAME="pjrt_cpu.so"
PIP_TAGS=(--platform manylinux_2_27_x86_64 --python-version 3 --implementation py)
source "$(dirname "$0")/fetch-wheel-library.sh"

#!/usr/bin/env bash
# Fetches the NVIDIA PJRT plugin (jax-cuda12-pjrt, pinned by version and sha256) and the
# NVIDIA runtime wheels it loads at client creation (CUDA runtime, cuBLAS, cuDNN, cuFFT,
# cuSOLVER, cuSPARSE, NCCL, nvJitLink, CUPTI, ptxas), with pip's ordinary client, into the
# TorchTPU cache. Prints the plugin path. Only the cuda feature needs it; CI never runs it:
# the NVIDIA wheels are several GB.
#
#   <cache>/plugins/pjrt_cuda.so                        the plugin (stable name)
#   <cache>/plugins/nvidia/*/lib/*.so*                  the runtime libraries, where the plugin's
#                                                       RPATH ($ORIGIN/../nvidia/...) finds them
#
# The plugin wheel is pinned by sha256. The NVIDIA wheels are pinned by major version
# ranges that jax-cuda12-pjrt 0.11.2 supports; the sha256 of each file pip chose is recorded
# in <cache>/plugins/nvidia-cu12.lock on the first run, for audit; delete it to re-install.
set -euo pipefail

# ---- the pin ------------------------------------------------------------------
PKG_NAME="jax-cuda12-pjrt"
PKG_VERSION="0.11.2"
WHEEL="jax_cuda12_pjrt-0.11.2-py3-none-manylinux_2_27_x86_64.whl"
WHEEL_SHA256="2133b3afc63307c016ae4980f166b2b3de199759363ead74f7d550eaae953463"
MEMBER="jax_plugins/xla_cuda12/xla_cuda_plugin.so"
NVIDIA_WHEELS=(
  "nvidia-cuda-runtime-cu12>=12.1,<13" "nvidia-cublas-cu12>=12.1.3.1,<13" "nvidia-cudnn-cu12>=9.8,<10"
  "nvidia-cufft-cu12>=11.0.2.54,<12" "nvidia-cusolver-cu12>=11.4.5.107,<12" "nvidia-cusparse-cu12>=12.1.0.106,<13"
  "nvidia-nccl-cu12>=2.18.1,<3" "nvidia-nvjitlink-cu12>=12.1.105,<13" "nvidia-cuda-cupti-cu12>=12.1,<13"
  "nvidia-cuda-nvcc-cu12>=12.6.85,<13" "nvidia-cuda-nvrtc-cu12>=12.1,<13"
)
# ------------------------------------------------------------------------------

CACHE="${TORCHTPU_CACHE:-$HOME/.cache/torchtpu}"
DOWNLOADS="$CACHE/downloads"
PLUGIN_DIR="$CACHE/plugins/$PKG_NAME-$PKG_VERSION"
LIB="$PLUGIN_DIR/$(basename "$MEMBER")"
STAMP="$LIB.sha256-of-wheel"
STABLE="$CACHE/plugins/pjrt_cuda.so"
NVIDIA_DIR="$CACHE/plugins"
NVIDIA_LOCK="$CACHE/plugins/nvidia-cu12.lock"

die() { echo "fetch-pjrt-cuda: $*" >&2; exit 1; }
sha_of() { sha256sum "$1" | cut -d' ' -f1; }
[[ "$(uname -s)-$(uname -m)" == Linux-x86_64 ]] || die "the pinned wheels are for Linux x86_64 only"
command -v python3 >/dev/null || die "python3 (with pip) is needed"
mkdir -p "$DOWNLOADS" "$PLUGIN_DIR"

if [[ ! -f "$LIB" || ! -f "$STAMP" || "$(cat "$STAMP")" != "$WHEEL_SHA256" ]]; then
  if [[ ! -f "$DOWNLOADS/$WHEEL" || "$(sha_of "$DOWNLOADS/$WHEEL")" != "$WHEEL_SHA256" ]]; then
    rm -f "$DOWNLOADS/$WHEEL"
    echo "fetch-pjrt-cuda: downloading $PKG_NAME==$PKG_VERSION (about 190 MB) from PyPI ..." >&2
    python3 -m pip download --no-deps --only-binary=:all: --disable-pip-version-check \
        --platform manylinux_2_27_x86_64 --python-version 3 --implementation py \
        -d "$DOWNLOADS" "$PKG_NAME==$PKG_VERSION" >&2 || die "pip download of $PKG_NAME==$PKG_VERSION failed"
  fi
  actual="$(sha_of "$DOWNLOADS/$WHEEL")"
  [[ "$actual" == "$WHEEL_SHA256" ]] || { mv -f "$DOWNLOADS/$WHEEL" "$DOWNLOADS/$WHEEL.bad"; die "sha256 mismatch for $WHEEL: got $actual"; }
  python3 - "$DOWNLOADS/$WHEEL" "$MEMBER" "$LIB.tmp.$$" <<'PY'
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
  chmod 0755 "$LIB.tmp.$$" && mv -f "$LIB.tmp.$$" "$LIB" && echo "$WHEEL_SHA256" > "$STAMP"
fi

if [[ ! -f "$NVIDIA_LOCK" ]]; then
  echo "fetch-pjrt-cuda: installing the NVIDIA runtime wheels (several GB) into $NVIDIA_DIR ..." >&2
  wheels="$(mktemp -d "$DOWNLOADS/.nvidia.XXXXXX")"
  trap 'rm -rf "$wheels"' EXIT
  python3 -m pip download --only-binary=:all: --disable-pip-version-check --no-deps \
      --platform manylinux_2_27_x86_64 --platform manylinux2014_x86_64 --python-version 3.11 \
      -d "$wheels" "${NVIDIA_WHEELS[@]}" >&2 || die "pip download of the NVIDIA runtime wheels failed"
  (cd "$wheels" && sha256sum *.whl) > "$NVIDIA_LOCK.tmp"
  python3 -m pip install --no-deps --no-index --target "$NVIDIA_DIR" "$wheels"/*.whl >&2 \
    || die "unpacking the NVIDIA runtime wheels failed"
  mv -f "$NVIDIA_LOCK.tmp" "$NVIDIA_LOCK"
else
  [[ -d "$NVIDIA_DIR/nvidia" ]] || die "$NVIDIA_LOCK exists but $NVIDIA_DIR/nvidia does not: delete the lock and run again"
fi

ln -sfn "$PKG_NAME-$PKG_VERSION/$(basename "$MEMBER")" "$STABLE.tmp.$$" && mv -Tf "$STABLE.tmp.$$" "$STABLE"
echo "$LIB"

#!/usr/bin/env bash
# Fetches the PJRT C API header (xla/pjrt/c/pjrt_c_api.h) from a pinned PyPI wheel
# that ships it, verifies the wheel's sha256 and extracts only the header into
#   <cache>/include/<pkg>-<version>/xla/pjrt/c/pjrt_c_api.h
# Prints the include directory (the -I argument). TORCHTPU_CACHE overrides
# ~/.cache/torchtpu. With a first argument DIR, the header is also copied to
# DIR/xla/pjrt/c/pjrt_c_api.h (the build passes target/native-include).
set -euo pipefail

# ---- the pin ------------------------------------------------------------------
# xla-cpu-pjrt is published by the OpenXLA authors and carries the header next to
# its plugin. jaxlib does not ship pjrt_c_api.h (only xla/ffi headers).
PKG_NAME="xla-cpu-pjrt"
PKG_VERSION="0.0.1"
WHEEL="xla_cpu_pjrt-0.0.1-py3-none-manylinux_2_27_x86_64.whl"
WHEEL_SHA256="55837b6b7b47daa717f2d9a5a03563ea0ceaa338d06a81a1e2d3f060d960decc"
MEMBER="xla_plugins/xla_cpu_pjrt/include/pjrt_c_api.h"
HEADER_SHA256="c85bb95cb1743c2a353a555b3ab35f065e5f17007c7f182ad68d23754950235c"
# ------------------------------------------------------------------------------

CACHE="${TORCHTPU_CACHE:-$HOME/.cache/torchtpu}"
INC="$CACHE/include/$PKG_NAME-$PKG_VERSION"
HDR="$INC/xla/pjrt/c/pjrt_c_api.h"

die() { echo "fetch-header: $*" >&2; exit 1; }
sha_of() { sha256sum "$1" | cut -d' ' -f1; }

if [[ ! -f "$HDR" || "$(sha_of "$HDR")" != "$HEADER_SHA256" ]]; then
  mkdir -p "$(dirname "$HDR")"
  source "$(dirname "$0")/../../../runtime-launcher/scripts/download-wheel.sh"
  download_wheel fetch-header "$PKG_NAME" "$PKG_VERSION" "$WHEEL" "$WHEEL_SHA256" \
      --platform manylinux_2_27_x86_64 --python-version 3 --implementation py || exit 1
  python3 - "$WHEEL_PATH" "$MEMBER" "$HDR.tmp.$$" <<'PY'
import sys, zipfile
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    open(out, "wb").write(z.read(member))
PY
  [[ "$(sha_of "$HDR.tmp.$$")" == "$HEADER_SHA256" ]] || { rm -f "$HDR.tmp.$$"; die "header in $WHEEL has an unexpected sha256"; }
  mv -f "$HDR.tmp.$$" "$HDR"
fi

major="$(sed -n 's/^#define PJRT_API_MAJOR \([0-9]*\).*/\1/p' "$HDR")"
minor="$(sed -n 's/^#define PJRT_API_MINOR \([0-9]*\).*/\1/p' "$HDR")"
echo "fetch-header: pjrt_c_api.h from $PKG_NAME $PKG_VERSION declares PJRT C API $major.$minor" >&2

if [[ $# -ge 1 ]]; then
  mkdir -p "$1/xla/pjrt/c"
  cmp -s "$HDR" "$1/xla/pjrt/c/pjrt_c_api.h" || cp -f "$HDR" "$1/xla/pjrt/c/pjrt_c_api.h"
  echo "$1"
else
  echo "$INC"
fi

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

CACHE="${TORCHTPU_CACHE:-$HOME/.cache/torchtpu}"
DOWNLOADS="$CACHE/downloads"
PLUGIN_DIR="$CACHE/plugins/$PKG_NAME-$PKG_VERSION"
LIB="$PLUGIN_DIR/$(basename "$MEMBER")"
STAMP="$LIB.sha256-of-wheel"
STABLE="$CACHE/plugins/pjrt_cpu.so"

die() { echo "fetch-pjrt-cpu: $*" >&2; exit 1; }
sha_of() { sha256sum "$1" | cut -d' ' -f1; }

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) die "the pinned wheel $WHEEL is for Linux x86_64 only, not $(uname -s)-$(uname -m)" ;;
esac

link_stable() {
  mkdir -p "$CACHE/plugins"
  # relative link, so a moved cache keeps working
  ln -sfn "$PKG_NAME-$PKG_VERSION/$(basename "$MEMBER")" "$STABLE.tmp.$$"
  mv -Tf "$STABLE.tmp.$$" "$STABLE"
  echo "$LIB"
}

# fast path: already unpacked from the verified wheel
if [[ -f "$LIB" && -f "$STAMP" && "$(cat "$STAMP")" == "$WHEEL_SHA256" ]]; then
  link_stable
  exit 0
fi

command -v python3 >/dev/null || die "python3 (with pip) is needed to download $PKG_NAME==$PKG_VERSION"
mkdir -p "$DOWNLOADS" "$PLUGIN_DIR"

if [[ ! -f "$DOWNLOADS/$WHEEL" || "$(sha_of "$DOWNLOADS/$WHEEL")" != "$WHEEL_SHA256" ]]; then
  rm -f "$DOWNLOADS/$WHEEL"
  tmp="$(mktemp -d "$DOWNLOADS/.pip.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  echo "fetch-pjrt-cpu: downloading $PKG_NAME==$PKG_VERSION from PyPI ..." >&2
  python3 -m pip download --no-deps --only-binary=:all: --disable-pip-version-check \
      --platform manylinux_2_27_x86_64 --python-version 3 --implementation py \
      -d "$tmp" "$PKG_NAME==$PKG_VERSION" >&2 \
    || die "pip download of $PKG_NAME==$PKG_VERSION failed (is PyPI reachable?)"
  [[ -f "$tmp/$WHEEL" ]] || die "pip did not produce the pinned file $WHEEL (got: $(ls "$tmp"))"
  mv "$tmp/$WHEEL" "$DOWNLOADS/$WHEEL"
fi

actual="$(sha_of "$DOWNLOADS/$WHEEL")"
if [[ "$actual" != "$WHEEL_SHA256" ]]; then
  mv -f "$DOWNLOADS/$WHEEL" "$DOWNLOADS/$WHEEL.bad"
  die "sha256 mismatch for $WHEEL: expected $WHEEL_SHA256, got $actual (moved aside to $WHEEL.bad)"
fi

python3 - "$DOWNLOADS/$WHEEL" "$MEMBER" "$LIB.tmp.$$" <<'PY'
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
chmod 0755 "$LIB.tmp.$$"
mv -f "$LIB.tmp.$$" "$LIB"
echo "$WHEEL_SHA256" > "$STAMP"
link_stable

#!/usr/bin/env bash
# Fetches the pinned libtpu wheel from PyPI (pip's ordinary client), verifies its
# sha256, unpacks libtpu.so into the TorchTPU cache and points the stable name
# <cache>/plugins/libtpu.so at it. Prints the plugin path.
#
# Only the tpu features need it: the launcher runs it when a tpu* feature is asked
# for, and the TPU backend's build runs it for its ahead-of-time compile tests. The
# wheel is about 137 MB (libtpu.so unpacked: about 467 MB).
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

CACHE="${TORCHTPU_CACHE:-$HOME/.cache/torchtpu}"
DOWNLOADS="$CACHE/downloads"
PLUGIN_DIR="$CACHE/plugins/$PKG_NAME-$PKG_VERSION"
LIB="$PLUGIN_DIR/$(basename "$MEMBER")"
STAMP="$LIB.sha256-of-wheel"
STABLE="$CACHE/plugins/libtpu.so"

die() { echo "fetch-libtpu: $*" >&2; exit 1; }
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
  echo "fetch-libtpu: downloading $PKG_NAME==$PKG_VERSION (about 137 MB) from PyPI ..." >&2
  # the platform and Python tags select the pinned file whatever python3 runs this
  python3 -m pip download --no-deps --only-binary=:all: --disable-pip-version-check \
      --platform manylinux_2_31_x86_64 --python-version 3.11 --implementation cp --abi cp311 \
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

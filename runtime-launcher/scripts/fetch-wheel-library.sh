# Sourced by the fetch-*.sh scripts: downloads one pinned wheel from PyPI with pip's ordinary client,
# checks its sha256, unpacks one shared library from it into the TorchTPU cache and points a stable
# name at it, then prints the library's path. A second run with everything in place only checks a stamp.
#
# The sourcing script sets: TOOL (its name, for messages), PKG_NAME, PKG_VERSION, WHEEL, WHEEL_SHA256,
# MEMBER (the library's path in the wheel), STABLE_NAME (the file name under <cache>/plugins/),
# PIP_TAGS (an array of pip --platform/--python-version/... arguments that select the pinned file), and
# optionally SIZE_NOTE (shown while downloading).
#   TORCHTPU_CACHE  overrides ~/.cache/torchtpu

CACHE="${TORCHTPU_CACHE:-$HOME/.cache/torchtpu}"
PLUGIN_DIR="$CACHE/plugins/$PKG_NAME-$PKG_VERSION"
LIB="$PLUGIN_DIR/$(basename "$MEMBER")"
STAMP="$LIB.sha256-of-wheel"
STABLE="$CACHE/plugins/$STABLE_NAME"

die() { echo "$TOOL: $*" >&2; exit 1; }

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

mkdir -p "$PLUGIN_DIR"
source "$(dirname "${BASH_SOURCE[0]}")/download-wheel.sh"
download_wheel "$TOOL" "$PKG_NAME" "$PKG_VERSION" "$WHEEL" "$WHEEL_SHA256" "${PIP_TAGS[@]}" || exit 1

python3 - "$WHEEL_PATH" "$MEMBER" "$LIB.tmp.$$" <<'PY'
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
chmod 0755 "$LIB.tmp.$$"
mv -f "$LIB.tmp.$$" "$LIB"
echo "$WHEEL_SHA256" > "$STAMP"
link_stable

# Sourced by the fetch scripts: download_wheel downloads one pinned wheel from PyPI with pip's ordinary client
# into <cache>/downloads unless a copy with the pinned sha256 is there, checks its sha256 and sets WHEEL_PATH.
#   download_wheel TOOL PKG_NAME PKG_VERSION WHEEL WHEEL_SHA256 [pip --platform/--python-version/... tags]
#   TORCHTPU_CACHE  overrides ~/.cache/torchtpu;  SIZE_NOTE, when set, is shown while downloading

download_wheel() {
  local tool="$1" name="$2" version="$3" wheel="$4" sha256="$5"
  shift 5
  local downloads="${TORCHTPU_CACHE:-$HOME/.cache/torchtpu}/downloads"
  WHEEL_PATH="$downloads/$wheel"
  mkdir -p "$downloads"
  if [[ ! -f "$WHEEL_PATH" || "$(sha256sum "$WHEEL_PATH" | cut -d' ' -f1)" != "$sha256" ]]; then
    command -v python3 >/dev/null || { echo "$tool: python3 (with pip) is needed to download $name==$version" >&2; return 1; }
    rm -f "$WHEEL_PATH"
    local tmp
    tmp="$(mktemp -d "$downloads/.pip.XXXXXX")"
    echo "$tool: downloading $name==$version${SIZE_NOTE:+ ($SIZE_NOTE)} from PyPI ..." >&2
    # the platform and Python tags select the pinned file whatever python3 runs this
    if ! python3 -m pip download --no-deps --only-binary=:all: --disable-pip-version-check "$@" \
        -d "$tmp" "$name==$version" >&2; then
      rm -rf "$tmp"
      echo "$tool: pip download of $name==$version failed (is PyPI reachable?)" >&2
      return 1
    fi
    if [[ ! -f "$tmp/$wheel" ]]; then
      echo "$tool: pip did not produce the pinned file $wheel (got: $(ls "$tmp"))" >&2
      rm -rf "$tmp"
      return 1
    fi
    mv "$tmp/$wheel" "$WHEEL_PATH"
    rm -rf "$tmp"
  fi
  local actual
  actual="$(sha256sum "$WHEEL_PATH" | cut -d' ' -f1)"
  if [[ "$actual" != "$sha256" ]]; then
    mv -f "$WHEEL_PATH" "$WHEEL_PATH.bad"
    echo "$tool: sha256 mismatch for $wheel: expected $sha256, got $actual (moved aside to $wheel.bad)" >&2
    return 1
  fi
}

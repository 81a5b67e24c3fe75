#!/usr/bin/env bash
# Fetches the headers the CPU kernels library compiles against, from pinned PyPI wheels (sha256 checked):
#   the XLA FFI C API (xla/ffi/api/c_api.h) from jaxlib, and oneDNN's C API (oneapi/dnnl/*.h) from
#   onednn-devel-cpu-gomp, the headers of the library runtime-launcher/scripts/fetch-onednn.sh installs.
#   fetch-headers.sh OUT_INCLUDE_DIR      (the Maven build passes target/native-include)
set -euo pipefail
out="${1:?usage: fetch-headers.sh OUT_INCLUDE_DIR}"
source "$(dirname "$0")/../../../runtime-launcher/scripts/download-wheel.sh"

# ---- the pins ------------------------------------------------------------------------------------------------
# jaxlib 0.10.2 is the version fetch-jax.sh installs (pip's cache then serves it); its FFI API (0.3) is one the
# pinned CPU plugin (jaxlib 0.11.2's) accepts.
JAXLIB_WHEEL="jaxlib-0.10.2-cp311-cp311-manylinux_2_27_x86_64.whl"
JAXLIB_SHA256="1faca3c5d4662cb4a6130a68105d68bb520764817e165d6eebfd6786c0d1f30f"
DNNL_WHEEL="onednn_devel_cpu_gomp-2023.2.0-py2.py3-none-manylinux1_x86_64.whl"
DNNL_SHA256="9763c69e8c907e119056bd52ad918ca84ac9ba939d130a99dfa95ccca3e5e284"
# ---------------------------------------------------------------------------------------------------------------

stamp="$out/.headers-from"
want="$JAXLIB_SHA256 $DNNL_SHA256"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
SIZE_NOTE="85 MB, for one header" download_wheel fetch-headers jaxlib 0.10.2 "$JAXLIB_WHEEL" "$JAXLIB_SHA256" \
    --platform manylinux_2_27_x86_64 --python-version 3.11 --implementation cp
jaxlib="$WHEEL_PATH"
download_wheel fetch-headers onednn-devel-cpu-gomp 2023.2.0 "$DNNL_WHEEL" "$DNNL_SHA256" \
    --platform manylinux1_x86_64 --python-version 3 --implementation py
dnnl="$WHEEL_PATH"
mkdir -p "$out"
python3 - "$out" "$jaxlib" "$dnnl" <<'PY'
import os, sys, zipfile
out, jaxlib, dnnl = sys.argv[1:]
def extract(wheel, prefix, keep):
    with zipfile.ZipFile(wheel) as z:
        members = [m for m in z.namelist() if m.startswith(prefix) and keep(m[len(prefix):])]
        if not members:
            sys.exit(f"fetch-headers: {os.path.basename(wheel)} has nothing under {prefix}")
        for m in members:
            target = os.path.join(out, m[len(prefix):])
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(z.read(m))
extract(jaxlib, "jaxlib/include/", lambda rest: rest == "xla/ffi/api/c_api.h")
extract(dnnl, "onednn_devel_cpu_gomp-2023.2.0.data/data/include/", lambda rest: rest.startswith("oneapi/dnnl/") and rest.endswith(".h"))
PY
echo "$want" > "$stamp"
echo "fetch-headers: XLA FFI and oneDNN headers in $out" >&2

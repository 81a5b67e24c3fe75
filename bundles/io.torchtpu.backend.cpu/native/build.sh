#!/usr/bin/env bash
# Builds libtorchtpu_cpu_kernels.so (onednn_convolution.c: an XLA FFI handler running convolutions with oneDNN)
# against the JDK's jni.h and the headers fetch-headers.sh unpacked, linked to the libdnnl that
# runtime-launcher/scripts/fetch-onednn.sh installed (the backend loads that one before this library).
#   build.sh INCLUDE_DIR OUT_DIR      (the Maven build passes both)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
inc="${1:?usage: build.sh INCLUDE_DIR OUT_DIR}"
out="${2:?usage: build.sh INCLUDE_DIR OUT_DIR}"
dnnl="$("$here/../../../runtime-launcher/scripts/fetch-onednn.sh")"
for header in xla/ffi/api/c_api.h oneapi/dnnl/dnnl.h; do
  [[ -f "$inc/$header" ]] || { echo "build.sh: no $header under $inc; run native/fetch-headers.sh" >&2; exit 1; }
done

lib="$out/libtorchtpu_cpu_kernels.so"
src="$here/onednn_convolution.c"
if [[ -f "$lib" && "$lib" -nt "$src" && "$lib" -nt "$inc/.headers-from" && "$lib" -nt "$0" ]]; then
  exit 0
fi
source "$here/../../../cnf/jni-compile.sh"
# linked by file, so the library records libdnnl's soname (libdnnl.so.3) and no path; libgomp is the OpenMP
# runtime libdnnl itself needs (gcc's), for the per-thread thread count
jni_compile "$lib" "$src" -I"$inc" "$dnnl" -lgomp -pthread

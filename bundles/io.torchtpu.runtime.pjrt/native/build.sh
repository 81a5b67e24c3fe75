#!/usr/bin/env bash
# Builds libtorchtpu_pjrt.so from pjrt_jni.c against the JDK's jni.h and the
# pjrt_c_api.h fetched by fetch-header.sh.
#   build.sh INCLUDE_DIR OUT_DIR      (the Maven build passes both)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
inc="${1:-$("$here/fetch-header.sh")}"
out="${2:-$here/../target/classes/native/linux-x86_64}"
[[ -f "$inc/xla/pjrt/c/pjrt_c_api.h" ]] || { echo "build.sh: no xla/pjrt/c/pjrt_c_api.h under $inc; run native/fetch-header.sh" >&2; exit 1; }

lib="$out/libtorchtpu_pjrt.so"
src="$here/pjrt_jni.c"
if [[ -f "$lib" && "$lib" -nt "$src" && "$lib" -nt "$inc/xla/pjrt/c/pjrt_c_api.h" && "$lib" -nt "$0" ]]; then
  exit 0
fi
source "$here/../../../cnf/jni-compile.sh"
jni_compile "$lib" "$src" -I"$inc" -ldl -pthread

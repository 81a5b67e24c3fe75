#!/usr/bin/env bash
# Builds libtorchtpu_pjrt.so from pjrt_jni.c against the JDK's jni.h and the
# pjrt_c_api.h fetched by fetch-header.sh.
#   build.sh INCLUDE_DIR OUT_DIR      (the Maven build passes both)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
inc="${1:-$("$here/fetch-header.sh")}"
out="${2:-$here/../target/classes/native/linux-x86_64}"
[[ -f "$inc/xla/pjrt/c/pjrt_c_api.h" ]] || { echo "build.sh: no xla/pjrt/c/pjrt_c_api.h under $inc; run native/fetch-header.sh" >&2; exit 1; }

if [[ -z "${JAVA_HOME:-}" || ! -f "$JAVA_HOME/include/jni.h" ]]; then
  JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"
fi
[[ -f "$JAVA_HOME/include/jni.h" ]] || { echo "build.sh: jni.h not found under JAVA_HOME=$JAVA_HOME" >&2; exit 1; }

mkdir -p "$out"
lib="$out/libtorchtpu_pjrt.so"
src="$here/pjrt_jni.c"
if [[ -f "$lib" && "$lib" -nt "$src" && "$lib" -nt "$inc/xla/pjrt/c/pjrt_c_api.h" && "$lib" -nt "$0" ]]; then
  exit 0
fi
${CC:-gcc} -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Wno-unused-parameter -Werror -shared -fPIC \
  -fvisibility=hidden -Wl,-z,defs -Wl,--no-undefined \
  -I"$inc" -I"$JAVA_HOME/include" -I"$JAVA_HOME/include/linux" \
  -o "$lib.tmp" "$src" -ldl -pthread
mv -f "$lib.tmp" "$lib"
echo "build.sh: built $lib"

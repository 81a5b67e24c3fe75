#!/usr/bin/env bash
# Builds the FAKE PJRT plugins of the fault-injection tests, one .so per fault, from
# src/test/c/fake_failing_pjrt_plugin.c against the pinned pjrt_c_api.h. Test use only.
#   build-fake-plugins.sh OUT_DIR      (the Maven build passes target/fake-plugins)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/target/fake-plugins}"
inc="$("$here/../native/fetch-header.sh")"
src="$here/src/test/c/fake_failing_pjrt_plugin.c"
cache="${TORCHTPU_CACHE:-$HOME/.cache/torchtpu}"
# the real plugin the wrapping fakes delegate to: the one fetch-pjrt-cpu.sh installs
delegate="$cache/plugins/pjrt_cpu.so"

mkdir -p "$out"
faults=(null_api wrong_version initialize_fails client_create_fails execute_fails execution_event_fails)
for i in "${!faults[@]}"; do
  lib="$out/libfake_failing_pjrt_plugin_${faults[$i]}.so"
  if [[ -f "$lib" && "$lib" -nt "$src" && "$lib" -nt "$0" ]]; then continue; fi
  ${CC:-gcc} -std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden \
    -DFAKE_FAULT=$((i + 1)) -DFAKE_DELEGATE_PATH="\"$delegate\"" -I"$inc" \
    -o "$lib.tmp" "$src" -ldl -lpthread
  mv -f "$lib.tmp" "$lib"
done
echo "build-fake-plugins: ${#faults[@]} fake plugins in $out (delegating to $delegate)"

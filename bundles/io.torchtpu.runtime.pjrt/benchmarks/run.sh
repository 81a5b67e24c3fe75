#!/usr/bin/env bash
# Runs the PJRT bridge benchmarks and prints the table: figure, ours, peer, ratio, target, met?
#
#   benchmarks/run.sh            build (mvn -o, then online if that fails), C floor, JMH, table
#   SKIP_BUILD=1 benchmarks/run.sh   reuse target/benchmarks.jar
#   MALLOC_TUNED=1 ...           also run the round trips with glibc malloc kept from mmap/trim/arenas
#                                (GLIBC_TUNABLES), to show what the plugin's per-transfer
#                                allocation costs
#   BREAKDOWN=0 ...              skip the execute-latency breakdown (BridgeOverheadBenchmark)
#
# Settings fit a 2-core machine: one fork, short iterations; about 2-3 minutes in all.
# Results (C floor output, JMH JSON, the table) are left in target/bench-results/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
pjrt="$here/.."
out="$here/target/bench-results"
jar="$here/target/benchmarks.jar"
mkdir -p "$out"

if [[ "${SKIP_BUILD:-0}" != 1 || ! -f "$jar" ]]; then
  echo "run.sh: building the bridge and the benchmarks jar ..." >&2
  (cd "$root" && { mvn -B -q -o install -DskipTests -pl bundles/io.torchtpu.runtime.pjrt/benchmarks -am \
      || mvn -B -q install -DskipTests -pl bundles/io.torchtpu.runtime.pjrt/benchmarks -am; }) >&2
fi

# the plugin and the header, as the bridge's build fetches them
bash "$root/runtime-launcher/scripts/fetch-pjrt-cpu.sh" >/dev/null
inc="$(bash "$pjrt/native/fetch-header.sh" 2>/dev/null)"

# the C floor: same program text, same compile-options bytes (written by the Java side)
plugin="$(java -cp "$jar" io.torchtpu.runtime.pjrt.benchmarks.FloorInputs "$out")"
${CC:-gcc} -std=c11 -O2 -Wall -Wextra -Werror -I"$inc" -o "$out/execute_floor" "$here/src/main/c/execute_floor.c" -ldl
echo "run.sh: C floor ..." >&2
"$out/execute_floor" "$plugin" "$out/add_f32_4.mlir" "$out/compile_options.pb" 200000 64 30 | tee "$out/floor.txt" >&2

jmh() { # name, json, extra args...
  local json="$1"; shift
  java -jar "$jar" "$@" -f 1 -t 1 -jvmArgs "-Xms1g -Xmx1g -Dtorchtpu.pjrt.plugin=$plugin" \
       -rf json -rff "$json" > "$json.log" 2>&1 || { tail -40 "$json.log" >&2; exit 1; }
}
echo "run.sh: JMH execute latency ..." >&2
jmh "$out/latency.json" 'ExecuteLatencyBenchmark' -wi 3 -w 1s -i 5 -r 2s
echo "run.sh: JMH 64 MiB round trip and memcpy ..." >&2
jmh "$out/roundtrip.json" 'RoundTripBenchmark' -wi 3 -w 1s -i 5 -r 2s
if [[ "${BREAKDOWN:-1}" == 1 ]]; then
  echo "run.sh: JMH execute breakdown ..." >&2
  jmh "$out/breakdown.json" 'BridgeOverheadBenchmark' -wi 2 -w 2s -i 3 -r 3s
fi
if [[ "${MALLOC_TUNED:-0}" == 1 ]]; then
  tun="glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296:glibc.malloc.arena_max=1"
  echo "run.sh: round trips again with GLIBC_TUNABLES=$tun ..." >&2
  GLIBC_TUNABLES=$tun "$out/execute_floor" "$plugin" "$out/add_f32_4.mlir" "$out/compile_options.pb" 1000 64 30 \
    > "$out/floor-tuned.txt"
  GLIBC_TUNABLES=$tun jmh "$out/roundtrip-tuned.json" 'RoundTripBenchmark' -wi 3 -w 1s -i 5 -r 2s
fi

python3 "$here/src/main/python/table.py" "$out" | tee "$out/table.txt"

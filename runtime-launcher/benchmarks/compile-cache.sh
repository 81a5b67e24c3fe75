#!/usr/bin/env bash
# The compile cache, measured: for a model (default: the BERT fixture's .pt2), ROUNDS times each
#   cold       a fresh container with an empty compile cache: the program is compiled
#   disk       a fresh container with that cache on disk: the executable is loaded from it
#   memory     a second and third load in the same container: the loaded program is shared
# and prints the medians side by side. Targets (issue 6): a cache hit in memory under 1 ms, a disk-cache hit
# at least 10x faster than the cold compile. Run on demand after `mvn -B -q install -DskipTests`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
model="${1:-$root/bnd-workspace/src/test/resources/models/bert/model.pt2}"
rounds="${ROUNDS:-5}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf '{"io.torchtpu.engine": {"cacheDirectory": "%s"}}\n' "$work/executables" > "$work/config.json"

run() {
  "$root/runtime-launcher/target/torchtpu/bin/torchtpu" exec -c "$work/config.json" -f cpu -f lowering -f engine -f pt2 -f torchscript -f libtorch \
      "torchtpu:load a \"$model\"" "torchtpu:load b \"$model\"" "torchtpu:load c \"$model\"" 2>&1
}
median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

: > "$work/cold"; : > "$work/disk"; : > "$work/memory"; : > "$work/coldload"; : > "$work/diskload"
for round in $(seq "$rounds"); do
  rm -rf "$work/executables"
  out="$(run)"
  grep -o 'compiled in [0-9]* ms' <<<"$out" | head -1 | grep -o '[0-9]*' >> "$work/cold"
  grep -o 'loaded a on [a-z0-9-]* in [0-9.]* ms' <<<"$out" | grep -o '[0-9.]* ms' | grep -o '[0-9.]*' >> "$work/coldload"
  out="$(run)"
  grep -o 'loaded from the compile cache in [0-9]* ms' <<<"$out" | head -1 | grep -o '[0-9]*' >> "$work/disk"
  grep -o 'loaded a on [a-z0-9-]* in [0-9.]* ms' <<<"$out" | grep -o '[0-9.]* ms' | grep -o '[0-9.]*' >> "$work/diskload"
  grep -o 'loaded [bc] on [a-z0-9-]* in [0-9.]* ms' <<<"$out" | grep -o '[0-9.]* ms' | grep -o '[0-9.]*' >> "$work/memory"
done
cold=$(median < "$work/cold"); disk=$(median < "$work/disk"); memory=$(median < "$work/memory")
coldload=$(median < "$work/coldload"); diskload=$(median < "$work/diskload")
echo "compile cache, $(basename "$(dirname "$model")")/$(basename "$model"), $rounds rounds (medians):"
printf '  %-46s %10s ms\n' "cold compile (fresh container, empty cache)" "$cold"
printf '  %-46s %10s ms   %5.1fx faster than the cold compile (target 10x)\n' "disk-cache hit (fresh container)" "$disk" "$(awk "BEGIN {print $cold / $disk}")"
printf '  %-46s %10s ms   (target under 1 ms)\n' "memory hit (load of a model already loaded)" "$memory"
printf '  %-46s %10s ms -> %s ms with the disk cache (trace and lowering included)\n' "whole first load of the model" "$coldload" "$diskload"

#!/usr/bin/env bash
# Runs torchtpu bench on every fixture model and keeps the results: one JSON and one PNG per model under
# results/<date>/, and results/latest.txt with the tables. Benchmarks run on demand, never in the build.
#
#   runtime-launcher/benchmarks/run.sh                  all fixtures, batches 1,8,32, 2 s per figure
#   MODELS="mlp bert" SECONDS_PER_FIGURE=1 BATCHES=1,32 runtime-launcher/benchmarks/run.sh
#   MODELS_DIR=~/.cache/torchtpu/models-full ...       the full-size models (make_fixtures.py --full)
#   JAX_PYTHON=~/.cache/torchtpu/jax-venv/bin/python ... JAX as a second peer (scripts/fetch-jax.sh makes that venv)
#
# Build first (mvn -B -q install -DskipTests). Child processes run one after the other, so on a shared
# machine the spread columns say how much to trust a figure.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
models_dir="${MODELS_DIR:-$root/bnd-workspace/src/test/resources/models}"
out="$here/results/$(date -u +%Y-%m-%dT%H%M%SZ)"
mkdir -p "$out"
for model in ${MODELS:-mlp bert gpt2 resnet18 mobilenet_v2}; do
  echo "run.sh: $model ..." >&2
  TORCHTPU_LOG_LEVEL="${TORCHTPU_LOG_LEVEL:-WARN}" "$root/runtime-launcher/target/torchtpu/bin/torchtpu" bench \
      "$models_dir/$model/model.pt" --batch "${BATCHES:-1,8,32}" --seconds "${SECONDS_PER_FIGURE:-2}" \
      --json "$out/$model.json" --plot "$out/$model.png" ${JAX_PYTHON:+--jax-python "$JAX_PYTHON"} | tee "$out/$model.txt" || echo "run.sh: $model failed" >&2
done
cat "$out"/*.txt > "$here/results/latest.txt"
echo "run.sh: results in $out" >&2

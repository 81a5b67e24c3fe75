#!/usr/bin/env bash
# Prepared for a machine with an NVIDIA GPU (not run where none is lent): fetches the CUDA plugin and
# the NVIDIA runtime wheels, builds the distribution, shows the cuda backend, then verifies every fixture
# model on it against the reference outputs stored beside each model. Exits non-zero on the first FAIL.
#   bundles/io.torchtpu.backend.cuda/scripts/verify-fixtures-on-gpu.sh [TIMEOUT_PER_MODEL_SECONDS]
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
per_model="${1:-240}"
cd "$root"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || { echo "no nvidia-smi: no GPU here" >&2; exit 2; }
runtime-launcher/scripts/fetch-pjrt-cuda.sh
[[ -x runtime-launcher/target/torchtpu/bin/torchtpu ]] || mvn -B -q install -DskipTests
torchtpu=runtime-launcher/target/torchtpu/bin/torchtpu
"$torchtpu" exec -f cuda torchtpu:backends
status=0
for model in mlp resnet18 mobilenet_v2 bert gpt2; do
  file="bnd-workspace/src/test/resources/models/$model/model.pt2"
  echo "== $model on cuda"
  start=$(date +%s.%N)
  timeout "$per_model" "$torchtpu" verify "$file" --backend cuda -f cuda || status=1
  echo "$model: $(echo "$(date +%s.%N) - $start" | bc) s wall (container start, compile, run, compare)"
done
exit $status

#!/usr/bin/env bash
# The GPU check, in one call, on a host prepared by bench/gpu/pack.sh (run from the repository
# root): the webgpu and fused-engine agreement tests, then the fused GPU engine end to end
# (drawing, Algorithm 1, the final check, rows and Arrow file; with the host's time per
# realisation) at several batch sizes for methods ao and joint, then the tensor engine with the
# fused SP3 solver at 10^5 for comparison. Logs go to $OUT (default /tmp/gpu-check): gpu.txt,
# tests.log, bench.log. bench/gpu/check-all.sh runs this and check-bundle.sh (the CLI: solve
# --batch, dtmc run of 10^6 realisations, the 16-core float64 pool) in one call.
#
#   OUT=/tmp/gpu-check bash bench/gpu/check.sh [SIZES]     # SIZES default 10000,100000,1000000
set -uo pipefail
OUT=${OUT:-/tmp/gpu-check}
SIZES=${1:-10000,100000,1000000}
mkdir -p "$OUT"
if [ -z "${SKIP_DEBS:-}" ]; then
  for f in .dev/gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
NVIDIA_ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -z "${VK_DRIVER_FILES:-}" ] && [ -f $NVIDIA_ICD ] && export VK_DRIVER_FILES=$NVIDIA_ICD
NODE=/tmp/dtmc-node
[ -x $NODE ] || { xz -dc .dev/node.xz > $NODE && chmod +x $NODE; }
DAWN=.dev/app/node_modules/webgpu/dist/linux-x64/dawn.node
[ -f $DAWN ] || xz -dc .dev/dawn.node.xz > $DAWN
export DTMC_WASM_DIR=$PWD/.dev/wasm
# The tests switch back to a CPU backend between GPU tests; the bundled wasm backend does not
# start (its loader looks for files beside the bundle), so they use cpu here.
export DTMC_TEST_BACKEND=cpu
{ date -u; uname -a; nproc; (nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || true); } > "$OUT/gpu.txt"
cat "$OUT/gpu.txt"
echo "== webgpu tests"
timeout 300 $NODE .dev/app/webgpu.test.mjs 2>&1 | grep -v 'artificially reduced' | tee "$OUT/tests.log"
echo "== fused engine tests (1000 realisations at six settings against float64)"
timeout 300 $NODE .dev/app/fused-ao.test.mjs 2>&1 | grep -v 'artificially reduced' | tee -a "$OUT/tests.log"
echo "== benchmark, fused GPU engine, method ao"
timeout 300 $NODE .dev/app/tensor-engine.bench.mjs --backend webgpu --engines fused --sizes "$SIZES" --reference 2000 2>&1 | grep -v 'artificially reduced' | tee "$OUT/bench.log"
echo "== benchmark, fused GPU engine, method joint"
timeout 200 $NODE .dev/app/tensor-engine.bench.mjs --backend webgpu --engines fused --sizes "$SIZES" --reference 0 --set method=joint 2>&1 | grep -v 'artificially reduced' | tee -a "$OUT/bench.log"
echo "== benchmark, tensor engine with the fused SP3 solver (the previous GPU path)"
timeout 120 $NODE --max-old-space-size=32000 .dev/app/tensor-engine.bench.mjs --backend webgpu --engines tensor --sizes 100000 --reference 0 2>&1 | grep -v 'artificially reduced' | tee -a "$OUT/bench.log"

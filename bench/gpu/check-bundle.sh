#!/bin/bash
# The offline bundle on a GPU host, in one call (prepared by bench/gpu/pack-bundle.sh, run from the
# repository root): doctor and the smoke job from an empty folder, the webgpu engine through the
# CLI at 100 000 realisations (methods ao and joint), the 16-core float64 pool on fig3, and a
# 16-worker wasm pool.
set -u
OUT=${OUT:-/tmp/out}
for f in .dev2/gl/*.deb; do dpkg -x $f /; done; ldconfig
mkdir -p /opt/b && tar -C /opt/b -xJf .dev2/bundle.tar.xz && xz -dc .dev2/node.xz > /opt/b/dtmc-bundle/node-bin && chmod +x /opt/b/dtmc-bundle/node-bin
mkdir -p /opt/b/dtmc-bundle/node/bin && mv /opt/b/dtmc-bundle/node-bin /opt/b/dtmc-bundle/node/bin/node
D=/opt/b/dtmc-bundle/dtmc
cp .dev2/wasmpool.json /tmp/wasmpool.json
mkdir -p /tmp/empty && cd /tmp/empty
{
echo "== doctor"; timeout 30 $D doctor 2>&1 | grep -v artificially
echo "== smoke"; /usr/bin/time -f "wall %e s, peak %M kB" timeout 30 $D run --progress none 2>&1 | tail -4
echo "== webgpu batch 100000"; timeout 60 $D solve --batch 100000 --backend webgpu 2>&1 | grep -v artificially
echo "== webgpu batch 100000, method joint"; timeout 90 $D solve --batch 100000 --backend webgpu --set method=joint 2>&1 | grep -v artificially
echo "== fig3, float64 pool, 16 workers"; /usr/bin/time -f "wall %e s, peak %M kB" timeout 60 $D run $(dirname $D)/jobs/fig3.json --out /tmp/fig3 --workers 16 --progress none --summary false 2>&1 | tail -2
echo "== wasm pool, 16 workers"; /usr/bin/time -f "wall %e s, peak %M kB" timeout 60 $D run /tmp/wasmpool.json --out /tmp/wp --progress none --summary false 2>&1 | tail -2
} 2>&1 | tee $OUT/device-check.log

#!/bin/bash
# The offline bundle on a GPU host, in one call (prepared by bench/gpu/pack-bundle.sh, run from the
# repository root): doctor and the smoke job from an empty folder; the fused GPU engine through the
# CLI (solve --batch at 10^4, 10^5 and 10^6 realisations, methods ao and joint; dtmc run of a
# 10^6-realisation job end to end, Arrow files on disk, with its peak RSS); and the 16-core
# float64 pool on the same realisations (solve --batch 100000 --backend float64, seed 1, as the
# GPU's first 10^5).
set -u
OUT=${OUT:-/tmp/out}
for f in .dev2/gl/*.deb; do dpkg -x $f /; done; ldconfig
mkdir -p /opt/b && tar -C /opt/b -xJf .dev2/bundle.tar.xz && xz -dc .dev2/node.xz > /opt/b/dtmc-bundle/node-bin && chmod +x /opt/b/dtmc-bundle/node-bin
mkdir -p /opt/b/dtmc-bundle/node/bin && mv /opt/b/dtmc-bundle/node-bin /opt/b/dtmc-bundle/node/bin/node
D=/opt/b/dtmc-bundle/dtmc
cp .dev2/million.json /tmp/million.json
mkdir -p /tmp/empty && cd /tmp/empty
{
echo "== doctor"; timeout 30 $D doctor 2>&1 | grep -v artificially
echo "== smoke"; /usr/bin/time -f "wall %e s, peak %M kB" timeout 30 $D run --progress none 2>&1 | tail -4
for n in 10000 100000 1000000; do
  echo "== fused GPU engine, solve --batch $n"; /usr/bin/time -f "wall %e s, peak %M kB" timeout 120 $D solve --batch $n --backend webgpu --chunk 1000000 2>&1 | grep -v artificially
  echo "== fused GPU engine, solve --batch $n, method joint"; timeout 120 $D solve --batch $n --backend webgpu --chunk 1000000 --set method=joint 2>&1 | grep -v artificially
done
echo "== dtmc run, 10^6 realisations on the fused GPU engine"; /usr/bin/time -f "wall %e s, peak %M kB" timeout 200 $D run /tmp/million.json --out /tmp/million --progress none --summary true 2>&1 | grep -v artificially | tail -6
echo "== float64 pool, 16 workers, the same first 10^5 realisations"; /usr/bin/time -f "wall %e s, peak %M kB" timeout 120 $D solve --batch 100000 --backend float64 2>&1 | tail -3
} 2>&1 | tee $OUT/device-check.log

#!/usr/bin/env bash
# Packs .dev2/ for bench/gpu/check-bundle.sh on a GPU host without Node or internet: the offline
# bundle (scripts/bundle.sh) as a tar.xz, this Node binary (xz), the Vulkan loader's debs and a
# 10^6-realisation webgpu job. Carry .dev2 (about 31 MiB); run `OUT=... bash bench/gpu/check-bundle.sh`.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/bundle.sh build/dtmc-bundle
rm -rf .dev2 && mkdir -p .dev2/gl
tar -C build -cJf .dev2/bundle.tar.xz dtmc-bundle
xz -T2 -6 -c "$(command -v node)" > .dev2/node.xz
(cd .dev2/gl && apt-get download -qq libvulkan1 libglvnd0 libegl1 libgl1 libglx0 libgles2 libopengl0)
echo '{ "name": "million", "seed": 1, "realisations": 1000000, "chunkSize": 100000, "backend": "webgpu" }' > .dev2/million.json
du -sh .dev2

#!/usr/bin/env bash
# Packs into .dev/ what a Linux x64 GPU host without Node, npm or internet needs to run
# bench/gpu/check.sh: the engine's webgpu and fused-engine tests and tensor benchmark bundled by esbuild, the
# `webgpu` package with its dawn.node, the tfjs wasm files, a copy of this Node binary, and the
# Debian packages of the Vulkan loader (libvulkan1) and GL dispatch (libglvnd0 and friends).
#
#   bash bench/gpu/pack.sh          # then carry .dev (about 45 MiB) to the GPU host
set -euo pipefail
cd "$(dirname "$0")/../.."
npm run build --silent
rm -rf .dev
mkdir -p .dev/app/node_modules/webgpu/dist/linux-x64 .dev/wasm .dev/gl
npx esbuild dist/bench/tensor-engine.bench.js dist/test/kernels/webgpu.test.js dist/test/kernels/fused-ao.test.js \
  --bundle --platform=node --format=esm --target=node20 --external:webgpu --outdir=.dev/app --entry-names=[name] --out-extension:.js=.mjs --log-level=warning \
  --banner:js="import { createRequire as __dtmcRequire } from 'node:module'; import { fileURLToPath as __dtmcPath } from 'node:url'; import { dirname as __dtmcDirname } from 'node:path'; const require = __dtmcRequire(import.meta.url); const __filename = __dtmcPath(import.meta.url); const __dirname = __dtmcDirname(__filename);"
cp node_modules/webgpu/package.json node_modules/webgpu/index.js .dev/app/node_modules/webgpu/
xz -T2 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > .dev/dawn.node.xz
cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm .dev/wasm/
xz -T2 -6 -c "$(command -v node)" > .dev/node.xz
(cd .dev/gl && apt-get download -qq libvulkan1 libglvnd0 libegl1 libgl1 libglx0 libgles2 libopengl0)
du -sh .dev

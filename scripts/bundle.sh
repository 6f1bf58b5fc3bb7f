#!/usr/bin/env bash
# Builds the offline bundle: one folder that runs dtmc on a Linux x64 host with no node_modules,
# no npm and no internet (a cluster's GPU node, say).
#
#   bash scripts/bundle.sh [--with-node] [OUT]     # default OUT: build/dtmc-<version>-linux-x64
#   npm run bundle                                  # the same
#
# Inside: dtmc.js, worker.js, draw-worker.js and solve-batch-worker.js (the engine and the pools' workers, bundled by esbuild), the
# packages that must stay files (piscina, which starts its own worker threads; webgpu with Dawn's
# dawn.node; resvg's binary for PNG charts; parquet-wasm with its .wasm) under node_modules/, the tfjs wasm files, the shipped
# jobs, a launcher `dtmc`, and with --with-node a copy of this Node binary (node/bin/node).
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_NODE=0
OUT=""
for a in "$@"; do
  case "$a" in
    --with-node) WITH_NODE=1 ;;
    *) OUT="$a" ;;
  esac
done
VERSION=$(node -p "require('./package.json').version")
OUT=${OUT:-build/dtmc-$VERSION-linux-x64}
[ -n "${DTMC_BUNDLE_SKIP_BUILD:-}" ] || npm run build --silent
rm -rf "$OUT"
mkdir -p "$OUT/wasm" "$OUT/node_modules"
EXTERNAL=(--external:piscina --external:webgpu --external:@resvg/resvg-js --external:canvas
  --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu --external:parquet-wasm)
npx esbuild dist/cli/main.js dist/jobs/worker.js dist/jobs/draw-worker.js dist/cli/solve-batch-worker.js --bundle --platform=node --format=esm --target=node20 \
  --outdir="$OUT" --entry-names='[name]' --log-level=warning "${EXTERNAL[@]}" \
  --banner:js="import { createRequire as __dtmcRequire } from 'node:module'; import { fileURLToPath as __dtmcPath } from 'node:url'; import { dirname as __dtmcDirname } from 'node:path'; const require = __dtmcRequire(import.meta.url); const __filename = __dtmcPath(import.meta.url); const __dirname = __dtmcDirname(__filename);"
mv "$OUT/main.js" "$OUT/dtmc.js"
# The packages kept as files, with what they load at run time (Linux x64 binaries only).
copy() { mkdir -p "$OUT/node_modules/$1" && cp -r "node_modules/$1/." "$OUT/node_modules/$1/"; }
for p in piscina @napi-rs/nice @napi-rs/nice-linux-x64-gnu \
  @resvg/resvg-js @resvg/resvg-js-linux-x64-gnu; do
  [ -d "node_modules/$p" ] && copy "$p"
done
mkdir -p "$OUT/node_modules/webgpu/dist/linux-x64"
cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$OUT/node_modules/webgpu/"
cp node_modules/webgpu/dist/linux-x64/dawn.node "$OUT/node_modules/webgpu/dist/linux-x64/"
cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$OUT/wasm/"
# parquet-wasm (dtmc export) reads its .wasm beside its module: its Node build only. @duckdb/node-api
# (dtmc query, optional, 70 MB native) is not bundled: dtmc query says how to install it.
mkdir -p "$OUT/node_modules/parquet-wasm"
cp -r node_modules/parquet-wasm/package.json node_modules/parquet-wasm/node "$OUT/node_modules/parquet-wasm/"
cp -r jobs "$OUT/jobs"
node -e "const p = require('./package.json'); require('fs').writeFileSync('$OUT/package.json', JSON.stringify({ name: p.name, version: p.version, type: 'module', private: true }, null, 2) + '\n')"
if [ "$WITH_NODE" = 1 ]; then
  mkdir -p "$OUT/node/bin" && cp "$(command -v node)" "$OUT/node/bin/node"
fi
cat > "$OUT/dtmc" <<'LAUNCHER'
#!/bin/sh
# dtmc from the offline bundle: the bundled Node if there is one, else node on PATH.
HERE=$(cd "$(dirname "$0")" && pwd)
NODE="$HERE/node/bin/node"
[ -x "$NODE" ] || NODE=node
export DTMC_WASM_DIR="${DTMC_WASM_DIR:-$HERE/wasm}"
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
exec "$NODE" "$HERE/dtmc.js" "$@"
LAUNCHER
chmod +x "$OUT/dtmc"
cp scripts/bundle-readme.md "$OUT/README.md"
du -sh "$OUT"

#!/usr/bin/env bash
# Prepares .dev/ and .dev2/ for bench/gpu/check-all.sh (see pack.sh and pack-bundle.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash bench/gpu/pack.sh
bash bench/gpu/pack-bundle.sh

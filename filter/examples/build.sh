#!/bin/sh
# Builds the modules the ABI/host tests and the baseline benchmark load (into build/):
# the empty filter (baseline), the probe filter (exercises every host call) and deliberately
# invalid modules that the host must refuse. Called by `npm run build:filter`.
set -e
for f in empty probe leaky; do
  asc "filter/examples/$f.ts" --config filter/examples/asconfig.json --outFile "build/$f-filter.wasm"
done
for f in env-abort no-abi-marker no-malloc math-random; do
  asc "filter/examples/invalid/$f.ts" --config filter/examples/invalid/asconfig.json --outFile "build/invalid/$f.wasm"
done

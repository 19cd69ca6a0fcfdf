#!/bin/sh
# Builds the modules the ABI/host tests and the baseline benchmark load (into build/):
# the empty filter (baseline), the probe filter (exercises every host call through the host),
# a deliberately leaking filter (proves the leak check can fail), api-check (calls every API
# function so the whole layer type-checks) and invalid modules the host must refuse.
# Called by `npm run build:filter`.
set -e
for f in empty probe leaky api-check; do
  out="build/$f-filter.wasm"; [ "$f" = api-check ] && out="build/api-check.wasm"
  asc "filter/examples/$f.ts" --config filter/examples/asconfig.json --outFile "$out"
done
for f in env-abort no-abi-marker no-malloc math-random; do
  asc "filter/examples/invalid/$f.ts" --config filter/examples/invalid/asconfig.json --outFile "build/invalid/$f.wasm"
done

#!/usr/bin/env bash
# Rebuild ui/static/ort/ from the npm registry (run after changing the pinned onnxruntime-web version).
# A Hugging Face Space does not run npm, so the three files the page needs are committed; this reproduces them.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --ignore-scripts
dist=node_modules/onnxruntime-web/dist
out=../static/ort
rm -rf "$out" && mkdir -p "$out"
# The WebAssembly-only build (no WebGPU/WebGL): the UMD script, its Emscripten glue and the SIMD wasm.
cp "$dist/ort.wasm.min.js" "$dist/ort-wasm-simd-threaded.mjs" "$dist/ort-wasm-simd-threaded.wasm" "$out/"
cp node_modules/onnxruntime-web/package.json "$out/VERSION.json"
node -e "const p=require('./node_modules/onnxruntime-web/package.json'); console.log(p.name, p.version)"
ls -l "$out"

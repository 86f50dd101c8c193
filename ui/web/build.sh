#!/bin/sh
# Reproduces ui/static/ort/ (committed: a Hugging Face Space does not run npm) from the pinned onnxruntime-web.
# Only the WASM path ships: the ES-module bundle (its Emscripten glue built in) and the single-binary SIMD WASM,
# gzipped (11.9 MB → 3.1 MB: under the Hub's 10 MB plain-file limit, and 4× fewer bytes per student); the page
# inflates it with DecompressionStream and hands it to ort.env.wasm.wasmBinary.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
dist=node_modules/onnxruntime-web/dist
out=../static/ort
rm -rf "$out" && mkdir -p "$out"
cp "$dist/ort.wasm.bundle.min.mjs" "$out/"
gzip -9 -n -c "$dist/ort-wasm-simd-threaded.wasm" > "$out/ort-wasm-simd-threaded.wasm.gz"
node -e 'console.log("onnxruntime-web", require("./node_modules/onnxruntime-web/package.json").version)' > "$out/VERSION"
ls -l "$out"

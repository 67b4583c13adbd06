#!/usr/bin/env bash
# Native CUDA build check for a machine with nvcc but no GPU: configures build-native with
# -DDREAMBOX_CUDA=ON (sm_90 only, to save time), compiles every kernels/cuda/*.cu with nvcc, the
# backend with g++, links the native test binary and GPU benchmarks against libcudart, then runs
# them: without a GPU the tests must skip with "CUDA build but no GPU found" and the benchmarks
# print a skip message and exit 0 (with a GPU, the tests must pass). Usage:
#   scripts/check_native_build.sh [BUILD_DIR]     (default build-native; JOBS=N, default 2)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build-native}
jobs=${JOBS:-2}
fail() {
  echo "check_native_build: $*" >&2
  exit 1
}

start=$SECONDS
mkdir -p "$build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DDREAMBOX_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES=90 > "$build/configure.log" 2>&1 ||
  { cat "$build/configure.log"; fail "configure failed (log above)"; }
targets=(cuda_backend_native_tests)
[ -f "$root/bench/cuda/CMakeLists.txt" ] && targets+=(cuda_kernels_bench)
cmake --build "$build" -j "$jobs" --target "${targets[@]}" || fail "build failed"
echo "check_native_build: built ${targets[*]} in $((SECONDS - start)) s"

tests=$build/tests/cuda/cuda_backend_native_tests
log=$build/native_tests.log
"$tests" > "$log" 2>&1 || { cat "$log"; fail "$tests failed (log above)"; }
if grep -q "CUDA build but no GPU found" "$log"; then
  echo "check_native_build: no GPU here; the device tests skipped with the expected message:"
  grep -m1 "CUDA build but no GPU found" "$log"
  grep -E "^\[  (PASSED|SKIPPED) +\]" "$log" | grep -v "\] [A-Za-z]" || true
else
  echo "check_native_build: a GPU was found; the native tests passed"
fi

bench=$build/bench/cuda/cuda_kernels_bench
if [ -x "$bench" ]; then
  "$bench" > "$build/bench.log" 2>&1 || { cat "$build/bench.log"; fail "$bench failed"; }
  head -3 "$build/bench.log"
fi
echo "check_native_build: ok ($((SECONDS - start)) s)"

#!/usr/bin/env bash
# The GPU suite. `prepare` (on a machine with the Debian registry) downloads the build's Debian
# packages into .gpu_deps/debs; `run [OUT]` (on the GPU machine, which may have no registry)
# unpacks them, builds with the native CUDA backend for sm_90, runs the native tests,
# compute-sanitizer (memcheck, racecheck) over the CUDA-vs-CPU op table, the GPU benchmarks and
# the guided DDIM step of the gpu-base UNet (eager, CUDA graph, PyTorch on the GPU).
# Every log goes to OUT (default: $OUT if set, else gpu_suite_out/); summary.txt lists each step.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
deps=$root/.gpu_deps
# The libraries the build finds with find_package/find_path (compilers, CMake and CUDA are the
# GPU machine's own). The .deb files travel (about 25 MB); unpacked they would be 250 MB.
packages=(libopenblas-dev libopenblas-pthread-dev libopenblas0-pthread libopenblas0 libgfortran5
          libquadmath0 nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev
          libbenchmark1debian libstb-dev libstb0 libpugixml-dev libpugixml1v5
          libboost-context1.74-dev libboost-context1.74.0 libboost1.74-dev)

prepare() {
  command -v apt-get > /dev/null || { echo "gpu_suite prepare: needs apt-get (Debian)" >&2; exit 1; }
  mkdir -p "$deps/debs"
  (cd "$deps/debs" && apt-get download "${packages[@]}") || {
    echo "gpu_suite prepare: apt-get download failed (run apt-get update first?)" >&2
    exit 1
  }
  echo "gpu_suite prepare: $(ls "$deps/debs" | wc -l) packages, $(du -sh "$deps/debs" | cut -f1) in $deps/debs"
}

# dpkg -x where dpkg exists, else ar + tar (a .deb is an ar archive holding data.tar.*).
unpack() {
  mkdir -p "$deps/root"
  local deb
  for deb in "$deps"/debs/*.deb; do
    if command -v dpkg > /dev/null; then
      dpkg -x "$deb" "$deps/root"
    else
      local scratch
      scratch=$(mktemp -d)
      (cd "$scratch" && ar x "$deb" && tar -xf data.tar.* -C "$deps/root")
      rm -rf "$scratch"
    fi
  done
}

status_lines=()
step() {  # step NAME LOG COMMAND...: runs the command with its output in LOG, records the result
  local name=$1 log=$2
  shift 2
  local start=$SECONDS
  "$@" > "$log" 2>&1
  local rc=$?
  status_lines+=("$(printf '%-28s %s (%ds)  %s' "$name" "$([ $rc -eq 0 ] && echo ok || echo "FAILED rc=$rc")" $((SECONDS - start)) "$(basename "$log")")")
  echo "${status_lines[-1]}"
  return $rc
}

run() {
  local out=${1:-${OUT:-$root/gpu_suite_out}}
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  [ -d "$deps/debs" ] || { echo "gpu_suite run: no $deps/debs; run 'scripts/gpu_suite.sh prepare' where apt-get works" >&2; exit 1; }
  { nvidia-smi; nvcc --version; cmake --version; g++ --version; } > "$out/machine.txt" 2>&1
  step unpack "$out/unpack.log" unpack
  local prefix=$deps/root/usr lib=$deps/root/usr/lib/x86_64-linux-gnu build=$root/build-gpu
  export LD_LIBRARY_PATH="$lib:$lib/openblas-pthread${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  step configure "$out/configure.log" cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
    -DDREAMBOX_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_LIBRARY_PATH="$lib/openblas-pthread;$lib" -DBLA_VENDOR=OpenBLAS \
    -DCBLAS_INCLUDE_DIR="$prefix/include/x86_64-linux-gnu/openblas-pthread" \
    -DSTB_INCLUDE_DIR="$prefix/include" || { printf '%s\n' "${status_lines[@]}" > "$out/summary.txt"; exit 1; }
  local targets=(cuda_backend_native_tests cuda_backend_tests nvcc_check)
  [ -f "$root/bench/cuda/CMakeLists.txt" ] && targets+=(cuda_kernels_bench)
  [ -f "$root/bench/cuda/ddim_graph_bench.cpp" ] && targets+=(ddim_graph_bench)
  step build "$out/build.log" cmake --build "$build" -j "$(nproc)" --target "${targets[@]}" ||
    { printf '%s\n' "${status_lines[@]}" > "$out/summary.txt"; exit 1; }
  local native=$build/tests/cuda/cuda_backend_native_tests
  step native_tests "$out/native_tests.log" "$native" --gtest_output="xml:$out/native_tests.xml"
  step emulated_tests "$out/emulated_tests.log" "$build/tests/cuda/cuda_backend_tests"
  if command -v compute-sanitizer > /dev/null; then
    step memcheck "$out/memcheck.log" compute-sanitizer --tool memcheck --error-exitcode 1 \
      "$native" --gtest_filter='CudaOpTable.*:CudaTensor.*'
    step racecheck "$out/racecheck.log" compute-sanitizer --tool racecheck --error-exitcode 1 \
      "$native" --gtest_filter='CudaOpTable.*'
  else
    status_lines+=("compute-sanitizer            SKIPPED (not on PATH)")
  fi
  if [ -x "$build/bench/cuda/cuda_kernels_bench" ]; then
    step benchmarks "$out/bench.log" "$build/bench/cuda/cuda_kernels_bench"
  else
    status_lines+=("benchmarks                   SKIPPED (no bench/cuda in this checkout)")
  fi
  # Guided DDIM ms/step of the gpu-base UNet, eager vs one CUDA graph, then PyTorch's on the GPU.
  if [ -x "$build/bench/cuda/ddim_graph_bench" ]; then
    step ddim_graph_bench "$out/ddim_graph_bench.log" "$build/bench/cuda/ddim_graph_bench"
    if /usr/bin/python3 -c 'import torch; assert torch.cuda.is_available()' > /dev/null 2>&1; then
      step torch_ddim_cuda "$out/torch_ddim_cuda.log" /usr/bin/python3 "$root/bench/torch_unet_bench.py" \
        --preset gpu-base --device cuda
    else
      status_lines+=("torch_ddim_cuda              SKIPPED (no PyTorch with CUDA at /usr/bin/python3)")
    fi
  fi
  printf '%s\n' "${status_lines[@]}" | tee "$out/summary.txt"
}

case "${1:-}" in
  prepare) prepare ;;
  run) run "${2:-}" ;;
  *)
    echo "usage: scripts/gpu_suite.sh prepare        # where apt-get works: .gpu_deps/debs" >&2
    echo "       scripts/gpu_suite.sh run [OUT]      # on the GPU machine: build, tests, sanitizers, benchmarks" >&2
    exit 2
    ;;
esac

#!/usr/bin/python3
# Runs build/bench/conv_bench and PyTorch's conv2d (bench/torch_conv_bench.py) alternately in the
# same time window and prints per-shape medians and the speed-up table (a shared VM's load hits both).
# --cpu-time (one thread only) compares CPU time instead of wall time: robust to other processes.
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_conv_bench  # noqa: E402


def ours_once(binary, field, benchmark="BM_Conv2dForwardBackward"):
    """One run of every forward+backward benchmark (or of every pass alone, BM_Conv2dPass):
    {label: real_time or cpu_time in ms}."""
    out = subprocess.run([binary, f"--benchmark_filter={benchmark}/", "--benchmark_format=json",
                          "--benchmark_min_time=0.3"], check=True, capture_output=True, text=True).stdout
    try:
        runs = json.loads(out)["benchmarks"]
        return {run["label"]: run[field] for run in runs}
    except (json.JSONDecodeError, KeyError) as error:
        sys.exit(f"conv_vs_torch: unexpected output from {binary}: {error}")


def load_average():
    return os.getloadavg()[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", default="build/bench/conv_bench", help="path of conv_bench")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of ours and PyTorch (>= 1)")
    parser.add_argument("--cpu-time", action="store_true",
                        help="compare CPU time (needs OMP_NUM_THREADS=1: with more threads idle spinning counts)")
    parser.add_argument("--passes", action="store_true",
                        help="time forward, input gradient and weight gradient each alone (BM_Conv2dPass)")
    args = parser.parse_args()
    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    if args.cpu_time and threads != "1":
        sys.exit(f"conv_vs_torch: --cpu-time needs OMP_NUM_THREADS=1, got {threads}")
    if args.rounds < 1:
        sys.exit(f"conv_vs_torch: --rounds must be >= 1, got {args.rounds}")
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"conv_vs_torch: {args.binary} is not an executable (build it: cmake --build build --target conv_bench)")
    ours, torch_ms, loads = {}, {}, []
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    for round_index in range(args.rounds):
        loads.append(load_average())
        benchmark = "BM_Conv2dPass" if args.passes else "BM_Conv2dForwardBackward"
        for name, ms in ours_once(args.binary, "cpu_time" if args.cpu_time else "real_time", benchmark).items():
            ours.setdefault(name, []).append(ms)
        loads.append(load_average())
        clock = time.process_time if args.cpu_time else time.perf_counter
        measure = torch_conv_bench.measure_passes if args.passes else torch_conv_bench.measure
        for name, ms in measure(repetitions=3, clock=clock).items():
            torch_ms.setdefault(name, []).append(ms)
        print(f"round {round_index + 1}/{args.rounds} done, load {load_average():.1f}", file=sys.stderr)
    print(f"{started}, {args.rounds} alternating rounds, OMP_NUM_THREADS={threads}, "
          f"{'CPU' if args.cpu_time else 'wall'} time, load average (1 min) {min(loads):.1f}-{max(loads):.1f}")
    print("| shape | ours (ms) | PyTorch (ms) | speed-up |")
    print("|---|---|---|---|")
    names = [shape[0] for shape in torch_conv_bench.SHAPES]
    if args.passes:
        names = [f"{name} {which}" for name in names for which in torch_conv_bench.PASSES]
    for name in names:
        if name not in ours:
            sys.exit(f"conv_vs_torch: {args.binary} did not report shape {name}")
        a, b = statistics.median(ours[name]), statistics.median(torch_ms[name])
        print(f"| {name} | {a:.1f} | {b:.1f} | {b / a:.2f}x |")


if __name__ == "__main__":
    main()

"""Shared pieces of the scripts that time a PyTorch reference beside one of our Google Benchmark
binaries in the same run: a median wall-clock timer and the binary's JSON records by name."""
import json
import os
import statistics
import subprocess
import time


def timed(fn, iterations, clock=time.perf_counter):
    """Median seconds of fn() over `iterations` calls, after one warm-up call: wall clock, or
    with clock=time.process_time this process's CPU time (robust to other processes' load when
    everything runs on one thread)."""
    fn()
    times = []
    for _ in range(iterations):
        start = clock()
        fn()
        times.append(clock() - start)
    return statistics.median(times)


def engine_benchmarks(binary, threads):
    """Runs a Google Benchmark binary of ours with `threads` OpenMP threads (passive waits, one
    OpenBLAS thread) and returns its records keyed by benchmark name without the /arguments."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OMP_WAIT_POLICY="passive", OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([binary, "--benchmark_format=json"],
                         env=env, check=True, capture_output=True, text=True).stdout
    return {record["name"].split("/")[0]: record for record in json.loads(out)["benchmarks"]}

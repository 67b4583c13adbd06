#!/usr/bin/python3
# The cpu-demo diffusion UNet in PyTorch, the counterpart of bench/unet_bench.cpp: forward and
# forward+backward on 8 crops of 32 px and one guided DDIM step (a 2x8 batch), same threads.
"""Usage:
  /usr/bin/python3 bench/torch_unet_bench.py [--threads T] [--iterations N] [--cpu-time] [--engine build/bench/unet_bench]

Builds the same network as the engine's cpu-demo preset (the plain-torch UNet of
tests/golden/gen_diffusion.py, diffusers names; 1.19M parameters), times it with Debian's torch
and, with --engine, then runs our benchmark binary with OMP_NUM_THREADS=T (OpenMP waits passive
for both, OpenBLAS single-threaded, as train_dreambox runs) and prints both side by side.
--cpu-time (one thread only) compares CPU time instead of wall time: robust to other processes.
"""
import argparse
import os
import sys
import time

# Same OpenMP conditions as the engine: on a busy machine spinning waits cost torch 10x.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")
import torch  # noqa: E402
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden"))
from gen_diffusion import UNet, alphas_cumprod  # noqa: E402  (the golden test's torch module)
from side_by_side import engine_benchmarks, timed  # noqa: E402

BATCH = 8


def torch_figures(iterations, clock):
    torch.manual_seed(1)
    unet = UNet(size=32, cin=7, cout=3, base=32, mult=(1, 2, 2), layers=1, attn_res=(8,),
                head_dim=32, classes=20, groups=32)
    x = torch.randn(BATCH, 7, 32, 32)
    t = torch.full((BATCH,), 500, dtype=torch.int64)
    labels = torch.full((BATCH,), 3, dtype=torch.int64)

    def train_step():
        unet.zero_grad(set_to_none=False)
        unet(x, t, labels).square().mean().backward()

    with torch.no_grad():
        forward = timed(lambda: unet(x, t, labels), iterations, clock)
        ac = alphas_cumprod("squaredcos_cap_v2")
        a_t, a_prev = float(ac[500]), float(ac[460])
        x2, t2 = torch.cat([x, x]), torch.cat([t, t])
        labels2 = torch.cat([torch.full((BATCH,), 20, dtype=torch.int64), labels])
        sample = x[:, :3]

        def guided_step():  # eps_u + s (eps_c - eps_u), then the eta = 0 DDIM update with clipping
            eps_u, eps_c = unet(x2, t2, labels2).chunk(2)
            eps = eps_u + 7.5 * (eps_c - eps_u)
            x0 = ((sample - (1 - a_t) ** 0.5 * eps) / a_t ** 0.5).clamp(-1, 1)
            return a_prev ** 0.5 * x0 + (1 - a_prev) ** 0.5 * eps

        guided = timed(guided_step, iterations, clock)
    unet.train()
    train = timed(train_step, iterations, clock)
    return {"forward": BATCH / forward, "train": BATCH / train, "ddim_ms": 1000 * guided}


def engine_figures(binary, threads, field):
    """Our figures from the benchmark's real_time or (one thread) cpu_time of each record."""
    b = engine_benchmarks(binary, threads)

    def ms(name):
        r = b[name]
        return r[field] * {"ms": 1.0, "us": 1e-3, "ns": 1e-6, "s": 1e3}[r["time_unit"]]
    return {"forward": 1000 * BATCH / ms("BM_UNetForward"), "train": 1000 * BATCH / ms("BM_UNetForwardBackward"),
            "ddim_ms": ms("BM_GuidedDDIMStep")}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--cpu-time", action="store_true", help="compare CPU time (needs --threads 1)")
    parser.add_argument("--engine", help="path of build/bench/unet_bench to run in the same session")
    args = parser.parse_args()
    if args.cpu_time and args.threads != 1:
        sys.exit("torch_unet_bench: --cpu-time needs --threads 1")
    torch.set_num_threads(args.threads)
    loads = [os.getloadavg()[0]]
    clock = time.process_time if args.cpu_time else time.perf_counter
    rows = [("torch " + torch.__version__, torch_figures(args.iterations, clock))]
    loads.append(os.getloadavg()[0])
    if args.engine:
        rows.append(("engine", engine_figures(args.engine, args.threads, "cpu_time" if args.cpu_time else "real_time")))
        loads.append(os.getloadavg()[0])
    print(f"cpu-demo UNet, batch {BATCH} at 32 px, {args.threads} threads, {'CPU' if args.cpu_time else 'wall'} time, "
          f"load average (1 min) {min(loads):.1f}-{max(loads):.1f}")
    print(f"{'':14s} {'fwd samples/s':>14s} {'fwd+bwd samples/s':>18s} {'guided DDIM ms/step':>20s}")
    for name, f in rows:
        print(f"{name:14s} {f['forward']:14.1f} {f['train']:18.1f} {f['ddim_ms']:20.1f}")
    if len(rows) == 2:
        ours, theirs = rows[1][1], rows[0][1]
        print(f"engine / torch: forward {ours['forward'] / theirs['forward']:.2f}x, "
              f"forward+backward {ours['train'] / theirs['train']:.2f}x, "
              f"DDIM step {theirs['ddim_ms'] / ours['ddim_ms']:.2f}x (speed)")


if __name__ == "__main__":
    main()

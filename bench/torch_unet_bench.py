#!/usr/bin/python3
# The cpu-demo diffusion UNet in PyTorch, the counterpart of bench/unet_bench.cpp: forward and
# forward+backward on 8 crops of 32 px and one guided DDIM step (a 2x8 batch), same threads.
"""Usage:
  /usr/bin/python3 bench/torch_unet_bench.py [--threads T] [--iterations N] [--cpu-time] [--engine build/bench/unet_bench]
  /usr/bin/python3 bench/torch_unet_bench.py --device cuda [--preset gpu-base] [--batch 1,8] [--steps 25]

Builds the same network as the engine's cpu-demo preset (the plain-torch UNet of
tests/golden/gen_diffusion.py, diffusers names; 1.19M parameters), times it with Debian's torch
and, with --engine, then runs our benchmark binary with OMP_NUM_THREADS=T (OpenMP waits passive
for both, OpenBLAS single-threaded, as train_dreambox runs) and prints both side by side.
--cpu-time (one thread only) compares CPU time instead of wall time: robust to other processes.
--device cuda times PyTorch's guided DDIM loop (guidance 12, eta 0, trailing steps) on the GPU
for the preset, eagerly and captured as one torch.cuda.CUDAGraph, in ms per step (CUDA-event
medians of whole loops): the counterpart of the engine's build/bench/cuda/ddim_graph_bench.
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
from gen_diffusion import PRESETS, UNet, alphas_cumprod  # noqa: E402  (the golden test's torch module)
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


def cuda_ddim_ms_per_step(preset, batch, steps, guidance=12.0, runs=10):
    """(eager, CUDA graph) ms per guided DDIM step of the whole inpainting loop on cuda."""
    torch.manual_seed(1)
    cfg = PRESETS[preset]
    size, dev = cfg["size"], torch.device("cuda")
    unet = UNet(**cfg).to(dev).eval()
    ac = alphas_cumprod("squaredcos_cap_v2")
    ts = [round(1000 - k * 1000 / steps) - 1 for k in range(steps)]  # trailing spacing
    a = [float(ac[t]) for t in ts] + [1.0]
    image = torch.rand(batch, 3, size, size, device=dev) * 2 - 1
    mask = torch.zeros(batch, 1, size, size, device=dev)
    mask[:, :, size // 4:3 * size // 4, size // 4:3 * size // 4] = 1
    mask2, known2 = torch.cat([mask, mask]), torch.cat([image * (1 - mask)] * 2)
    labels2 = torch.cat([torch.full((batch,), cfg["classes"]), torch.full((batch,), 3)]).to(dev)
    t2 = [torch.full((2 * batch,), t, dtype=torch.int64, device=dev) for t in ts]

    def loop(x):
        for i in range(steps):
            eps_u, eps_c = unet(torch.cat([torch.cat([x, x]), mask2, known2], 1), t2[i], labels2).chunk(2)
            eps = eps_u + guidance * (eps_c - eps_u)
            x0 = ((x - (1 - a[i]) ** 0.5 * eps) / a[i] ** 0.5).clamp(-1, 1)
            x = a[i + 1] ** 0.5 * x0 + (1 - a[i + 1]) ** 0.5 * eps
        return x * mask + image * (1 - mask)

    def median_ms(work):
        work()
        start, end, times = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True), []
        for _ in range(runs):
            start.record()
            work()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
        return sorted(times)[runs // 2] / steps

    with torch.no_grad():
        x = torch.randn(batch, 3, size, size, device=dev)
        eager = median_ms(lambda: loop(x))
        side = torch.cuda.Stream()  # warm-up on a side stream before capture, as PyTorch asks
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(2):
                loop(x)
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            loop(x)
        graphed = median_ms(graph.replay)
    return eager, graphed


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
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="gpu-base", help="with --device cuda")
    parser.add_argument("--batch", default="1,8", help="with --device cuda: crops per batch, comma-separated")
    parser.add_argument("--steps", type=int, default=25, help="with --device cuda: DDIM steps per loop")
    args = parser.parse_args()
    if args.device == "cuda":
        if not torch.cuda.is_available():
            sys.exit("torch_unet_bench: --device cuda, but this torch has no usable CUDA")
        print(f"torch {torch.__version__} on {torch.cuda.get_device_name()}: {args.preset} UNet, guided DDIM "
              f"(guidance 12), {args.steps} steps, ms per step (median of whole loops)")
        for batch in (int(b) for b in args.batch.split(",")):
            eager, graphed = cuda_ddim_ms_per_step(args.preset, batch, args.steps)
            print(f"batch {batch:3d}: eager {eager:8.2f} ms/step   CUDA graph {graphed:8.2f} ms/step")
        return
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

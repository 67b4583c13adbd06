#!/usr/bin/python3
# PyTorch CPU side of bench/conv_bench.cpp: conv2d forward+backward on the same ResNet-50
# shapes (512 px, batch 2, f32) with the same thread count. Run: /usr/bin/python3 bench/torch_conv_bench.py
import os
import time

import torch
import torch.nn.functional as F

SHAPES = [("stem_7x7_s2", 3, 512, 64, 7, 2), ("layer1_1x1", 64, 128, 64, 1, 1), ("layer1_3x3", 64, 128, 64, 3, 1),
          ("layer2_3x3_s2", 128, 128, 128, 3, 2), ("layer2_3x3", 128, 64, 128, 3, 1), ("layer3_1x1", 1024, 32, 256, 1, 1),
          ("layer3_3x3", 256, 32, 256, 3, 1), ("layer4_3x3", 512, 16, 512, 3, 1), ("layer4_1x1_up", 512, 16, 2048, 1, 1)]


def measure(repetitions=5, clock=time.perf_counter):
    """Median time (ms; wall clock, or clock=time.process_time for process CPU time) of one
    forward+backward per shape name, after one warm-up step."""
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    medians = {}
    for name, c, h, o, k, stride in SHAPES:
        x = torch.randn(2, c, h, h, requires_grad=True)
        w = (torch.randn(o, c, k, k) * 0.05).requires_grad_()

        def step():
            y = F.conv2d(x, w, None, stride, k // 2)
            y.backward(torch.ones_like(y))
            x.grad = None
            w.grad = None

        step()
        times = []
        for _ in range(repetitions):
            t0 = clock()
            step()
            times.append(clock() - t0)
        times.sort()
        medians[name] = 1000 * times[len(times) // 2]
    return medians


PASSES = ("forward", "grad_input", "grad_weight")


def measure_passes(repetitions=5, clock=time.perf_counter):
    """Median time (ms) of each pass alone per shape, keyed "name pass" as conv_bench's
    BM_Conv2dPass labels: forward, the input gradient, the weight (+ bias) gradient."""
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    medians = {}
    for name, c, h, o, k, stride in SHAPES:
        x = torch.randn(2, c, h, h)
        w = torch.randn(o, c, k, k) * 0.05
        with torch.no_grad():
            grad_y = torch.randn_like(F.conv2d(x, w, None, stride, k // 2))
        masks = {"grad_input": [True, False, False], "grad_weight": [False, True, True]}

        def run(which):
            with torch.no_grad():
                if which == "forward":
                    return F.conv2d(x, w, None, stride, k // 2)
                return torch.ops.aten.convolution_backward(grad_y, x, w, [o], [stride] * 2, [k // 2] * 2, [1, 1],
                                                           False, [0, 0], 1, masks[which])

        for which in PASSES:
            run(which)
            times = []
            for _ in range(repetitions):
                t0 = clock()
                run(which)
                times.append(clock() - t0)
            times.sort()
            medians[f"{name} {which}"] = 1000 * times[len(times) // 2]
    return medians


def main():
    print(f"torch {torch.__version__}, threads {int(os.environ.get('OMP_NUM_THREADS', '2'))}, "
          f"mkldnn {torch.backends.mkldnn.is_available()}")
    for name, ms in measure().items():
        print(f"{name:16s} {ms:9.2f} ms (median of 5)")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# torchvision 0.14 counterpart of bench/detection_bench.cpp: the same inputs (same box formula,
# random features), timed with torch.set_num_threads(N) where N = OMP_NUM_THREADS (default 2).
#
# Run after the C++ benchmark:  OMP_NUM_THREADS=2 /usr/bin/python3 bench/torchvision_detection_ops.py
import os
import time
from collections import OrderedDict

import torch
import torchvision
from torchvision.models.detection._utils import BoxCoder
from torchvision.ops import MultiScaleRoIAlign

BATCH, CHANNELS, IMAGE = 2, 256, 512


def make_rois(n):
    i = torch.arange(n, dtype=torch.int64)
    cx = ((i * 7919) % IMAGE).double() + 0.5
    cy = ((i * 104729) % IMAGE).double() + 0.25
    w = (8 + (i * 31) % 300).double()
    h = (8 + (i * 17) % 300).double()
    return torch.stack([(i % BATCH).double(), cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1).float()


def make_scores(n):
    i = torch.arange(n, dtype=torch.int64)
    return (((i * 2654435761) % 1000003).double() / 1000003.0).float()


def feature(level):
    side = IMAGE // (4 << level)
    return torch.randn(BATCH, CHANNELS, side, side)


def median_ms(fn, repeats=7, min_time=0.3):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        n, start = 0, time.perf_counter()
        while True:
            fn()
            n += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_time / repeats or n >= 50:
                break
        times.append(elapsed / n * 1e3)
    return sorted(times)[len(times) // 2]


def main():
    threads = int(os.environ.get("OMP_NUM_THREADS", "2"))
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, {threads} threads")
    p2 = feature(0)
    for n in (1000, 2000):
        rois = make_rois(n)
        with torch.no_grad():
            ms = median_ms(lambda: torchvision.ops.roi_align(p2, rois, (7, 7), 0.25, 2, False))
        print(f"roi_align forward P2, {n} boxes: {ms:.2f} ms")
        x = p2.clone().requires_grad_(True)
        grad = torch.randn(n, CHANNELS, 7, 7)
        out = torchvision.ops.roi_align(x, rois, (7, 7), 0.25, 2, False)

        def backward():
            x.grad = None
            torch.autograd.grad(out, x, grad, retain_graph=True)

        print(f"roi_align backward P2, {n} boxes: {median_ms(backward):.2f} ms")
    feats = OrderedDict((str(l), feature(l)) for l in range(4))
    pooler = MultiScaleRoIAlign(list(feats), 7, 2)
    for n in (1000, 2000):
        rois = make_rois(n)
        boxes = [rois[rois[:, 0] == b, 1:] for b in range(BATCH)]
        # Our benchmark keeps rois in input order; torchvision takes per-image lists (same set of boxes).
        with torch.no_grad():
            ms = median_ms(lambda: pooler(feats, boxes, [(IMAGE, IMAGE)] * BATCH))
        print(f"MultiScaleRoIAlign P2-P5, {n} boxes: {ms:.2f} ms")
    for n in (1000, 2000, 4000):
        boxes, scores = make_rois(n)[:, 1:].contiguous(), make_scores(n)
        kept = torchvision.ops.nms(boxes, scores, 0.7).numel()
        print(f"nms {n} boxes (kept {kept}): {median_ms(lambda: torchvision.ops.nms(boxes, scores, 0.7)):.2f} ms")
    for n in (2000, 10000):
        boxes, scores = make_rois(n)[:, 1:].contiguous(), make_scores(n)
        levels = torch.arange(n) % 5
        kept = torchvision.ops.batched_nms(boxes, scores, levels, 0.7).numel()
        ms = median_ms(lambda: torchvision.ops.batched_nms(boxes, scores, levels, 0.7))
        print(f"batched_nms 5 levels, {n} boxes (kept {kept}): {ms:.2f} ms")
    n = 120000
    anchors = make_rois(n)[:, 1:].contiguous()
    codes = torch.randn(n, 4) * 0.5
    coder = BoxCoder((1.0, 1.0, 1.0, 1.0))
    print(f"decode {n} boxes: {median_ms(lambda: coder.decode_single(codes, anchors)):.2f} ms")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# torchvision's Faster R-CNN R50-FPN on the CPU, the counterpart of bench/detector_bench.cpp: a
# training forward+backward on 2 images at 512x512 and inference on 1 image, same thread count.
"""Usage:
  /usr/bin/python3 bench/torchvision_detector.py [--threads T] [--iterations N] [--engine build/bench/detector_bench]

Times torchvision (Debian's 1.13/0.14) and, with --engine, then runs our benchmark binary with
OMP_NUM_THREADS=T (OpenMP waits passive, OpenBLAS single-threaded, as train_dreambox runs) and
prints both side by side. Both skip torchvision's resize transform: the batch is already 512x512.
"""
import argparse
import os

import torch
from torchvision.models import resnet50
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection.backbone_utils import _resnet_fpn_extractor
from torchvision.models.detection.image_list import ImageList
from torchvision.ops import FrozenBatchNorm2d

from side_by_side import engine_benchmarks, timed

SIZE = 512
BOXES = [[40, 60, 200, 220], [250, 100, 480, 330], [100, 300, 260, 500]]  # as detector_bench.cpp
LABELS = [3, 7, 15]


def torchvision_figures(iterations):
    torch.manual_seed(1)
    # fasterrcnn_resnet50_fpn as it is fine-tuned from ImageNet weights (and as the engine's
    # default config): frozen batch norm, conv1 and layer1 frozen. Built by hand because without
    # weights torchvision switches to trainable BatchNorm2d and all five stages trainable.
    model = FasterRCNN(_resnet_fpn_extractor(resnet50(norm_layer=FrozenBatchNorm2d), 3), num_classes=21)

    def run(batch, train):
        images = torch.randn(batch, 3, SIZE, SIZE)
        image_list = ImageList(images, [(SIZE, SIZE)] * batch)
        targets = [{"boxes": torch.tensor(BOXES, dtype=torch.float32), "labels": torch.tensor(LABELS)}
                   for _ in range(batch)]
        model.train(train)

        def step():
            if train:
                model.zero_grad()
                features = model.backbone(images)
                proposals, rpn_losses = model.rpn(image_list, features, targets)
                _, roi_losses = model.roi_heads(features, proposals, image_list.image_sizes, targets)
                (sum(rpn_losses.values()) + sum(roi_losses.values())).backward()
            else:
                with torch.no_grad():
                    features = model.backbone(images)
                    proposals, _ = model.rpn(image_list, features)
                    model.roi_heads(features, proposals, image_list.image_sizes)
        return batch / timed(step, iterations)

    return {"train_images_per_s": run(2, True), "inference_images_per_s": run(1, False)}


def engine_figures(binary, threads, iterations):
    rates = {name: record["images/s"] for name, record in engine_benchmarks(binary, threads).items()}
    return {"train_images_per_s": rates["BM_R50FpnTrainStep"],
            "inference_images_per_s": rates["BM_R50FpnInference"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--engine", help="path of build/bench/detector_bench to run in the same session")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    theirs = torchvision_figures(args.iterations)
    print(f"torchvision {torch.__version__}, {args.threads} threads: train (fwd+bwd, 2x512^2) "
          f"{theirs['train_images_per_s']:.3f} img/s = {2 / theirs['train_images_per_s']:.2f} s/step, "
          f"inference (1x512^2) {theirs['inference_images_per_s']:.3f} img/s", flush=True)
    if args.engine:
        ours = engine_figures(args.engine, args.threads, args.iterations)
        print(f"engine, {args.threads} threads: train {ours['train_images_per_s']:.3f} img/s = "
              f"{2 / ours['train_images_per_s']:.2f} s/step, inference {ours['inference_images_per_s']:.3f} img/s")
        for key in ("train_images_per_s", "inference_images_per_s"):
            print(f"  {key.split('_')[0]}: engine / torchvision = {ours[key] / theirs[key]:.2f}x")


if __name__ == "__main__":
    main()

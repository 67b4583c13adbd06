#!/usr/bin/env python3
# Exports a torchvision Faster R-CNN ResNet-50-FPN to safetensors under torchvision's own tensor
# names, the file `train_dreambox detect --weights` reads (architecture and classes from its flags).
#
#   /usr/bin/python3 scripts/export_torchvision_detector.py OUT.safetensors \
#       [--state-dict fasterrcnn_resnet50_fpn_coco-258fb6c6.pth] [--num-classes 91]
#
# Without --state-dict the model keeps torchvision's random initialisation (to try the pipeline).
import argparse
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden"))
from golden_io import write_safetensors  # noqa: E402  (the project's independent writer)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out")
    parser.add_argument("--state-dict", help="a torchvision fasterrcnn_resnet50_fpn .pth file")
    parser.add_argument("--num-classes", type=int, default=91, help="outputs including background")
    args = parser.parse_args()
    model = torchvision.models.detection.fasterrcnn_resnet50_fpn(
        weights=None, weights_backbone=None, num_classes=args.num_classes)
    if args.state_dict:
        state = torch.load(args.state_dict, map_location="cpu")
        model.load_state_dict(state)
    # BatchNorm bookkeeping (present only in untrained torchvision models) is not a weight.
    tensors = {name: t.float() for name, t in model.state_dict().items()
               if not name.endswith("num_batches_tracked")}
    write_safetensors(args.out, tensors, {"format": "torchvision fasterrcnn_resnet50_fpn"})
    print(f"wrote {len(tensors)} tensors to {args.out}")


if __name__ == "__main__":
    main()

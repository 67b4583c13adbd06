#!/usr/bin/python3
# Golden reference for the detector heads: torchvision's AnchorGenerator output, and the RPN head,
# TwoMLPHead and FastRCNNPredictor on formula-initialised weights (the C++ test computes the same
# formula), run on small random inputs stored in the file.
#
# Regenerate (Debian's torchvision):  /usr/bin/python3 tests/golden/gen_detector_heads.py
import math

import torch
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.image_list import ImageList
from torchvision.models.detection.rpn import RPNHead

from golden_io import write_safetensors

FORMAT_VERSION = "1"
OUT = __file__.replace("gen_detector_heads.py", "detector_heads.safetensors")


def formula(index, shape):
    """State-dict tensor number `index`: sin waves scaled by 1/sqrt(fan_in) (see heads_test.cpp)."""
    n = math.prod(shape)
    wave = torch.sin(0.43 * torch.arange(n, dtype=torch.float64) + 0.29 * index)
    fan_in = n // shape[0] if len(shape) > 1 else 16
    return (wave / math.sqrt(fan_in)).reshape(shape).to(torch.float32)


def load_formula(module):
    state = module.state_dict()
    module.load_state_dict({k: formula(i, list(v.shape)) for i, (k, v) in enumerate(state.items())})


def main():
    torch.manual_seed(11)
    t = {}
    # Anchors for a padded 96x128 batch with P2..P6 maps.
    sizes = [(24, 32), (12, 16), (6, 8), (3, 4), (2, 2)]
    gen = AnchorGenerator(((32,), (64,), (128,), (256,), (512,)), ((0.5, 1.0, 2.0),) * 5)
    feats = [torch.zeros(1, 1, h, w) for h, w in sizes]
    t["anchors"] = gen(ImageList(torch.zeros(1, 3, 96, 128), [(96, 128)]), feats)[0]
    # RPN head on 2 levels with 8 channels.
    head = RPNHead(8, 3)
    load_formula(head)
    levels = [torch.randn(2, 8, 5, 6), torch.randn(2, 8, 3, 3)]
    objectness, deltas = head(levels)
    for i, x in enumerate(levels):
        t[f"rpn.in{i}"] = x
        t[f"rpn.objectness{i}"] = objectness[i]
        t[f"rpn.deltas{i}"] = deltas[i]
    # Box head + predictor on 5 RoIs of 4 x 7 x 7 features, 6 classes.
    box_head, predictor = TwoMLPHead(4 * 7 * 7, 32), FastRCNNPredictor(32, 6)
    load_formula(box_head)
    load_formula(predictor)
    rois = torch.randn(5, 4, 7, 7)
    rep = box_head(rois)
    logits, box = predictor(rep)
    t["box.in"], t["box.representation"], t["box.logits"], t["box.deltas"] = rois, rep, logits, box
    write_safetensors(OUT, {k: v.detach() for k, v in t.items()},
                      {"format_version": FORMAT_VERSION, "torch": torch.__version__,
                       "generator": "tests/golden/gen_detector_heads.py"})
    print("wrote", OUT)


if __name__ == "__main__":
    main()

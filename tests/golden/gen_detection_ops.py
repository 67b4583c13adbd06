#!/usr/bin/python3
# Golden reference for the detection, selection and loss ops: inputs and torchvision 0.14 /
# PyTorch 1.13 outputs (and input gradients) for tests/engine/detection_golden_test.cpp.
#
# Regenerate (Debian's PyTorch, not a venv):  /usr/bin/python3 tests/golden/gen_detection_ops.py
# The file is written with golden_io.py's safetensors writer (struct + json), independent of ours.
# If you change what is written, bump FORMAT_VERSION here and in the C++ test.
from collections import OrderedDict

import torch
import torchvision
from torchvision.models.detection._utils import BoxCoder
from torchvision.ops import MultiScaleRoIAlign, boxes as box_ops
from torchvision.ops.poolers import LevelMapper

from golden_io import write_safetensors

FORMAT_VERSION = "1"
OUT = __file__.replace("gen_detection_ops.py", "detection_ops.safetensors")

# (name, output_size, spatial_scale, sampling_ratio, aligned)
ROI_ALIGN_CASES = [
    ("s1_r0_legacy", (3, 3), 1.0, 0, False),
    ("s1_r2_legacy", (3, 3), 1.0, 2, False),
    ("s1_r0_aligned", (3, 3), 1.0, 0, True),
    ("s05_r2_aligned", (2, 4), 0.5, 2, True),
    ("s05_r0_legacy", (2, 4), 0.5, 0, False),
    ("s025_r0_aligned", (4, 2), 0.25, 0, True),
    ("s025_r3_legacy", (4, 2), 0.25, 3, False),
]


def roi_align_cases(t):
    x = torch.randn(2, 3, 10, 12)
    # Boxes in image units: inside, crossing every border, sub-pixel, large, and one inverted.
    rois = torch.tensor([
        [0, 1.3, 2.1, 7.7, 8.4],
        [1, -3.2, -1.7, 5.1, 4.6],
        [1, 6.6, 3.3, 15.9, 13.2],
        [0, 4.2, 4.4, 4.9, 4.8],
        [1, 0.0, 0.0, 47.0, 39.0],
        [0, 20.5, 12.2, 44.1, 36.7],
        [0, 9.0, 7.5, 3.5, 2.0],
    ])
    t["roi_align.x"] = x
    t["roi_align.rois"] = rois
    for name, size, scale, ratio, aligned in ROI_ALIGN_CASES:
        xg = x.clone().requires_grad_(True)
        out = torchvision.ops.roi_align(xg, rois, size, spatial_scale=scale, sampling_ratio=ratio, aligned=aligned)
        grad_out = torch.randn(out.shape)
        out.backward(grad_out)
        t[f"roi_align.{name}.out"] = out
        t[f"roi_align.{name}.grad_out"] = grad_out
        t[f"roi_align.{name}.grad_x"] = xg.grad


def multi_scale_case(t):
    image = (128, 128)
    feats = OrderedDict((str(i), torch.randn(2, 2, 32 >> i, 32 >> i)) for i in range(4))
    boxes = [torch.tensor([[10.0, 12.0, 40.0, 50.0], [0.0, 0.0, 127.0, 127.0], [30.5, 20.25, 150.0, 170.0]]),
             torch.tensor([[5.0, 5.0, 60.0, 22.0], [64.0, 0.0, 128.0, 128.0], [-20.0, -10.0, 300.0, 280.0],
                           [50.0, 50.0, 51.0, 51.0]])]
    pooler = MultiScaleRoIAlign(list(feats), output_size=3, sampling_ratio=2)
    out = pooler(feats, boxes, [image, image])
    for k, v in feats.items():
        t[f"msroi.feat{k}"] = v
    t["msroi.boxes"] = torch.cat([torch.cat([torch.full((len(b), 1), float(i)), b], 1) for i, b in enumerate(boxes)])
    t["msroi.out"] = out
    # LevelMapper on boxes around the level boundaries (sides 112, 224, 448), huge and empty.
    sides = torch.tensor([8.0, 111.9, 112.0, 112.1, 223.9, 224.0, 447.9, 448.0, 1000.0, 0.0])
    lboxes = torch.stack([torch.full_like(sides, 3.0), torch.full_like(sides, 5.0), 3.0 + sides, 5.0 + sides], 1)
    t["levels.boxes"] = lboxes
    t["levels.out"] = LevelMapper(2, 5)([lboxes])


def nms_cases(t):
    boxes = torch.rand(80, 2) * 60
    boxes = torch.cat([boxes, boxes + 5 + torch.rand(80, 2) * 30], 1)
    boxes[40:50] = boxes[30:40]  # exact duplicates ...
    scores = torch.round(torch.rand(80) * 10) / 10  # ... and many equal scores
    scores[40:50] = scores[30:40]
    idxs = torch.randint(0, 4, (80,))
    t["nms.boxes"], t["nms.scores"], t["nms.idxs"] = boxes, scores, idxs
    for thr in (0.3, 0.5, 0.7):
        key = str(thr).replace(".", "")
        t[f"nms.keep{key}"] = torchvision.ops.nms(boxes, scores, thr)
        t[f"nms.batched_keep{key}"] = torchvision.ops.batched_nms(boxes, scores, idxs, thr)
    t["box_iou.a"], t["box_iou.b"] = boxes[:9], boxes[20:26]
    t["box_iou.out"] = box_ops.box_iou(boxes[:9], boxes[20:26])


def box_coder_cases(t):
    proposals = torch.rand(8, 2) * 50
    proposals = torch.cat([proposals, proposals + 2 + torch.rand(8, 2) * 40], 1)
    reference = proposals + torch.randn(8, 4) * 3
    reference[:, 2:] = torch.maximum(reference[:, 2:], reference[:, :2] + 1)
    t["coder.proposals"], t["coder.reference"] = proposals, reference
    t["coder.encode_10_10_5_5"] = BoxCoder((10.0, 10.0, 5.0, 5.0)).encode_single(reference, proposals)
    codes = torch.randn(8, 8) * 2
    codes[0, 2] = 30.0  # beyond the log(1000/16) clamp after dividing by ww = 5
    codes[3, 7] = 25.0
    t["coder.codes"] = codes
    for name, weights in (("10_10_5_5", (10.0, 10.0, 5.0, 5.0)), ("1_1_1_1", (1.0, 1.0, 1.0, 1.0))):
        c = codes.clone().requires_grad_(True)
        out = BoxCoder(weights).decode_single(c, proposals)
        grad_out = torch.randn(out.shape)
        out.backward(grad_out)
        t[f"coder.decode_{name}"] = out
        t[f"coder.decode_{name}.grad_out"] = grad_out
        t[f"coder.decode_{name}.grad_codes"] = c.grad


def store_loss(t, name, fn, inputs):
    leaves = [v.clone().requires_grad_(True) for v in inputs]
    out = fn(*leaves)
    out.backward(torch.ones_like(out) if out.dim() == 0 else torch.linspace(-1, 1, out.numel()).reshape(out.shape))
    t[f"loss.{name}"] = out
    t[f"loss.{name}.grad"] = leaves[0].grad


def loss_cases(t):
    F = torch.nn.functional
    logits = torch.randn(6, 5) * 3
    target = torch.tensor([0, 4, 2, -100, 1, 4])
    weight = torch.tensor([0.5, 1.0, 2.0, 0.25, 3.0])
    t["ce.logits"], t["ce.target"], t["ce.weight"] = logits, target, weight
    for red in ("none", "mean", "sum"):
        store_loss(t, f"ce_weighted_{red}", lambda x: F.cross_entropy(x, target, weight=weight, reduction=red), [logits])
    store_loss(t, "ce_plain_mean", lambda x: F.cross_entropy(x, target), [logits])
    logits3 = torch.randn(2, 4, 3)
    target3 = torch.tensor([[1, 3, 0], [2, 2, 7]])
    t["ce3.logits"], t["ce3.target"] = logits3, target3
    store_loss(t, "ce3_ignore7_mean", lambda x: F.cross_entropy(x, target3, ignore_index=7), [logits3])

    x = torch.randn(4, 3) * 4
    x[0, 0], x[1, 1], x[2, 2] = 40.0, -40.0, 0.0
    tt = torch.rand(4, 3)
    tt[3] = torch.tensor([0.0, 1.0, 1.0])
    pos_weight = torch.tensor([1.0, 3.0, 0.5])
    bw = torch.tensor([[1.0], [0.5], [2.0], [1.5]])
    t["bce.x"], t["bce.t"], t["bce.pos_weight"], t["bce.weight"] = x, tt, pos_weight, bw
    store_loss(t, "bce_mean", lambda v: F.binary_cross_entropy_with_logits(v, tt), [x])
    store_loss(t, "bce_pw_w_sum", lambda v: F.binary_cross_entropy_with_logits(v, tt, weight=bw, pos_weight=pos_weight,
                                                                               reduction="sum"), [x])
    store_loss(t, "bce_pw_none", lambda v: F.binary_cross_entropy_with_logits(v, tt, pos_weight=pos_weight,
                                                                              reduction="none"), [x])

    fx = torch.randn(12) * 3
    ft = (torch.rand(12) > 0.6).float()
    t["focal.x"], t["focal.t"] = fx, ft
    store_loss(t, "focal_none", lambda v: torchvision.ops.sigmoid_focal_loss(v, ft, 0.25, 2.0, "none"), [fx])
    store_loss(t, "focal_mean", lambda v: torchvision.ops.sigmoid_focal_loss(v, ft, 0.25, 2.0, "mean"), [fx])
    store_loss(t, "focal_noalpha_g1_sum", lambda v: torchvision.ops.sigmoid_focal_loss(v, ft, -1, 1.0, "sum"), [fx])

    rx, ry = torch.randn(5, 4), torch.randn(5, 4)
    ry[0] = rx[0] + torch.tensor([0.01, -0.05, 0.1, -0.2])  # inside the quadratic zone of beta = 1/9
    t["reg.x"], t["reg.y"] = rx, ry
    store_loss(t, "smooth_l1_b19_sum", lambda v: F.smooth_l1_loss(v, ry, beta=1.0 / 9, reduction="sum"), [rx])
    store_loss(t, "smooth_l1_b1_mean", lambda v: F.smooth_l1_loss(v, ry, beta=1.0), [rx])
    store_loss(t, "smooth_l1_b0_none", lambda v: F.smooth_l1_loss(v, ry, beta=0.0, reduction="none"), [rx])
    store_loss(t, "l1_mean", lambda v: F.l1_loss(v, ry), [rx])
    store_loss(t, "mse_sum", lambda v: F.mse_loss(v, ry, reduction="sum"), [rx])


def sort_cases(t):
    v = torch.tensor([3.0, 1.0, float("nan"), 1.0, 7.0, 3.0, -2.0, 3.0, float("nan"), 0.0])
    t["sort.x"] = v
    t["sort.asc_idx"] = torch.sort(v, stable=True).indices
    t["sort.desc_idx"] = torch.sort(v, stable=True, descending=True).indices


def main():
    torch.manual_seed(2024)
    t = {}
    roi_align_cases(t)
    multi_scale_case(t)
    nms_cases(t)
    box_coder_cases(t)
    loss_cases(t)
    sort_cases(t)
    metadata = {"format_version": FORMAT_VERSION, "torch": torch.__version__, "torchvision": torchvision.__version__,
                "generator": "tests/golden/gen_detection_ops.py"}
    write_safetensors(OUT, t, metadata)
    print("wrote", OUT, "with torch", torch.__version__, "torchvision", torchvision.__version__)


if __name__ == "__main__":
    main()

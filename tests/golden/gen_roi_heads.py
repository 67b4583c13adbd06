#!/usr/bin/python3
# Golden reference for the RoI heads: torchvision's RoIHeads (MultiScaleRoIAlign 7x7 sampling 2,
# TwoMLPHead, FastRCNNPredictor) with formula weights (gen_detector_heads.py's formula) on random
# P2..P5 maps and fixed proposals: detections in eval mode, and classification / box losses in
# training with a sampler batch that takes every proposal (no randomness).
#
# Regenerate (Debian's torchvision):  /usr/bin/python3 tests/golden/gen_roi_heads.py
import torch
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.roi_heads import RoIHeads
from torchvision.ops import MultiScaleRoIAlign

from gen_detector_heads import load_formula
from golden_io import write_safetensors

FORMAT_VERSION = "1"
OUT = __file__.replace("gen_roi_heads.py", "roi_heads.safetensors")
CLASSES, CHANNELS, REPRESENTATION = 4, 4, 16


def main():
    torch.manual_seed(9)
    box_head = TwoMLPHead(CHANNELS * 7 * 7, REPRESENTATION)
    predictor = FastRCNNPredictor(REPRESENTATION, CLASSES)
    load_formula(box_head)
    load_formula(predictor)
    heads = RoIHeads(MultiScaleRoIAlign(["0", "1", "2", "3"], 7, 2), box_head, predictor,
                     fg_iou_thresh=0.5, bg_iou_thresh=0.5, batch_size_per_image=100000, positive_fraction=1.0,
                     bbox_reg_weights=None, score_thresh=0.05, nms_thresh=0.5, detections_per_img=100)
    sizes = [(32, 48), (16, 24), (8, 12), (4, 6)]
    features = {str(i): torch.randn(2, CHANNELS, h, w) for i, (h, w) in enumerate(sizes)}
    image_sizes = [(128, 192), (120, 176)]
    proposals = [torch.tensor([[10.0, 12.0, 60.0, 70.0], [30.0, 20.0, 90.0, 100.0], [0.0, 0.0, 40.0, 30.0],
                               [100.0, 50.0, 180.0, 120.0], [15.0, 15.0, 58.0, 72.0]]),
                 torch.tensor([[5.0, 5.0, 50.0, 40.0], [60.0, 60.0, 150.0, 110.0], [20.0, 30.0, 70.0, 90.0]])]
    targets = [{"boxes": torch.tensor([[12.0, 10.0, 62.0, 68.0], [105.0, 55.0, 175.0, 118.0]]),
                "labels": torch.tensor([1, 3])},
               {"boxes": torch.tensor([[58.0, 62.0, 148.0, 112.0]]), "labels": torch.tensor([2])}]
    t = {f"feature{i}": f for i, f in enumerate(features.values())}
    t.update({"proposals0": proposals[0], "proposals1": proposals[1],
              "gt_boxes0": targets[0]["boxes"], "gt_labels0": targets[0]["labels"],
              "gt_boxes1": targets[1]["boxes"], "gt_labels1": targets[1]["labels"]})
    heads.eval()
    with torch.no_grad():
        detections, _ = heads(features, proposals, image_sizes)
    for n, d in enumerate(detections):
        t[f"det{n}.boxes"], t[f"det{n}.scores"], t[f"det{n}.labels"] = d["boxes"], d["scores"], d["labels"]
    heads.train()
    _, losses = heads(features, [p.clone() for p in proposals], image_sizes, targets)
    t["loss_classifier"] = losses["loss_classifier"].detach().reshape(1)
    t["loss_box_reg"] = losses["loss_box_reg"].detach().reshape(1)
    write_safetensors(OUT, t, {"format_version": FORMAT_VERSION, "torch": torch.__version__,
                               "generator": "tests/golden/gen_roi_heads.py"})
    print("wrote", OUT, [d["boxes"].shape[0] for d in detections], {k: v.item() for k, v in losses.items()})


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# Golden reference for the region proposal network: torchvision's RegionProposalNetwork on two
# FPN levels with formula-initialised head weights (same formula as gen_detector_heads.py), giving
# the proposals (eval) and, with a sampler batch large enough to take every labelled anchor (so no
# randomness), the objectness and box losses (train).
#
# Regenerate (Debian's torchvision):  /usr/bin/python3 tests/golden/gen_rpn.py
import torch
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.image_list import ImageList
from torchvision.models.detection.rpn import RegionProposalNetwork, RPNHead

from gen_detector_heads import load_formula
from golden_io import write_safetensors

FORMAT_VERSION = "1"
OUT = __file__.replace("gen_rpn.py", "rpn.safetensors")


def main():
    torch.manual_seed(5)
    head = RPNHead(8, 3)
    load_formula(head)
    rpn = RegionProposalNetwork(AnchorGenerator(((16,), (32,)), ((0.5, 1.0, 2.0),) * 2), head,
                                fg_iou_thresh=0.7, bg_iou_thresh=0.3, batch_size_per_image=100000,
                                positive_fraction=1.0, pre_nms_top_n=dict(training=300, testing=300),
                                post_nms_top_n=dict(training=50, testing=50), nms_thresh=0.7)
    features = {"0": torch.randn(2, 8, 12, 16) * 3, "1": torch.randn(2, 8, 6, 8) * 3}
    images = ImageList(torch.zeros(2, 3, 48, 64), [(48, 64), (40, 56)])
    targets = [{"boxes": torch.tensor([[4.0, 6.0, 30.0, 28.0], [20.0, 10.0, 60.0, 44.0]])},
               {"boxes": torch.tensor([[10.0, 12.0, 26.0, 30.0]])}]
    t = {"feature0": features["0"], "feature1": features["1"], "gt0": targets[0]["boxes"], "gt1": targets[1]["boxes"]}
    rpn.eval()
    with torch.no_grad():
        proposals, _ = rpn(images, features)
    t["proposals0"], t["proposals1"] = proposals
    rpn.train()
    _, losses = rpn(images, features, targets)
    t["loss_objectness"] = losses["loss_objectness"].detach().reshape(1)
    t["loss_rpn_box_reg"] = losses["loss_rpn_box_reg"].detach().reshape(1)
    write_safetensors(OUT, t, {"format_version": FORMAT_VERSION, "torch": torch.__version__,
                               "generator": "tests/golden/gen_rpn.py"})
    print("wrote", OUT, [p.shape for p in proposals], {k: v.item() for k, v in losses.items()})


if __name__ == "__main__":
    main()

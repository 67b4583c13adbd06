#!/usr/bin/python3
# Golden reference for the whole detector: torchvision's FasterRCNN (ResNet-18 FPN, 6 classes) with
# every state-dict tensor from one formula (computed by the C++ test too), run on a normalised
# 128x160 image without torchvision's resize transform; the file holds the image, the proposals
# and the detections.
#
# Regenerate (Debian's torchvision):  /usr/bin/python3 tests/golden/gen_faster_rcnn.py
import math

import torch
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection.backbone_utils import resnet_fpn_backbone
from torchvision.models.detection.image_list import ImageList

from golden_io import write_safetensors

FORMAT_VERSION = "1"
OUT = __file__.replace("gen_faster_rcnn.py", "faster_rcnn.safetensors")


def formula(index, name, shape):
    n = math.prod(shape)
    wave = torch.sin(0.53 * torch.arange(n, dtype=torch.float64) + 0.31 * index)
    if name.endswith("running_var"):
        values = 1.0 + 0.25 * wave * wave
    elif name.endswith("running_mean") or name.endswith("bias"):
        values = 0.05 * wave
    elif len(shape) == 1:
        values = 1.0 + 0.1 * wave
    else:
        values = wave * math.sqrt(3.0 / (n // shape[0]))
    if name.startswith("roi_heads.box_predictor") or name.startswith("rpn.head.cls_logits"):
        values = values * 8.0  # spread the scores so that their order is robust to rounding
    return values.reshape(shape).to(torch.float32)


def main():
    torch.manual_seed(3)
    backbone = resnet_fpn_backbone(backbone_name="resnet18", weights=None, trainable_layers=3)
    model = FasterRCNN(backbone, num_classes=6, rpn_pre_nms_top_n_test=300, rpn_post_nms_top_n_test=100,
                       box_score_thresh=0.05)
    state = model.state_dict()
    model.load_state_dict({k: formula(i, k, list(v.shape)) for i, (k, v) in enumerate(state.items())})
    model.eval()
    image = torch.randn(1, 3, 128, 160)
    with torch.no_grad():
        features = model.backbone(image)
        images = ImageList(image, [(128, 160)])
        proposals, _ = model.rpn(images, features)
        detections, _ = model.roi_heads(features, proposals, images.image_sizes)
    d = detections[0]
    t = {"image": image, "boxes": d["boxes"], "scores": d["scores"], "labels": d["labels"],
         "proposals": proposals[0], "num_tensors": torch.tensor([float(len(state))])}
    write_safetensors(OUT, t, {"format_version": FORMAT_VERSION, "torch": torch.__version__,
                               "generator": "tests/golden/gen_faster_rcnn.py"})
    print("wrote", OUT, "detections", d["boxes"].shape[0], "scores", d["scores"][:5].tolist())


if __name__ == "__main__":
    main()

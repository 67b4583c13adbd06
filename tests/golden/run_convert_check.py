#!/usr/bin/python3
# Run by tests/models/convert_torchvision_test.cpp (not committed data): saves small torchvision
# models as .pth, converts them with scripts/convert_torchvision.py and writes torchvision's outputs.
#
#   /usr/bin/python3 tests/golden/run_convert_check.py OUT_DIR [--full-r50]
# writes OUT_DIR/{detector,resnet}.safetensors (converted) and OUT_DIR/reference.safetensors:
#   detector: a random-init FasterRCNN (ResNet-18, FPN 64, box head 128, 9 classes) saved whole (pickled), converted
#     with --num-classes 6; reference = torchvision's FasterRCNN(num_classes=6) holding the
#     converted tensors, run on a normalised 128x160 image: P2..P6, proposals, detections;
#   resnet: a random-init resnet18 classifier's state dict (with fc and num_batches_tracked),
#     converted; reference = its layer1..layer4 outputs in eval mode on a 64x64 image.
# --full-r50 instead: fasterrcnn_resnet50_fpn (random init, 91 classes) as a state dict, converted
#   with --num-classes 21, on a 512x512 image (r50.* entries; the test runs it when
#   DREAMBOX_FULL_R50=1, data not committed).
import json
import os
import struct
import subprocess
import sys

import numpy as np
import torch
import torchvision
from torchvision.models.detection import FasterRCNN, fasterrcnn_resnet50_fpn
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.image_list import ImageList
from torchvision.ops import FrozenBatchNorm2d

from golden_io import write_safetensors

HERE = os.path.dirname(os.path.abspath(__file__))
CONVERTER = os.path.join(HERE, "..", "..", "scripts", "convert_torchvision.py")
FPN_CHANNELS, REPRESENTATION = 64, 128
NUMPY = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "U8": np.uint8}


def read_safetensors(path):
    """A plain reader (8-byte header length, JSON header, raw data) to check what was written."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    header.pop("__metadata__", None)
    out = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        raw = data[8 + length + begin:8 + length + end]
        out[name] = torch.from_numpy(np.frombuffer(raw, dtype=NUMPY[entry["dtype"]]).copy()).reshape(entry["shape"])
    return out


def convert(src, dst, *options):
    subprocess.run([sys.executable, CONVERTER, src, dst, *options], check=True)


def small_detector(classes):  # ResNet-18 with a slim FPN (64) and box head (128) to stay fast
    body = torchvision.models.resnet18(norm_layer=FrozenBatchNorm2d)
    backbone = BackboneWithFPN(body, {f"layer{i}": str(i - 1) for i in range(1, 5)},
                               [64, 128, 256, 512], FPN_CHANNELS)
    return FasterRCNN(backbone, rpn_pre_nms_top_n_test=300, rpn_post_nms_top_n_test=100,
                      box_head=TwoMLPHead(FPN_CHANNELS * 49, REPRESENTATION),
                      box_predictor=FastRCNNPredictor(REPRESENTATION, classes))


def full_r50(classes):  # torchvision's fasterrcnn_resnet50_fpn, random init
    return fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes=classes)


def detector(out_dir, reference, tag, build, classes, size, whole_model, spread):
    """Saves build(classes[0]) (whole or as a state dict), converts it with --num-classes
    classes[1], and records torchvision's outputs of build(classes[1]) holding the converted
    tensors on a normalised image of `size` (no resize transform). The RPN's objectness weights
    are multiplied by `spread` so that the scores' order does not hinge on rounding, yet their
    sigmoids stay below 1 in float32 (ties at exactly 1 leave the order to the sort)."""
    torch.manual_seed(11)
    model = build(classes[0])
    with torch.no_grad():
        model.rpn.head.cls_logits.weight.mul_(spread)
    source = os.path.join(out_dir, tag + ".pth")
    torch.save(model if whole_model else model.state_dict(), source)
    converted = os.path.join(out_dir, tag + ".safetensors")
    convert(source, converted, "--num-classes", str(classes[1]), "--seed", "4",
            *(["--allow-pickle"] if whole_model else []))
    tensors = read_safetensors(converted)
    original = model.state_dict()
    for name, value in tensors.items():  # everything but the resized predictor is unchanged
        if not name.startswith("roi_heads.box_predictor."):
            assert torch.equal(value, original[name]), name
    ref = build(classes[1])
    ref.load_state_dict(tensors)  # strict: the names are torchvision's
    ref.eval()
    image = torch.randn(1, 3, *size)
    with torch.no_grad():
        features = ref.backbone(image)
        images = ImageList(image, [size])
        proposals, _ = ref.rpn(images, features)
        detections, _ = ref.roi_heads(features, proposals, images.image_sizes)
    reference[f"{tag}.image"] = image
    for level, value in enumerate(features.values()):
        reference[f"{tag}.p{level + 2}"] = value
    reference[f"{tag}.proposals"] = proposals[0]
    for key in ("boxes", "scores", "labels"):
        reference[f"{tag}.{key}"] = detections[0][key]
    print(f"{tag}: {proposals[0].shape[0]} proposals, {detections[0]['boxes'].shape[0]} detections")


def resnet(out_dir, reference):
    torch.manual_seed(12)
    model = torchvision.models.resnet18()
    with torch.no_grad():  # non-trivial batch-norm statistics and affine
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
    source = os.path.join(out_dir, "resnet.pth")
    torch.save(model.state_dict(), source)
    convert(source, os.path.join(out_dir, "resnet.safetensors"))
    model.eval()
    x = torch.randn(1, 3, 64, 64)
    reference["resnet.image"] = x
    with torch.no_grad():
        x = model.maxpool(model.relu(model.bn1(model.conv1(x))))
        for i, layer in enumerate((model.layer1, model.layer2, model.layer3, model.layer4)):
            x = layer(x)
            reference[f"resnet.c{i + 2}"] = x


def main():
    out_dir = sys.argv[1]
    reference = {}
    if "--full-r50" in sys.argv[2:]:  # local check, a few hundred MB: not run by the test suite
        # Random-init R50 features are large already: objectness logits within about +-6.
        detector(out_dir, reference, "r50", full_r50, (91, 21), (512, 512), False, 1.0)
    else:
        detector(out_dir, reference, "detector", small_detector, (9, 6), (128, 160), True, 100.0)
        resnet(out_dir, reference)
    write_safetensors(os.path.join(out_dir, "reference.safetensors"), reference,
                      {"torch": torch.__version__, "torchvision": torchvision.__version__})


if __name__ == "__main__":
    main()

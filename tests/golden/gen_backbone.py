#!/usr/bin/python3
# Golden reference for the ResNet-FPN backbone: torchvision's resnet_fpn_backbone (R18, R50) with
# every state-dict tensor set by a formula that the C++ test computes too (no weights stored),
# run on one fixed 64x64 input; the file holds the input and P2..P6.
#
# Regenerate (Debian's torchvision):  /usr/bin/python3 tests/golden/gen_backbone.py
import math

import torch
from torchvision.models.detection.backbone_utils import resnet_fpn_backbone

from golden_io import write_safetensors

FORMAT_VERSION = "1"
OUT = __file__.replace("gen_backbone.py", "backbone.safetensors")


def formula(index, name, shape):
    """Tensor number `index` of the state dict, as the C++ test builds it (see backbone_test.cpp)."""
    n = math.prod(shape)
    i = torch.arange(n, dtype=torch.float64)
    wave = torch.sin(0.61 * i + 0.37 * index)
    if name.endswith("running_var"):
        values = 1.0 + 0.25 * wave * wave
    elif name.endswith("running_mean") or name.endswith("bias"):
        values = 0.1 * wave
    elif len(shape) == 1:  # batch-norm scale
        values = 1.0 + 0.1 * wave
    else:  # conv weight: keeps activations of order one
        values = wave * math.sqrt(3.0 / (n // shape[0]))
    return values.reshape(shape).to(torch.float32)


def main():
    tensors = {}
    torch.manual_seed(7)
    image = torch.randn(1, 3, 64, 64)
    tensors["input"] = image
    for depth in (18, 50):
        model = resnet_fpn_backbone(backbone_name=f"resnet{depth}", weights=None, trainable_layers=3)
        state = model.state_dict()
        model.load_state_dict({k: formula(i, k, list(v.shape)) for i, (k, v) in enumerate(state.items())})
        model.eval()
        with torch.no_grad():
            out = model(image)
        for level, name in enumerate(out):
            tensors[f"r{depth}.p{level + 2}"] = out[name]
        tensors[f"r{depth}.num_tensors"] = torch.tensor([float(len(state))])
    write_safetensors(OUT, tensors, {"format_version": FORMAT_VERSION, "torch": torch.__version__,
                                     "generator": "tests/golden/gen_backbone.py"})
    print("wrote", OUT)


if __name__ == "__main__":
    main()

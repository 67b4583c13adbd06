#!/usr/bin/python3
# Golden reference for the ResNet-FPN backbone: torchvision's resnet_fpn_backbone (R18, R50) with
# every state-dict tensor set by a formula that the C++ test computes too (no weights stored),
# run on one fixed 64x64 input; the file holds the input and P2..P6. It also holds gradients of
# MMDetection's backbone norm (batch norm in eval mode with trainable weight/bias in stages 2-4,
# norm_eval=True + requires_grad=True) for loss = sum over levels of mean(P^2), on R18.
#
# Regenerate (Debian's torchvision):  /usr/bin/python3 tests/golden/gen_backbone.py
import math

import torch
from torch import nn
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


# Parameters whose gradients the C++ test compares (batch-norm affine of stages 2-4 and a conv).
GRAD_NAMES = ["body.layer2.0.bn1.weight", "body.layer2.0.bn1.bias", "body.layer3.0.downsample.1.weight",
              "body.layer4.1.bn2.bias", "body.layer2.0.downsample.0.weight", "fpn.inner_blocks.3.0.bias"]


def mmdet_norm_gradients(image, tensors):
    """R18-FPN with torch.nn.BatchNorm2d kept in eval mode (frozen statistics) and trainable affine."""
    model = resnet_fpn_backbone(backbone_name="resnet18", weights=None, norm_layer=nn.BatchNorm2d,
                                trainable_layers=3)
    state = model.state_dict()
    # Formula index = position among the keys our state dict has (no num_batches_tracked).
    keys = [k for k in state if not k.endswith("num_batches_tracked")]
    state.update({k: formula(i, k, list(state[k].shape)) for i, k in enumerate(keys)})
    model.load_state_dict(state)
    model.eval()  # norm_eval: running statistics are used and not updated
    loss = sum((p * p).mean() for p in model(image).values())
    loss.backward()
    params = dict(model.named_parameters())
    assert params["body.layer2.0.bn1.weight"].requires_grad and not params["body.layer1.0.bn1.weight"].requires_grad
    for name in GRAD_NAMES:
        tensors["mmdet_r18.grad." + name] = params[name].grad
    tensors["mmdet_r18.loss"] = loss.detach().reshape(1)


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
    mmdet_norm_gradients(image, tensors)
    write_safetensors(OUT, tensors, {"format_version": FORMAT_VERSION, "torch": torch.__version__,
                                     "generator": "tests/golden/gen_backbone.py"})
    print("wrote", OUT)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# Golden reference for the layer ops (conv2d, pooling, resizing, norms, attention, timestep
# embedding): inputs, outputs and input gradients for a fixed upstream gradient, from PyTorch.
#
# Regenerate (Debian's PyTorch):  /usr/bin/python3 tests/golden/gen_layer_ops.py
# Writes tests/golden/layer_ops.safetensors with a hand-made safetensors writer (struct + json).
import math

import torch
import torch.nn.functional as F

from golden_io import write_safetensors

FORMAT_VERSION = "1"
OUT = __file__.replace("gen_layer_ops.py", "layer_ops.safetensors")
tensors = {}


def leaf(*shape):
    return torch.randn(*shape, dtype=torch.float32).requires_grad_()


def record(case, inputs, output):
    """Stores inputs, the output, an upstream gradient and the input gradients under case.*"""
    upstream = torch.randn_like(output)
    grads = torch.autograd.grad(output, [t for t in inputs.values() if t.requires_grad], upstream, allow_unused=True)
    tensors[case + ".out"] = output.detach()
    tensors[case + ".upstream"] = upstream
    it = iter(grads)
    for name, t in inputs.items():
        tensors[case + ".in." + name] = t.detach()
        if t.requires_grad:
            g = next(it)
            tensors[case + ".grad." + name] = torch.zeros_like(t) if g is None else g


def conv_cases():
    for name, (n, c, h, w, o, k, stride, pad, dil, groups, bias) in {
        "conv_basic": (2, 3, 9, 8, 4, 3, 1, 1, 1, 1, True),
        "conv_stride_dil": (1, 4, 11, 10, 6, 3, 2, 2, 2, 2, True),
        "conv_pointwise": (2, 5, 6, 7, 3, 1, 1, 0, 1, 1, False),
        "conv_7x7_s2": (1, 3, 16, 15, 4, 7, 2, 3, 1, 1, False),
        "conv_depthwise": (1, 4, 7, 7, 4, 3, 1, 1, 1, 4, True),
    }.items():
        x, wt = leaf(n, c, h, w), leaf(o, c // groups, k, k)
        inputs = {"x": x, "weight": wt}
        b = None
        if bias:
            b = leaf(o)
            inputs["bias"] = b
        record(name, inputs, F.conv2d(x, wt, b, stride, pad, dil, groups))


def pool_cases():
    x = leaf(2, 3, 9, 11)
    record("maxpool_3s2p1", {"x": x}, F.max_pool2d(x, 3, 2, 1))
    x = leaf(1, 2, 8, 9)
    record("maxpool_ceil", {"x": x}, F.max_pool2d(x, 2, 2, 0, ceil_mode=True))
    x = leaf(1, 2, 10, 9)
    record("avgpool_pad_incl", {"x": x}, F.avg_pool2d(x, 3, 2, 1, count_include_pad=True))
    x = leaf(1, 2, 10, 9)
    record("avgpool_pad_excl_ceil", {"x": x}, F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False))
    x = leaf(2, 3, 10, 7)
    record("adaptive_avg_3x4", {"x": x}, F.adaptive_avg_pool2d(x, (3, 4)))


def resize_cases():
    x = leaf(1, 2, 13, 10)
    record("nearest_to_25x19", {"x": x}, F.interpolate(x, size=(25, 19), mode="nearest"))
    x = leaf(1, 2, 5, 6)
    record("nearest_x2", {"x": x}, F.interpolate(x, scale_factor=2, mode="nearest"))
    x = leaf(1, 2, 7, 5)
    record("bilinear_to_12x9", {"x": x}, F.interpolate(x, size=(12, 9), mode="bilinear", align_corners=False))
    x = leaf(1, 2, 9, 8)
    record("bilinear_down_4x5", {"x": x}, F.interpolate(x, size=(4, 5), mode="bilinear", align_corners=False))
    x = leaf(1, 2, 6, 5)
    record("bilinear_corners_11x7", {"x": x}, F.interpolate(x, size=(11, 7), mode="bilinear", align_corners=True))


def norm_cases():
    x, w, b = leaf(3, 4, 5, 6), leaf(4), leaf(4)
    rm, rv = torch.randn(4), torch.rand(4) + 0.5
    tensors["batchnorm_train.running_mean_before"] = rm.clone()
    tensors["batchnorm_train.running_var_before"] = rv.clone()
    out = F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.1, eps=1e-5)
    tensors["batchnorm_train.running_mean_after"] = rm.clone()
    tensors["batchnorm_train.running_var_after"] = rv.clone()
    record("batchnorm_train", {"x": x, "weight": w, "bias": b}, out)
    x, w, b = leaf(2, 4, 3, 3), leaf(4), leaf(4)
    rm, rv = torch.randn(4), torch.rand(4) + 0.5
    tensors["batchnorm_eval.running_mean"] = rm
    tensors["batchnorm_eval.running_var"] = rv
    record("batchnorm_eval", {"x": x, "weight": w, "bias": b}, F.batch_norm(x, rm, rv, w, b, training=False))
    x, w, b = leaf(2, 6, 5, 4), leaf(6), leaf(6)
    record("groupnorm_3", {"x": x, "weight": w, "bias": b}, F.group_norm(x, 3, w, b, eps=1e-6))
    x, w, b = leaf(2, 3, 8), leaf(8), leaf(8)
    record("layernorm_8", {"x": x, "weight": w, "bias": b}, F.layer_norm(x, (8,), w, b, eps=1e-5))


def attention_cases():
    q, k, v = leaf(2, 3, 5, 4), leaf(2, 3, 6, 4), leaf(2, 3, 6, 7)
    scores = q @ k.transpose(-2, -1) / math.sqrt(4)
    record("sdpa", {"q": q, "k": k, "v": v}, torch.softmax(scores, -1) @ v)
    t = torch.tensor([0.0, 1.0, 17.0, 999.0])
    half = 5
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = t[:, None] * freqs[None]
    tensors["timestep.t"] = t
    tensors["timestep.out"] = torch.cat([torch.cos(args), torch.sin(args)], dim=1)


def main():
    torch.manual_seed(2024)
    conv_cases()
    pool_cases()
    resize_cases()
    norm_cases()
    attention_cases()
    metadata = {"format_version": FORMAT_VERSION, "torch": torch.__version__, "generator": "tests/golden/gen_layer_ops.py"}
    write_safetensors(OUT, {k: v.to(torch.float32) for k, v in tensors.items()}, metadata)
    print("wrote", OUT, "with torch", torch.__version__, "-", len(tensors), "tensors")


if __name__ == "__main__":
    main()

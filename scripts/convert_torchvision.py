#!/usr/bin/python3
# Converts a torchvision checkpoint (.pth: state dict or whole model) of fasterrcnn_resnet*_fpn or
# of a ResNet classifier into safetensors with the same tensor names, which the engine loads.
"""Convert a torchvision checkpoint to safetensors for the Dream-Box engine.

Usage:
  /usr/bin/python3 scripts/convert_torchvision.py IN.pth OUT.safetensors [options]

Accepted inputs (torch.load):
  * a state dict {name: tensor} of torchvision's FasterRCNN (fasterrcnn_resnet50_fpn, or
    FasterRCNN over resnet_fpn_backbone with ResNet-18/34/50/101), or of a torchvision ResNet
    classifier (resnet18/34/50/101, ImageNet weights);
  * a checkpoint dict holding such a state dict under "model" or "state_dict" (torchvision's
    reference training scripts write {"model": ..., "optimizer": ...});
  * a whole pickled model (torch.save(model)): needs --allow-pickle, because unpickling runs code
    from the file. Without it only plain tensors are read (torch.load(weights_only=True)).

What is written:
  * every tensor under its torchvision name, float32 (integer buffers keep their type);
  * "num_batches_tracked" counters are dropped (the engine's frozen batch norm has none, as
    torchvision's FrozenBatchNorm2d);
  * ResNet classifiers: "fc.*" (the ImageNet classifier) is dropped, the rest keeps its names,
    which are those of the engine's ResNetBody (models::ResNetFpnBackbone::body); --prefix
    backbone.body. gives the names inside the whole detector.
  * --num-classes N (detectors; N counts the background like torchvision's num_classes): when N
    differs from the checkpoint's, roi_heads.box_predictor.{cls_score,bbox_pred} are replaced by
    freshly initialised ones with N classes (torch.nn.Linear's default init, seeded by --seed),
    as torchvision's fine-tuning recipe replaces FastRCNNPredictor. All other tensors are kept.
  * --background-last (detectors): writes the predictor in MMDetection's layout used by the
    engine's RoiHeadsConfig::background_last: cls_score rows [1..N-1, 0] (background last) and
    bbox_pred without the background's 4 rows. The model computes the same detections.
The safetensors metadata records the source file and the options.
"""
import argparse
import os
import pickle
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden"))
from golden_io import write_safetensors  # noqa: E402  (the project's one safetensors writer)

PREDICTOR = "roi_heads.box_predictor."
RESNET_DEPTHS = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3), 50: (3, 4, 6, 3), 101: (3, 4, 23, 3)}


class ConversionError(Exception):
    pass


def load_checkpoint(path, allow_pickle):
    if not os.path.isfile(path):
        raise ConversionError(f"{path}: no such file")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=not allow_pickle)
    except pickle.UnpicklingError as e:
        raise ConversionError(f"{path}: holds pickled objects other than tensors (a whole model?); "
                              f"rerun with --allow-pickle if you trust the file ({e})") from None
    except Exception as e:  # torch raises several types for truncated or foreign files
        raise ConversionError(f"{path}: not a readable PyTorch checkpoint: {e}") from None
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    for key in ("model", "state_dict"):
        if isinstance(obj, dict) and key in obj and not torch.is_tensor(obj[key]):
            inner = obj[key]
            obj = inner.state_dict() if isinstance(inner, torch.nn.Module) else inner
            break
    if not isinstance(obj, dict) or not obj:
        raise ConversionError(f"{path}: expected a state dict, a checkpoint dict with 'model' or "
                              f"'state_dict', or a model; found {type(obj).__name__}")
    for name, value in obj.items():
        if not isinstance(name, str) or not torch.is_tensor(value):
            raise ConversionError(f"{path}: entry {name!r} is a {type(value).__name__}, not a tensor")
    return dict(obj)


def layout(state, path):
    """'detector' or 'resnet' from the names; an error for anything else."""
    if any(k.startswith("backbone.body.") for k in state) and any(k.startswith(PREDICTOR) for k in state):
        return "detector"
    if "conv1.weight" in state and any(k.startswith("layer4.") for k in state):
        return "resnet"
    sample = ", ".join(sorted(state)[:5])
    raise ConversionError(f"{path}: neither a torchvision FasterRCNN (backbone.body.*, "
                          f"{PREDICTOR}*) nor a ResNet (conv1.*, layer1..4.*); first names: {sample}")


def check_resnet_depth(state, prefix, path):
    """The block counts must be those of ResNet-18/34/50/101 (the depths the engine builds)."""
    blocks = tuple(len({k[len(prefix):].split(".")[1] for k in state if k.startswith(f"{prefix}layer{i}.")})
                   for i in range(1, 5))
    bottleneck = f"{prefix}layer1.0.conv3.weight" in state
    for depth, counts in RESNET_DEPTHS.items():
        if counts == blocks and bottleneck == (depth >= 50):
            return depth
    raise ConversionError(f"{path}: ResNet with blocks {blocks} per stage "
                          f"({'bottleneck' if bottleneck else 'basic'}) is not ResNet-18/34/50/101")


def resize_predictor(state, num_classes, seed):
    old = state[PREDICTOR + "cls_score.weight"].shape[0]
    if num_classes == old:
        return f"predictor kept ({old} classes)"
    features = state[PREDICTOR + "cls_score.weight"].shape[1]
    torch.manual_seed(seed)
    cls_score = torch.nn.Linear(features, num_classes)
    bbox_pred = torch.nn.Linear(features, num_classes * 4)
    for name, layer in (("cls_score", cls_score), ("bbox_pred", bbox_pred)):
        state[f"{PREDICTOR}{name}.weight"] = layer.weight.detach().clone()
        state[f"{PREDICTOR}{name}.bias"] = layer.bias.detach().clone()
    return f"predictor resized {old} -> {num_classes} classes (fresh init, seed {seed})"


def background_last(state):
    classes = state[PREDICTOR + "cls_score.weight"].shape[0]
    for suffix in ("weight", "bias"):
        cls = state[f"{PREDICTOR}cls_score.{suffix}"]
        state[f"{PREDICTOR}cls_score.{suffix}"] = torch.cat([cls[1:], cls[:1]], 0)
        box = state[f"{PREDICTOR}bbox_pred.{suffix}"]
        if box.shape[0] != classes * 4:
            raise ConversionError(f"bbox_pred.{suffix} has {box.shape[0]} rows, expected {classes * 4}")
        state[f"{PREDICTOR}bbox_pred.{suffix}"] = box[4:]
    return "predictor in background-last layout"


def convert(args):
    state = load_checkpoint(args.input, args.allow_pickle)
    kind = layout(state, args.input)
    notes = []
    dropped = [k for k in state if k.endswith("num_batches_tracked")]
    if kind == "resnet":
        dropped += [k for k in state if k.startswith("fc.")]
        if args.num_classes is not None or args.background_last:
            raise ConversionError("--num-classes and --background-last apply to detectors, "
                                  f"{args.input} is a ResNet classifier")
    for k in dropped:
        del state[k]
    depth = check_resnet_depth(state, "backbone.body." if kind == "detector" else "", args.input)
    if kind == "detector":
        if args.num_classes is not None:
            if args.num_classes < 2:
                raise ConversionError(f"--num-classes {args.num_classes}: needs the background "
                                      "and at least one foreground class (>= 2)")
            notes.append(resize_predictor(state, args.num_classes, args.seed))
        if args.background_last:
            notes.append(background_last(state))
    out = {args.prefix + k: (v.float() if v.is_floating_point() else v) for k, v in state.items()}
    metadata = {"source": os.path.basename(args.input), "converter": "scripts/convert_torchvision.py",
                "layout": kind, "resnet_depth": str(depth),
                "background_last": str(bool(args.background_last)).lower()}
    write_safetensors(args.output, out, metadata)
    print(f"{args.output}: {len(out)} tensors, {kind} (ResNet-{depth}); dropped {len(dropped)} "
          f"({', '.join(sorted({d.split('.')[-1] if d.endswith('tracked') else d for d in dropped})) or 'none'})"
          + "".join("; " + n for n in notes))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", help="torchvision checkpoint (.pth)")
    parser.add_argument("output", help="safetensors file to write")
    parser.add_argument("--num-classes", type=int, help="resize the detector's predictor (background included)")
    parser.add_argument("--background-last", action="store_true", help="MMDetection predictor layout")
    parser.add_argument("--seed", type=int, default=0, help="init seed of a resized predictor (default 0)")
    parser.add_argument("--prefix", default="", help="prepended to every name (e.g. backbone.body.)")
    parser.add_argument("--allow-pickle", action="store_true", help="read whole pickled models (runs code)")
    args = parser.parse_args()
    try:
        convert(args)
    except ConversionError as e:
        print(f"convert_torchvision: {e}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()

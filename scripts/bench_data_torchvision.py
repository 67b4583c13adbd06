#!/usr/bin/python3
# torchvision's CPU input pipeline on a folder of JPEGs, for bench/data (run with /usr/bin/python3:
# Debian python3-torchvision). Prints one line: images_per_second=<float> workers=<n> images=<n>.
"""Decode (PIL) + to_tensor + resize (short side 800, long <= 1333, bilinear) + random hflip +
ImageNet normalize, then batching with zero padding to a multiple of 32, as in torchvision's
GeneralizedRCNNTransform. DataLoader with --workers processes (2 = the 2-core machine)."""
import argparse
import glob
import math
import os
import random
import time

import torch
import torch.nn.functional as nnf
import torchvision.transforms.functional as F
from PIL import Image

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


class Folder(torch.utils.data.Dataset):
    def __init__(self, files, short_side, max_size):
        self.files, self.short_side, self.max_size = files, short_side, max_size

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        image = F.to_tensor(Image.open(self.files[i]).convert("RGB"))  # [3, H, W] in [0, 1]
        h, w = image.shape[-2:]
        scale = min(self.short_side / min(h, w), self.max_size / max(h, w))
        size = (int(h * scale + 0.5), int(w * scale + 0.5))
        image = nnf.interpolate(image[None], size=size, mode="bilinear", align_corners=False)[0]
        if random.random() < 0.5:
            image = F.hflip(image)
        return F.normalize(image, MEAN, STD)


def pad_collate(images, divisor=32):
    h = int(math.ceil(max(i.shape[1] for i in images) / divisor) * divisor)
    w = int(math.ceil(max(i.shape[2] for i in images) / divisor) * divisor)
    batch = images[0].new_zeros((len(images), 3, h, w))
    for b, i in zip(batch, images):
        b[:, : i.shape[1], : i.shape[2]].copy_(i)
    return batch


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--short-side", type=int, default=800)
    parser.add_argument("--max-size", type=int, default=1333)
    args = parser.parse_args()
    torch.set_num_threads(1)
    files = sorted(glob.glob(os.path.join(args.folder, "*.jpg")))
    if not files:
        raise SystemExit(f"bench_data_torchvision: no .jpg files in {args.folder}")
    loader = torch.utils.data.DataLoader(
        Folder(files, args.short_side, args.max_size), batch_size=args.batch, num_workers=args.workers,
        collate_fn=pad_collate, persistent_workers=args.workers > 0)
    for _ in loader:  # warm-up epoch (worker start-up, page cache)
        pass
    start, count = time.perf_counter(), 0
    for _ in range(args.epochs):
        for batch in loader:
            count += batch.shape[0]
    seconds = time.perf_counter() - start
    print(f"images_per_second={count / seconds:.2f} workers={args.workers} images={count}")


if __name__ == "__main__":
    main()

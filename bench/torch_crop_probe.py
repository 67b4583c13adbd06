# PyTorch twin of bench/crop_classifier_probe.cpp: torchvision's ResNet-18 (group/batch/no norm) on
# shapes object crops (PIL crops, antialiased resize). /usr/bin/python3 bench/torch_crop_probe.py
# SHAPES_ROOT group|batch|none STEPS LR CROP_SIZE [SEED [default]]   (default: Conv2d's own init)
import json, sys, random, time, torch, torchvision
from PIL import Image
torch.set_num_threads(1)
root, norm, steps, lr, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
seed = int(sys.argv[6]) if len(sys.argv) > 6 else 0
def load(name):
    d = json.load(open(f"{root}/coco/{name}.json"))
    imgs = {i["id"]: i["file_name"] for i in d["images"]}
    cats = sorted(c["id"] for c in d["categories"])
    objs = [(imgs[a["image_id"]], a["bbox"], cats.index(a["category_id"])) for a in d["annotations"] if not a.get("iscrowd", 0)]
    return objs
img_dir = f"{root}/VOCdevkit/VOC2007/JPEGImages"
cache = {}
def crop(obj, rng, flip):
    f, (x, y, w, h), lab = obj
    if f not in cache: cache[f] = Image.open(f"{img_dir}/{f}").convert("RGB")
    im = cache[f]
    s = max(w, h) * rng.uniform(1.5, 2.0)
    cx, cy = x + w / 2, y + h / 2
    c = im.crop((int(cx - s / 2), int(cy - s / 2), int(cx + s / 2), int(cy + s / 2))).resize((size, size), Image.BILINEAR)
    t = torchvision.transforms.functional.to_tensor(c) * 2 - 1
    if flip and rng.random() < 0.5: t = t.flip(2)
    return t, lab
train, test = load("trainval"), load("test")
print("train objects", len(train), "test objects", len(test), flush=True)
torch.manual_seed(seed)
nl = {"group": lambda c: torch.nn.GroupNorm(32, c), "batch": torch.nn.BatchNorm2d, "none": lambda c: torch.nn.Identity()}[norm]
m = torchvision.models.resnet18(num_classes=5, norm_layer=nl)
if len(sys.argv) > 7 and sys.argv[7] == "default":  # the engine's init: Conv2d's own default
    for mod in m.modules():
        if isinstance(mod, torch.nn.Conv2d): mod.reset_parameters()
opt = torch.optim.SGD(m.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
rng = random.Random(seed); trng = random.Random(99)
tb = [crop(test[trng.randrange(len(test))], trng, False) for _ in range(256)]
tx = torch.stack([t for t, _ in tb]); ty = torch.tensor([l for _, l in tb])
start = time.time()
for step in range(1, steps + 1):
    b = [crop(train[rng.randrange(len(train))], rng, True) for _ in range(16)]
    x = torch.stack([t for t, _ in b]); y = torch.tensor([l for _, l in b])
    m.train(); loss = torch.nn.functional.cross_entropy(m(x), y)
    opt.zero_grad(); loss.backward(); opt.step()
    if step % 50 == 0 or step == steps:
        m.eval()
        with torch.no_grad(): acc = (m(tx).argmax(1) == ty).sum().item()
        print(f"step {step} loss {loss.item():.3f} test acc {acc}/256  {time.time()-start:.0f} s", flush=True)

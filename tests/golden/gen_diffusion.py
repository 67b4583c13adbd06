#!/usr/bin/python3
# Golden reference for the diffusion UNet and the DDIM scheduler, written from the published
# equations (DDPM, DDIM, Improved-DDPM cosine, Imagen thresholding), not from diffusers' code.
#
# The UNet is a plain-torch module with diffusers' UNet2DModel names (scale-shift ResNet blocks,
# class embedding, attention blocks) on a tiny configuration, every tensor set by a formula that
# the C++ test computes too (no weights stored); the file holds the inputs, the output, some
# gradients, the parameter counts of the presets, alphas_cumprod of every schedule, timestep
# lists and DDIM steps with fixed noise.
#
# Regenerate (Debian's torch):  /usr/bin/python3 tests/golden/gen_diffusion.py
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from golden_io import write_safetensors

FORMAT_VERSION = "1"
OUT = __file__.replace("gen_diffusion.py", "diffusion.safetensors")
T = 1000

# ---------------------------------------------------------------- UNet (diffusers names)


class ResnetBlock2D(nn.Module):
    def __init__(self, cin, cout, temb, groups, eps):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, 2 * cout)
        self.norm2 = nn.GroupNorm(groups, cout, eps)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.time_emb_proj(F.silu(emb))[:, :, None, None].chunk(2, dim=1)
        h = self.conv2(F.silu(self.norm2(h) * (1 + scale) + shift))
        return (self.conv_shortcut(x) if self.conv_shortcut is not None else x) + h


class Attention(nn.Module):
    def __init__(self, c, head_dim, groups, eps):
        super().__init__()
        self.heads = c // head_dim
        self.group_norm = nn.GroupNorm(groups, c, eps)
        self.to_q, self.to_k, self.to_v = nn.Linear(c, c), nn.Linear(c, c), nn.Linear(c, c)
        self.to_out = nn.ModuleList([nn.Linear(c, c)])

    def forward(self, x):
        n, c, h, w = x.shape
        t = self.group_norm(x).reshape(n, c, h * w).transpose(1, 2)

        def heads(y):
            return y.reshape(n, h * w, self.heads, c // self.heads).permute(0, 2, 1, 3)

        q, k, v = heads(self.to_q(t)), heads(self.to_k(t)), heads(self.to_v(t))
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(c // self.heads), dim=-1) @ v
        a = a.permute(0, 2, 1, 3).reshape(n, h * w, c)
        return x + self.to_out[0](a).transpose(1, 2).reshape(n, c, h, w)


class Resample(nn.Module):
    def __init__(self, c, down):
        super().__init__()
        self.down = down
        self.conv = nn.Conv2d(c, c, 3, stride=2 if down else 1, padding=1)

    def forward(self, x):
        return self.conv(x if self.down else F.interpolate(x, scale_factor=2, mode="nearest"))


class Level(nn.Module):
    def __init__(self, resnets, attentions, resampler, resampler_name):
        super().__init__()
        if attentions:
            self.attentions = nn.ModuleList(attentions)
        self.resnets = nn.ModuleList(resnets)
        self.has_attention = bool(attentions)
        self.__dict__["resampler"] = resampler  # a plain reference: registered under its name
        if resampler is not None:
            setattr(self, resampler_name, nn.ModuleList([resampler]))


class TimestepEmbedding(nn.Module):
    def __init__(self, cin, dim):
        super().__init__()
        self.linear_1, self.linear_2 = nn.Linear(cin, dim), nn.Linear(dim, dim)

    def forward(self, x):
        return self.linear_2(F.silu(self.linear_1(x)))


def sinusoid(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


class UNet(nn.Module):
    def __init__(self, size, cin, cout, base, mult, layers, attn_res, head_dim, classes, groups):
        super().__init__()
        ch = [base * m for m in mult]
        L, temb, eps = len(ch), 4 * base, 1e-5
        self.base = base

        def block(cin_, cout_, attn, resnets, attentions):
            resnets.append(ResnetBlock2D(cin_, cout_, temb, groups, eps))
            if attn:
                attentions.append(Attention(cout_, head_dim, groups, eps))

        self.conv_in = nn.Conv2d(cin, ch[0], 3, padding=1)
        self.time_embedding = TimestepEmbedding(base, temb)
        self.class_embedding = nn.Embedding(classes + 1, temb)
        down = []
        for i in range(L):
            r, a = [], []
            for j in range(layers):
                block(ch[max(i - 1, 0)] if j == 0 else ch[i], ch[i], (size >> i) in attn_res, r, a)
            down.append(Level(r, a, Resample(ch[i], True) if i + 1 < L else None, "downsamplers"))
        self.down_blocks = nn.ModuleList(down)
        r, a = [], []
        block(ch[-1], ch[-1], True, r, a)
        block(ch[-1], ch[-1], False, r, a)
        self.mid_block = Level(r, a, None, "")
        up = []
        for i in range(L):
            d = L - 1 - i
            out, prev, skip = ch[d], ch[min(d + 1, L - 1)], ch[max(d - 1, 0)]
            r, a = [], []
            for j in range(layers + 1):
                block((prev if j == 0 else out) + (skip if j == layers else out), out,
                      (size >> d) in attn_res, r, a)
            up.append(Level(r, a, Resample(out, False) if d > 0 else None, "upsamplers"))
        self.up_blocks = nn.ModuleList(up)
        self.conv_norm_out = nn.GroupNorm(groups, ch[0], eps)
        self.conv_out = nn.Conv2d(ch[0], cout, 3, padding=1)

    def forward(self, x, t, labels):
        emb = self.time_embedding(sinusoid(t, self.base)) + self.class_embedding(labels)
        h = self.conv_in(x)
        skips = [h]

        def run(level, j, h):
            h = level.resnets[j](h, emb)
            return level.attentions[j](h) if level.has_attention else h

        for level in self.down_blocks:
            for j in range(len(level.resnets)):
                h = run(level, j, h)
                skips.append(h)
            if level.resampler is not None:
                h = level.resampler(h)
                skips.append(h)
        h = run(self.mid_block, 0, h)
        h = self.mid_block.resnets[1](h, emb)
        for level in self.up_blocks:
            for j in range(len(level.resnets)):
                h = run(level, j, torch.cat([h, skips.pop()], dim=1))
            if level.resampler is not None:
                h = level.resampler(h)
        return self.conv_out(F.silu(self.conv_norm_out(h)))


def formula(index, name, shape):
    """Tensor number `index` of the state dict, as the C++ test builds it (see unet_test.cpp)."""
    n = math.prod(shape)
    wave = torch.sin(0.61 * torch.arange(n, dtype=torch.float64) + 0.37 * index)
    if name.endswith("bias"):
        values = 0.1 * wave
    elif len(shape) == 1:  # group-norm scale
        values = 1.0 + 0.1 * wave
    else:  # conv / linear / embedding: keeps activations of order one
        values = wave * math.sqrt(3.0 / (n // shape[0]))
    return values.reshape(shape).to(torch.float32)


TINY = dict(size=16, cin=7, cout=3, base=16, mult=(1, 2), layers=1, attn_res=(8,), head_dim=8,
            classes=3, groups=8)
PRESETS = {"cpu-demo": dict(size=32, cin=7, cout=3, base=32, mult=(1, 2, 2), layers=1, attn_res=(8,),
                            head_dim=32, classes=20, groups=32),
           "gpu-base": dict(size=64, cin=7, cout=3, base=96, mult=(1, 2, 3, 4), layers=2,
                            attn_res=(16, 8), head_dim=32, classes=20, groups=32)}
GRAD_NAMES = ["conv_in.weight", "class_embedding.weight", "time_embedding.linear_1.weight",
              "down_blocks.0.resnets.0.time_emb_proj.weight",
              "down_blocks.1.attentions.0.to_q.weight", "up_blocks.0.resnets.1.conv_shortcut.weight",
              "conv_out.weight"]


def unet_golden(tensors, metadata):
    model = UNet(**TINY)
    state = model.state_dict()
    model.load_state_dict({k: formula(i, k, list(v.shape)) for i, (k, v) in enumerate(state.items())})
    metadata["unet.names"] = ",".join(state.keys())
    g = torch.Generator().manual_seed(11)
    x = torch.randn(2, 7, 16, 16, generator=g).requires_grad_()
    t = torch.tensor([3, 517], dtype=torch.int64)
    labels = torch.tensor([1, 3], dtype=torch.int64)  # 3 = the null row
    probe = torch.randn(2, 3, 16, 16, generator=g)
    out = model(x, t, labels)
    (out * probe).sum().backward()
    params = dict(model.named_parameters())
    tensors.update({"unet.input": x.detach(), "unet.timesteps": t, "unet.labels": labels,
                    "unet.probe": probe, "unet.output": out.detach(), "unet.grad.input": x.grad})
    for name in GRAD_NAMES:
        tensors["unet.grad." + name] = params[name].grad
    for name, cfg in PRESETS.items():
        count = sum(p.numel() for p in UNet(**cfg).parameters())
        tensors["unet.params." + name] = torch.tensor([count], dtype=torch.int64)
        print(name, count, "parameters")


# ---------------------------------------------------------------- schedules and DDIM (float64)


def alphas_cumprod(kind):
    if kind == "linear":
        betas = torch.linspace(1e-4, 0.02, T, dtype=torch.float64)
    elif kind == "scaled_linear":
        betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, T, dtype=torch.float64) ** 2
    else:  # Improved-DDPM cosine: beta_i = min(1 - f(i+1)/f(i), 0.999)
        f = lambda u: math.cos((u + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
        betas = torch.tensor([min(1 - f((i + 1) / T) / f(i / T), 0.999) for i in range(T)],
                             dtype=torch.float64)
    return torch.cumprod(1.0 - betas, dim=0)


def timesteps(spacing, n, offset=0):
    if spacing == "leading":
        return (torch.arange(n, dtype=torch.int64) * (T // n)).flip(0) + offset
    if spacing == "trailing":  # round half to even, as numpy
        return torch.round(T - torch.arange(n, dtype=torch.float64) * (T / n)).long() - 1
    return torch.round(torch.linspace(0, T - 1, n, dtype=torch.float64)).long().flip(0)


def threshold(x0, ratio, max_value):
    flat = x0.reshape(x0.shape[0], -1)
    s = torch.quantile(flat.abs(), ratio, dim=1).clamp(min=1.0, max=max_value)[:, None]
    return (flat.clamp(-s, s) / s).reshape(x0.shape)


def ddim_step(ac, model_out, t, prev, x, eta, noise, pred="epsilon", clip=True, thresh=None):
    a_t = ac[t]
    a_prev = ac[prev] if prev >= 0 else torch.tensor(1.0, dtype=torch.float64)
    if pred == "epsilon":
        x0 = (x - (1 - a_t).sqrt() * model_out) / a_t.sqrt()
        eps = model_out
    else:  # v: x0 = sqrt(a) x - sqrt(1-a) v, eps = sqrt(a) v + sqrt(1-a) x
        x0 = a_t.sqrt() * x - (1 - a_t).sqrt() * model_out
        eps = a_t.sqrt() * model_out + (1 - a_t).sqrt() * x
    if thresh is not None:
        x0 = threshold(x0, *thresh)
    elif clip:
        x0 = x0.clamp(-1, 1)
    sigma = eta * ((1 - a_prev) / (1 - a_t)).sqrt() * (1 - a_t / a_prev).sqrt()
    return a_prev.sqrt() * x0 + (1 - a_prev - sigma ** 2).sqrt() * eps + sigma * noise, x0


DDIM_CASES = [  # name, schedule, spacing, steps, offset, index, eta, prediction, clip, threshold
    ("eta0", "squaredcos_cap_v2", "trailing", 10, 0, 3, 0.0, "epsilon", True, None),
    ("eta07", "squaredcos_cap_v2", "trailing", 10, 0, 3, 0.7, "epsilon", True, None),
    ("vpred", "scaled_linear", "leading", 20, 1, 5, 0.5, "v_prediction", False, None),
    ("thresh", "linear", "trailing", 25, 0, 2, 1.0, "epsilon", True, (0.995, 1.5)),
    ("thresh_wide", "squaredcos_cap_v2", "trailing", 25, 0, 4, 0.0, "epsilon", True, (0.9, 10.0)),
    ("last", "squaredcos_cap_v2", "leading", 10, 1, 9, 0.3, "epsilon", False, None),
]


def ddim_golden(tensors):
    for kind in ("linear", "scaled_linear", "squaredcos_cap_v2"):
        tensors["alphas_cumprod." + kind] = alphas_cumprod(kind)
    for spacing, n, offset in (("leading", 50, 1), ("leading", 7, 0), ("trailing", 50, 0),
                               ("trailing", 16, 0), ("trailing", 7, 0), ("linspace", 7, 0)):
        tensors[f"timesteps.{spacing}.{n}.{offset}"] = timesteps(spacing, n, offset)
    g = torch.Generator().manual_seed(5)
    x = torch.randn(2, 3, 8, 8, generator=g, dtype=torch.float64)
    out = torch.randn(2, 3, 8, 8, generator=g, dtype=torch.float64)
    noise = torch.randn(2, 3, 8, 8, generator=g, dtype=torch.float64)
    tensors.update({"ddim.sample": x.float(), "ddim.model_output": out.float(),
                    "ddim.noise": noise.float()})
    for name, kind, spacing, n, offset, index, eta, pred, clip, thresh in DDIM_CASES:
        ts = timesteps(spacing, n, offset)
        t = int(ts[index])
        prev = int(ts[index + 1]) if index + 1 < n else -1
        prev_x, x0 = ddim_step(alphas_cumprod(kind), out, t, prev, x, eta, noise, pred, clip, thresh)
        tensors["ddim." + name + ".prev_sample"] = prev_x.float()
        tensors["ddim." + name + ".pred_original_sample"] = x0.float()
    # q_sample: x_t = sqrt(a_t) x0 + sqrt(1 - a_t) eps with per-sample t; v target
    ac = alphas_cumprod("squaredcos_cap_v2")
    t = torch.tensor([0, 999])
    a = ac[t][:, None, None, None]
    tensors["q_sample.timesteps"] = t
    tensors["q_sample.x_t"] = (a.sqrt() * x + (1 - a).sqrt() * noise).float()
    tensors["q_sample.velocity"] = (a.sqrt() * noise - (1 - a).sqrt() * x).float()


def main():
    torch.manual_seed(0)
    tensors, metadata = {}, {"format_version": FORMAT_VERSION, "torch": torch.__version__,
                             "generator": "tests/golden/gen_diffusion.py"}
    unet_golden(tensors, metadata)
    ddim_golden(tensors)
    write_safetensors(OUT, tensors, metadata)
    print("wrote", OUT)


if __name__ == "__main__":
    main()

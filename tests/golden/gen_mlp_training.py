#!/usr/bin/python3
# Golden reference for the engine's training loop: a small MLP trained 10 steps with SGD
# (momentum + warmup), SGD (nesterov + grad clipping) and AdamW in PyTorch; writes mlp_training.safetensors.
#
# Regenerate (Debian's PyTorch, not a venv):  /usr/bin/python3 tests/golden/gen_mlp_training.py
# The file is written with a hand-made safetensors writer (struct + json), independent of ours.
import torch

from golden_io import write_safetensors

FORMAT_VERSION = "1"
STEPS = 10
OUT = __file__.replace("gen_mlp_training.py", "mlp_training.safetensors")


def make_model():
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))


def loss_fn(model, x, y):
    logits = model(x)
    return -torch.log_softmax(logits, dim=1).gather(1, y.unsqueeze(1)).mean()


def train(init_state, x, y, make_optimizer, lr_factor=lambda step: 1.0, clip=None):
    model = make_model()
    model.load_state_dict(init_state)
    optimizer = make_optimizer(model.parameters())
    base_lrs = [g["lr"] for g in optimizer.param_groups]
    losses = []
    for step in range(STEPS):
        for g, base in zip(optimizer.param_groups, base_lrs):
            g["lr"] = base * lr_factor(step)
        optimizer.zero_grad()
        loss = loss_fn(model, x, y)
        loss.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        losses.append(loss.item())
    return torch.tensor(losses, dtype=torch.float32), model.state_dict()


def warmup(step, steps=5, start=0.25):
    return start + (1 - start) * step / steps if step < steps else 1.0


def main():
    torch.manual_seed(1234)
    x = torch.randn(16, 4)
    y = torch.randint(0, 3, (16,))
    init = make_model().state_dict()
    tensors = {"x": x, "y": y}
    tensors.update({"init." + k: v for k, v in init.items()})

    runs = {
        "sgd": dict(make_optimizer=lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-4),
                    lr_factor=warmup),
        "nesterov": dict(make_optimizer=lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
                         clip=0.5),
        "adamw": dict(make_optimizer=lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.01)),
    }
    for name, cfg in runs.items():
        losses, final = train(init, x, y, **cfg)
        tensors[name + ".losses"] = losses
        tensors.update({name + ".final." + k: v for k, v in final.items()})

    metadata = {"format_version": FORMAT_VERSION, "torch": torch.__version__,
                "generator": "tests/golden/gen_mlp_training.py"}
    write_safetensors(OUT, tensors, metadata)
    print("wrote", OUT, "with torch", torch.__version__)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# Writes tests/golden/sample.safetensors by hand (struct + json, no safetensors package): a second,
# independent writer whose file tests/engine/safetensors_test.cpp must load with exact values.
#
# Regenerate (from the repository root):  /usr/bin/python3 tests/golden/gen_safetensors_sample.py
# If you change the tensors below, bump GOLDEN_VERSION here and in safetensors_test.cpp.
import json
import os
import struct
import sys

GOLDEN_VERSION = "safetensors_sample v1"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sample.safetensors")


def f32_bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def bf16_bits(x):
    """bf16 bit pattern of a value exactly representable in bf16 (checked)."""
    bits = f32_bits(x)
    assert bits & 0xFFFF == 0, f"{x} is not exactly representable in bf16"
    return bits >> 16


def f16_bits(x):
    return struct.unpack("<H", struct.pack("<e", x))[0]


# (name, safetensors dtype, shape, raw little-endian bytes). The data section is written in THIS
# order (not name order) so that the reader cannot rely on sorted layout.
F16_VALUES = [1.0, -2.0, 65504.0, 0.1, 2.0**-24]  # 0.1 rounds to 0x2E66; 2^-24 is the smallest subnormal
BF16_VALUES = [1.0, -3.140625, 0.0078125, 3.3895313892515355e38]  # the last is the largest finite bf16
TENSORS = [
    ("weight", "F32", [2, 3], struct.pack("<6f", 0.1, -2.5, 3.0e38, 1e-40, -0.0, 7.0)),
    ("double", "F64", [2, 2], struct.pack("<4d", 0.1, -1e300, 5e-324, 2.0)),
    ("half", "F16", [5], struct.pack("<5H", *[f16_bits(v) for v in F16_VALUES])),
    ("brain", "BF16", [2, 2], struct.pack("<4H", *[bf16_bits(v) for v in BF16_VALUES])),
    ("int32", "I32", [4], struct.pack("<4i", -(2**31), 2**31 - 1, 0, 42)),
    ("int64", "I64", [3, 1], struct.pack("<3q", -(2**63), 2**63 - 1, 1)),
    ("bytes", "U8", [5], bytes([0, 1, 127, 128, 255])),
    ("mask", "BOOL", [3], bytes([1, 0, 1])),
    ("scalar", "F32", [], struct.pack("<f", 2.5)),
    ("empty", "F32", [0, 3], b""),
]
METADATA = {"dreambox_golden": GOLDEN_VERSION, "format": "pt", "note": "hand-written by gen_safetensors_sample.py"}


def cross_check_with_torch():
    """Optional: the 16-bit patterns agree with PyTorch's own conversions (Debian python3-torch)."""
    try:
        import torch
    except ImportError:
        print("torch: not available, 16-bit patterns not cross-checked")
        return
    print(f"torch: {torch.__version__}")
    half = torch.tensor(F16_VALUES, dtype=torch.float16).view(torch.int16).tolist()
    assert [h & 0xFFFF for h in half] == [f16_bits(v) for v in F16_VALUES], half
    brain = torch.tensor(BF16_VALUES, dtype=torch.bfloat16).view(torch.int16).tolist()
    assert [b & 0xFFFF for b in brain] == [bf16_bits(v) for v in BF16_VALUES], brain


def main():
    print(f"# {GOLDEN_VERSION}; python {sys.version.split()[0]}")
    cross_check_with_torch()
    header = {"__metadata__": METADATA}
    data = b""
    for name, dtype, shape, raw in TENSORS:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(OUT, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)
    print(f"wrote {OUT}: {8 + len(text) + len(data)} bytes, {len(TENSORS)} tensors")
    for name, dtype, shape, raw in TENSORS:
        print(f"  {name:7s} {dtype:5s} {str(shape):7s} {raw.hex()}")


if __name__ == "__main__":
    main()

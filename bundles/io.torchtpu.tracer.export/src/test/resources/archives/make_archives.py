"""Writes the small .pt2 archives of the export tracer's tests (run with PyTorch 2.10; CI does not need it).

strided.pt2 exercises what the fixture models do not: a parameter that is a transposed view (non-contiguous
strides), a buffer that starts inside its storage (storage offset), a lifted tensor constant, a multi-output
op (split), tensor-list arguments (cat, index with a None), a float attribute and an int64 output.
"""
import os
import torch
from torch import nn


class Strided(nn.Module):
    def __init__(self):
        super().__init__()
        base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
        self.weight = nn.Parameter(base.t())  # 4x3, strides (1, 4)
        self.register_buffer("shift", torch.arange(10, dtype=torch.float32)[2:5])  # storage offset 2
        self.index = torch.tensor([2, 0])

    def forward(self, x):
        y = x @ self.weight + self.shift  # 2x3
        first, rest = torch.split(y, [1, 2], dim=1)
        joined = torch.cat([rest, first * 0.5], dim=1)
        picked = joined[:, self.index]
        return picked, torch.argmax(joined, dim=1)


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    model = Strided().eval()
    x = torch.tensor([[1.0, 2.0, 3.0, 4.0], [-1.0, 0.5, 0.0, 2.0]])
    exported = torch.export.export(model, (x,))
    torch.export.save(exported, os.path.join(here, "strided.pt2"))
    with torch.no_grad():
        picked, arg = model(x)
    print("ops:", sorted({str(n.target) for n in exported.graph.nodes if n.op == "call_function"}))
    print("picked:", picked.tolist())
    print("argmax:", arg.tolist())

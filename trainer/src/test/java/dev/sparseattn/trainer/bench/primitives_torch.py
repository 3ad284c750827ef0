#!/usr/bin/env python3
"""PyTorch peer of PrimitivesBenchmark: the same element-wise primitives on the same shapes, float32, median of 21
runs after 4 s of warm-up (as the Java side), in nanoseconds per element. Prints "primitive <name> <ns>" lines, then "fixed op_us <us>".

  exp         torch.exp of [8, 8, 64, 512] scores into a second tensor
  softmax     torch.softmax over the last axis of the same scores (a new tensor; the allocator keeps the block)
  scale       in-place multiplication by a scalar, 0.999 (a pass bound by memory alone)
  layer_norm  F.layer_norm over [4096, 128], forward + backward with autograd (input, gain and bias gradients)
  op_us       the fixed cost of an operation: 1,000 in-place scalar multiplies of a one-element tensor ("fixed op_us")

    /usr/bin/python3 primitives_torch.py [--threads 2]
"""
import argparse

import torch
import torch.nn.functional as F

import train_torch as T


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    warm = dict(reps=21, warmup=3, warmup_s=4.0)
    torch.manual_seed(1)
    s = (torch.rand(8, 8, 64, 512) - 0.5) * 8
    e = torch.empty_like(s)
    n = s.numel()
    print("primitive exp %.4f" % (T.median_ms(lambda: torch.exp(s, out=e), **warm) * 1e6 / n))
    print("primitive softmax %.4f" % (T.median_ms(lambda: torch.softmax(s, -1), **warm) * 1e6 / n))
    w = s.clone()
    print("primitive scale %.4f" % (T.median_ms(lambda: w.mul_(0.999), **warm) * 1e6 / n))

    rows, d = 4096, 128
    x = torch.randn(rows, d, requires_grad=True)
    gain = (torch.rand(d) + 0.5).requires_grad_()
    bias = torch.rand(d).requires_grad_()
    dy = torch.randn(rows, d)

    def layer_norm():
        y = F.layer_norm(x, (d,), gain, bias, 1e-5)
        torch.autograd.grad(y, (x, gain, bias), dy)

    print("primitive layer_norm %.4f" % (T.median_ms(layer_norm, **warm) * 1e6 / (rows * d)))

    one = torch.rand(1)

    def thousand():
        for _ in range(1000):
            one.mul_(0.999)

    print("fixed op_us %.2f" % T.median_ms(thousand, **warm))


if __name__ == "__main__":
    main()

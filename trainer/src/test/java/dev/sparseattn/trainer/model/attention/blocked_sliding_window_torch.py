#!/usr/bin/env python3
"""PyTorch reference timing for AttentionBenchmark: the same blocked sliding-window attention (Longformer, Beltagy
et al. 2020) as SlidingWindowAttention, forward + backward with autograd, on the CPU.

Shapes as in the Java benchmark: batch 1, 4 heads of 64, window 256 (blocks of 256, each query block against its
previous, own and next key block: 768 keys, or previous and own when causal), float32. The overlapping key blocks are
a strided view (as_strided) of the zero-padded keys, as in the Java kernel; masks are additive.

Needs Debian's python3-torch (and libopenblas0-pthread for a threaded BLAS):
    python3 blocked_sliding_window_torch.py [--threads 2] [--lengths 1024,4096,8192,16384,65536] [--causal]
"""
import argparse
import math
import time

import torch


def blocked_window(q, k, v, w, causal):
    """q, k, v: [bh, n, d] with n a multiple of w. Returns [bh, n, d]."""
    bh, n, d = q.shape
    nb = n // w
    before, after = 1, (0 if causal else 1)
    span = before + 1 + after
    kp = torch.nn.functional.pad(k, (0, 0, before * w, after * w))      # [bh, n + (before+after) w, d]
    vp = torch.nn.functional.pad(v, (0, 0, before * w, after * w))
    lp = kp.shape[1]
    kb = kp.as_strided((bh, nb, span * w, d), (lp * d, w * d, d, 1))     # overlapping key blocks, a view
    vb = vp.as_strided((bh, nb, span * w, d), (lp * d, w * d, d, 1))
    qb = q.reshape(bh, nb, w, d) / math.sqrt(d)
    s = qb @ kb.transpose(-1, -2)                                        # [bh, nb, w, span w]
    qq = torch.arange(w).reshape(w, 1)
    kk = torch.arange(span * w).reshape(1, span * w)
    diff = kk - before * w - qq                                          # key - query
    band = (diff.abs() <= w) & ((diff <= 0) if causal else True)
    blk = torch.arange(nb).reshape(nb, 1, 1)
    kpos = (blk - before) * w + kk.reshape(1, 1, span * w)
    inside = (kpos >= 0) & (kpos < n)
    mask = torch.where(band.unsqueeze(0) & inside, 0.0, -1e9)            # [nb, w, span w]
    p = torch.softmax(s + mask, dim=-1)
    return (p @ vb).reshape(bh, n, d)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lengths", default="1024,4096,8192,16384,65536")
    ap.add_argument("--causal", action="store_true")
    ap.add_argument("--reps", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    heads, d, w = 4, 64, 256
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, causal {a.causal}")
    for n in (int(x) for x in a.lengths.split(",")):
        q = torch.randn(heads, n, d, requires_grad=True)
        k = torch.randn(heads, n, d, requires_grad=True)
        v = torch.randn(heads, n, d, requires_grad=True)
        g = torch.randn(heads, n, d)
        best = float("inf")
        for i in range(a.reps + 1):                                      # first run is a warm-up
            start = time.perf_counter()
            out = blocked_window(q, k, v, w, a.causal)
            out.backward(g)
            elapsed = time.perf_counter() - start
            q.grad = k.grad = v.grad = None
            if i > 0:
                best = min(best, elapsed)
        keys = (2 if a.causal else 3) * w
        gflops = 12.0 * heads * n * keys * d / best / 1e9
        print(f"sliding-{'causal' if a.causal else 'bidir'} n={n:6d} fwd+bwd {best:8.3f} s  {gflops:6.1f} GFLOP/s")


if __name__ == "__main__":
    main()

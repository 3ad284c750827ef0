#!/usr/bin/env python3
"""PyTorch peer of TrainThroughputBenchmark: the same GPT-2-style model (pre-LayerNorm blocks, fused QKV with bias,
GELU (tanh), final LayerNorm, output projection with bias), float32, Adam, global-norm clipping 1.0, random token ids,
one training step = forward + backward + clip + Adam; prints the median tokens/s over the timed steps.

Shapes (as the recipes in conf/):
  quickstart  2 layers, d 128, 4 heads, ffn 512, 256 tokens, batch 16, vocab 258, learned positions, dense causal
  text        4 layers, d 256, 8 heads, ffn 1024, 512 tokens, batch 8, vocab 258, learned positions, dense causal
  genomics    6 layers, d 128, 4 heads, ffn 512, 4096 tokens, batch 4, vocab 8, axial positions [64, 64] (concatenated
              halves), tied embeddings, reversible residual (y1 = x1 + F(x2), y2 = x2 + G(y1), output (y1 + y2) / 2,
              with ordinary autograd: activations stored, no reconstruction), dropout 0.05 on each branch; every
              layer's attention is the blocked causal sliding window of blocked_sliding_window_torch.py (window 128):
              the Java model's LSH layers are replaced by the cheaper local pattern here.
  genomics-window  the same model: the Java side's genomics-window shape has the sliding window in every layer too,
              so that pair compares the same computation (the Java model still reconstructs activations).

Dense attention is written out (PyTorch 1.13 has no scaled_dot_product_attention).

Needs Debian's python3-torch and libopenblas0-pthread:
    /usr/bin/python3 train_torch.py --shape quickstart [--threads 2 --steps 10 --warmup 3]
"""
import argparse
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SHAPES = {
    "quickstart": dict(layers=2, d=128, heads=4, ffn=512, n=256, batch=16, vocab=258, sparse=False),
    "text": dict(layers=4, d=256, heads=8, ffn=1024, n=512, batch=8, vocab=258, sparse=False),
    "genomics": dict(layers=6, d=128, heads=4, ffn=512, n=4096, batch=4, vocab=8, sparse=True, window=128,
                     axial=(64, 64), dropout=0.05),
}
SHAPES["genomics-window"] = SHAPES["genomics"]


def blocked_causal_window(q, k, v, w):
    """q, k, v: [bh, n, hd], n a multiple of w; each query block against its previous and own key block."""
    bh, n, d = q.shape
    nb = n // w
    kp = F.pad(k, (0, 0, w, 0))
    vp = F.pad(v, (0, 0, w, 0))
    lp = kp.shape[1]
    kb = kp.as_strided((bh, nb, 2 * w, d), (lp * d, w * d, d, 1))
    vb = vp.as_strided((bh, nb, 2 * w, d), (lp * d, w * d, d, 1))
    s = (q.reshape(bh, nb, w, d) / math.sqrt(d)) @ kb.transpose(-1, -2)          # [bh, nb, w, 2w]
    qq = torch.arange(w).reshape(w, 1)
    kk = torch.arange(2 * w).reshape(1, 2 * w)
    diff = kk - w - qq
    band = (diff <= 0) & (diff >= -w)
    kpos = (torch.arange(nb).reshape(nb, 1, 1) - 1) * w + kk.reshape(1, 1, 2 * w)
    mask = torch.where(band.unsqueeze(0) & (kpos >= 0), 0.0, -1e9)
    return (torch.softmax(s + mask, dim=-1) @ vb).reshape(bh, n, d)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.ln = nn.LayerNorm(c["d"], eps=1e-5)
        self.qkv = nn.Linear(c["d"], 3 * c["d"])
        self.out = nn.Linear(c["d"], c["d"])

    def forward(self, x):
        b, n, d = x.shape
        h = self.c["heads"]
        hd = d // h
        q, k, v = self.qkv(self.ln(x)).reshape(b, n, 3, h, hd).permute(2, 0, 3, 1, 4)     # [b, h, n, hd]
        if self.c["sparse"]:
            o = blocked_causal_window(q.reshape(b * h, n, hd), k.reshape(b * h, n, hd), v.reshape(b * h, n, hd),
                                      self.c["window"]).reshape(b, h, n, hd)
        else:
            s = (q / math.sqrt(hd)) @ k.transpose(-1, -2)
            causal = torch.full((n, n), -1e9).triu(1)
            o = torch.softmax(s + causal, dim=-1) @ v
        return self.out(o.transpose(1, 2).reshape(b, n, d))


class FeedForward(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln = nn.LayerNorm(c["d"], eps=1e-5)
        self.w1 = nn.Linear(c["d"], c["ffn"])
        self.w2 = nn.Linear(c["ffn"], c["d"])

    def forward(self, x):
        return self.w2(F.gelu(self.w1(self.ln(x)), approximate="tanh"))


class Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        d = c["d"]
        self.tok = nn.Embedding(c["vocab"], d)
        if "axial" in c:
            a0, a1 = c["axial"]
            self.ax0 = nn.Parameter(torch.randn(a0, d - d // 2) * 0.02)
            self.ax1 = nn.Parameter(torch.randn(a1, d // 2) * 0.02)
        else:
            self.pos = nn.Parameter(torch.randn(c["n"], d) * 0.02)
        self.att = nn.ModuleList(Attention(c) for _ in range(c["layers"]))
        self.ffn = nn.ModuleList(FeedForward(c) for _ in range(c["layers"]))
        self.lnf = nn.LayerNorm(d, eps=1e-5)
        self.tied = "axial" in c
        if not self.tied:
            self.head = nn.Linear(d, c["vocab"])
        else:
            self.head_b = nn.Parameter(torch.zeros(c["vocab"]))
        self.drop = c.get("dropout", 0.0)

    def positions(self, n):
        if "axial" in self.c:
            a0, a1 = self.c["axial"]
            return torch.cat([self.ax0.unsqueeze(1).expand(a0, a1, -1), self.ax1.unsqueeze(0).expand(a0, a1, -1)],
                             dim=-1).reshape(a0 * a1, -1)[:n]
        return self.pos[:n]

    def forward(self, ids):
        x = self.tok(ids) + self.positions(ids.shape[1])
        dr = lambda t: F.dropout(t, self.drop, self.training) if self.drop > 0 else t
        if "axial" in self.c:                                       # reversible residual
            x1, x2 = x, x
            for att, ffn in zip(self.att, self.ffn):
                x1 = x1 + dr(att(x2))
                x2 = x2 + dr(ffn(x1))
            x = (x1 + x2) * 0.5
        else:
            for att, ffn in zip(self.att, self.ffn):
                x = x + dr(att(x))
                x = x + dr(ffn(x))
        h = self.lnf(x)
        return h @ self.tok.weight.t() + self.head_b if self.tied else self.head(h)


def median_ms(fn, reps=21, warmup=3, warmup_s=0.0):
    """Median wall time of fn() in ms over reps runs, after at least warmup runs and warmup_s seconds of them."""
    start = time.perf_counter()
    runs = 0
    while runs < warmup or time.perf_counter() - start < warmup_s:
        fn()
        runs += 1
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def train_step(model, opt, rows, vocab):
    """One training step on rows [batch, n + 1]: forward, cross-entropy, backward, global-norm clipping 1.0, Adam."""
    logits = model(rows[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, vocab), rows[:, 1:].reshape(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", default="quickstart", choices=sorted(SHAPES))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    c = SHAPES[a.shape]
    model = Model(c)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(1)
    times = []
    for i in range(a.warmup + a.steps):
        rows = torch.randint(0, c["vocab"], (c["batch"], c["n"] + 1), generator=g)
        start = time.perf_counter()
        train_step(model, opt, rows, c["vocab"])
        if i >= a.warmup:
            times.append(time.perf_counter() - start)
    step = statistics.median(times)
    params = sum(p.numel() for p in model.parameters())
    print(f"torch {torch.__version__} threads {torch.get_num_threads()} shape {a.shape} params {params} "
          f"step_s {step:.4f} tokens_per_s {c['batch'] * c['n'] / step:.1f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""PyTorch peer of StepProfileBenchmark: the sections of one training step of train_torch.py's model, each timed on
its own (forward + backward with autograd, median of --reps after --warmup), in the Java profile's section names,
multiplied by how many times a step runs them:

  layer_norm             one LayerNorm over [batch * n, d], forward + backward       x (2 * layers + 1)
  attention_projections  the fused QKV linear and the output linear, each fwd + bwd  x layers
  attention              the attention core from q, k, v [batch, heads, n, hd]       x layers
                         (dense causal, written out as in train_torch.py)
  feed_forward           W1, GELU (tanh), W2, forward + backward                     x layers
  head_loss              output linear and cross-entropy, forward + backward         x 1
  optimizer              global-norm clipping and Adam over the whole model          x 1
  embedding              token gather plus learned positions, forward + backward     x 1

Dense shapes only (quickstart, text). Prints "section <name> <ms per step>" lines, then "sum <ms>" and the whole
step of train_torch.py's loop as "step <ms>". Float32, --threads threads (2 by default).

    /usr/bin/python3 step_sections_torch.py --shape quickstart [--threads 2 --reps 15 --warmup 3]
"""
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

import train_torch as T


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", default="quickstart", choices=["quickstart", "text"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    c = T.SHAPES[a.shape]
    b, n, d, h, ffn, vocab, layers = c["batch"], c["n"], c["d"], c["heads"], c["ffn"], c["vocab"], c["layers"]
    hd = d // h
    x = torch.randn(b, n, d, requires_grad=True)

    ln = nn.LayerNorm(d, eps=1e-5)
    qkv, out = nn.Linear(d, 3 * d), nn.Linear(d, d)
    q, k, v = (torch.randn(b, h, n, hd, requires_grad=True) for _ in range(3))
    causal = torch.full((n, n), -1e9).triu(1)
    w1, w2 = nn.Linear(d, ffn), nn.Linear(ffn, d)
    head, targets = nn.Linear(d, vocab), torch.randint(0, vocab, (b * n,))
    tok, pos, ids = nn.Embedding(vocab, d), nn.Parameter(torch.randn(n, d) * 0.02), torch.randint(0, vocab, (b, n))
    model = T.Model(c)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for p in model.parameters():
        p.grad = torch.randn_like(p)

    def backward(y):
        y.backward(torch.ones_like(y))

    def projections():
        backward(qkv(x))
        backward(out(x))

    def attention():
        s = (q / math.sqrt(hd)) @ k.transpose(-1, -2)
        backward(torch.softmax(s + causal, dim=-1) @ v)

    def optimizer():
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    sections = [
        ("layer_norm", 2 * layers + 1, lambda: backward(ln(x))),
        ("attention_projections", layers, projections),
        ("attention", layers, attention),
        ("feed_forward", layers, lambda: backward(w2(F.gelu(w1(x), approximate="tanh")))),
        ("head_loss", 1, lambda: F.cross_entropy(head(x).reshape(-1, vocab), targets).backward()),
        ("optimizer", 1, optimizer),
        ("embedding", 1, lambda: backward(tok(ids) + pos)),
    ]
    total = 0.0
    for name, times, fn in sections:
        ms = T.median_ms(fn, a.reps, a.warmup) * times
        total += ms
        print(f"section {name} {ms:.2f}")
    print(f"sum {total:.2f}")

    g = torch.Generator().manual_seed(1)
    step = lambda: T.train_step(model, opt, torch.randint(0, vocab, (b, n + 1), generator=g), vocab)
    print(f"step {T.median_ms(step, a.reps, a.warmup):.2f}")


if __name__ == "__main__":
    main()

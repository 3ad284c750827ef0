"""PyTorch peer of DecodeBenchmark: the same decoder shapes with a key/value cache (a rolling cache of the last
window + 1 keys for the sliding-window models; for strided, fixed, BigBird and LSH a full cache read densely, which
is what a plain PyTorch decoder with a cache does), float32, batch 1, time per one-token step (median, p99).

    /usr/bin/python3 trainer/src/test/java/dev/sparseattn/trainer/generate/decode_torch.py [models] [steps] [contexts]

models: comma list of dense, sw128-d128, sw256-d128, sw128-d256, sw256-d256, strided, fixed, bigbird, lsh (default
all); contexts: a comma list overriding each model's own (dense 1k, 4k; sliding 1k-64k; the others 4k, 16k).
"""
import math
import os
import sys
import time

import torch

torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "2")))   # 2 as the benchmark; 1 to compare
torch.manual_seed(1)


class Decoder:
    def __init__(self, layers, d, heads, ffn, vocab, window, rotary, context):
        self.d, self.h, self.hd, self.window, self.rotary = d, heads, d // heads, window, rotary
        r = lambda *s: torch.randn(*s) * 0.02
        self.tok = r(vocab, d)
        self.pos = None if rotary else r(context + 1024, d)
        self.layers = [dict(ln1=torch.nn.LayerNorm(d), wqkv=r(d, 3 * d), bqkv=torch.zeros(3 * d), wo=r(d, d),
                            bo=torch.zeros(d), ln2=torch.nn.LayerNorm(d), w1=r(d, ffn), b1=torch.zeros(ffn),
                            w2=r(ffn, d), b2=torch.zeros(d)) for _ in range(layers)]
        self.lnf = torch.nn.LayerNorm(d)
        self.head = r(d, vocab)
        cap = window + 1 if window else context + 1024
        self.k = [torch.randn(heads, cap, self.hd) for _ in range(layers)]
        self.v = [torch.randn(heads, cap, self.hd) for _ in range(layers)]
        self.cap = cap
        self.n = context                      # tokens already in the cache (random stand-ins for a prefill)
        half = self.hd // 2
        self.inv = 10000.0 ** (-torch.arange(half, dtype=torch.float64) * 2 / self.hd)

    def rope(self, x, p):                     # x [heads, hd]
        half = self.hd // 2
        a = (p * self.inv).float()
        c, s = torch.cos(a), torch.sin(a)
        x1, x2 = x[:, :half], x[:, half:]
        return torch.cat([x1 * c - x2 * s, x2 * c + x1 * s], dim=1)

    @torch.no_grad()
    def step(self, token):
        p = self.n
        x = self.tok[token].clone()
        if self.pos is not None:
            x += self.pos[p]
        for i, L in enumerate(self.layers):
            qkv = L["ln1"](x) @ L["wqkv"] + L["bqkv"]
            q, k, v = qkv.view(3, self.h, self.hd)
            if self.rotary:
                q, k = self.rope(q, p), self.rope(k, p)
            slot = p % self.cap if self.window else p
            self.k[i][:, slot] = k
            self.v[i][:, slot] = v
            m = min(p + 1, self.cap)
            keys, vals = self.k[i][:, :m], self.v[i][:, :m]
            scores = (keys @ q.unsqueeze(-1)).squeeze(-1).contiguous() / math.sqrt(self.hd)   # [heads, m]
            att = torch.softmax(scores, dim=-1)   # contiguous: torch 1.13 softmax on the strided bmm output is ~100x slower
            ctx = (att.unsqueeze(1) @ vals).reshape(self.d)
            x = x + ctx @ L["wo"] + L["bo"]
            hdn = torch.nn.functional.gelu(L["ln2"](x) @ L["w1"] + L["b1"], approximate="tanh")
            x = x + hdn @ L["w2"] + L["b2"]
        logits = self.lnf(x) @ self.head
        self.n += 1
        return torch.log_softmax(logits.double(), dim=-1)


def bench(name, dec, steps):
    for _ in range(50):
        dec.step(1)
    t = []
    for _ in range(steps):
        a = time.perf_counter()
        dec.step(1)
        t.append(time.perf_counter() - a)
    t.sort()
    return t[len(t) // 2] * 1e3, t[min(len(t) - 1, math.ceil(0.99 * len(t)) - 1)] * 1e3


def decoder(name, c):
    if name == "dense":
        return Decoder(2, 128, 4, 512, 258, 0, False, c)
    if name.startswith("sw"):
        w, d = int(name[2:name.index("-")]), int(name[name.index("-d") + 2:])
        return Decoder(6, d, 4, 4 * d, 258, w, True, c)
    return Decoder(6, 128, 4, 512, 258, 0, True, c)        # full cache, dense read


def main():
    names = (sys.argv[1] if len(sys.argv) > 1 else
             "dense,sw128-d128,sw256-d128,sw128-d256,sw256-d256,strided,fixed,bigbird,lsh").split(",")
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    given = [int(c) for c in sys.argv[3].split(",")] if len(sys.argv) > 3 else None
    print("model | context | step median ms | step p99 ms")
    for name in names:
        contexts = given or ([1024, 4096] if name == "dense" else
                             [1024, 4096, 16384, 65536] if name.startswith("sw") else [4096, 16384])
        for c in contexts:
            med, p99 = bench(name, decoder(name, c), steps)
            print(f"torch {name} | {c:,} | {med:.3f} | {p99:.3f}", flush=True)


if __name__ == "__main__":
    main()

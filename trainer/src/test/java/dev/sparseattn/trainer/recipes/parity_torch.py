"""PyTorch peer of the text recipe (conf/text-kjv.conf) for TextParityBenchmarkTest.

The same model as dev.sparseattn.trainer.model.network (LmParams, LmLayer): learned token and position tables,
pre-LayerNorm blocks x + Attn(LN1 x), x + FFN(LN2 x) with a fused qkv projection (columns [q | k | v], heads of
consecutive columns), GELU (tanh form), LayerNorm eps 1e-5, a final LayerNorm and an untied output projection
with bias; GPT-2 initialisation (N(0, 0.02); Wo and W2 N(0, 0.02 / sqrt(2 layers)); biases 0, gains 1). Packed
rows attend causally within their document (the Java side's document mask: input position i belongs to the
document of its target, token i + 1; padding attends nowhere). The loss is DL4J's: cross-entropy summed over
non-padding targets divided by the batch size; the whole gradient is clipped to global L2 norm `clip` (DL4J's
ClipL2PerLayer on the model's single layer, applied after the division); Adam (betas, eps 1e-8) with the
learning rate of WarmupCosineSchedule at iteration step-1, and decoupled weight decay (AdamW) on matrices only.

Training and validation rows come from the Java side, in the order its trainer and evaluator read them, as raw
little-endian int32 files of rows of seq_len + 1 ids (and the same shape of segment ids). Prints
`validation_bits_per_token <x>` and the count of validation targets.
"""
import argparse
import math
import time

import numpy as np
import torch
import torch.nn.functional as F


def parse():
    p = argparse.ArgumentParser()
    for name in ["train-rows", "train-segments", "valid-rows", "valid-segments"]:
        p.add_argument("--" + name, required=True)
    for name, default in [("vocab", 258), ("pad", 257), ("seq-len", 512), ("d-model", 256), ("heads", 8),
                          ("layers", 4), ("ffn-hidden", 1024), ("batch", 8), ("steps", 100),
                          ("warmup", 200), ("seed", 1), ("threads", 2), ("log-every", 10)]:
        p.add_argument("--" + name, type=int, default=default)
    for name, default in [("lr", 1e-3), ("min-lr-fraction", 0.1), ("beta1", 0.9), ("beta2", 0.99),
                          ("clip", 1.0), ("weight-decay", 0.0)]:
        p.add_argument("--" + name, type=float, default=default)
    return p.parse_args()


class Model(torch.nn.Module):
    def __init__(self, a):
        super().__init__()
        d, f, n = a.d_model, a.ffn_hidden, a.layers
        std, rstd = 0.02, 0.02 / math.sqrt(2.0 * n)
        P = torch.nn.Parameter
        self.heads = a.heads
        self.tok = P(torch.randn(a.vocab, d) * std)                    # [vocab, d]
        self.pos = P(torch.randn(a.seq_len, d) * std)                  # [L, d]
        self.blocks = torch.nn.ModuleList()
        for _ in range(n):
            b = torch.nn.ParameterDict({
                "ln1g": P(torch.ones(d)), "ln1b": P(torch.zeros(d)),
                "Wqkv": P(torch.randn(d, 3 * d) * std), "bqkv": P(torch.zeros(3 * d)),
                "Wo": P(torch.randn(d, d) * rstd), "bo": P(torch.zeros(d)),
                "ln2g": P(torch.ones(d)), "ln2b": P(torch.zeros(d)),
                "W1": P(torch.randn(d, f) * std), "b1": P(torch.zeros(f)),
                "W2": P(torch.randn(f, d) * rstd), "b2": P(torch.zeros(d))})
            self.blocks.append(b)
        self.lnfg = P(torch.ones(d))
        self.lnfb = P(torch.zeros(d))
        self.headW = P(torch.randn(d, a.vocab) * std)                  # [d, vocab]
        self.headb = P(torch.zeros(a.vocab))

    def matrices(self):
        """The parameters AdamW decays: the block and head matrices (not biases, gains or embeddings)."""
        return [b[k] for b in self.blocks for k in ("Wqkv", "Wo", "W1", "W2")] + [self.headW]

    def forward(self, ids, allowed):
        # ids [B, L]; allowed [B, 1, L, L] bool
        B, L = ids.shape
        d = self.tok.shape[1]
        h, hd = self.heads, d // self.heads
        x = self.tok[ids] + self.pos[:L]                               # [B, L, d]
        for b in self.blocks:
            y = F.layer_norm(x, (d,), b["ln1g"], b["ln1b"], 1e-5)
            qkv = y @ b["Wqkv"] + b["bqkv"]                            # [B, L, 3d]
            q, k, v = (t.view(B, L, h, hd).transpose(1, 2) for t in qkv.split(d, dim=2))  # [B, h, L, hd]
            s = (q @ k.transpose(2, 3)) / math.sqrt(hd)                # [B, h, L, L]
            s = s.masked_fill(~allowed, float("-inf"))
            o = (torch.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(B, L, d)
            x = x + o @ b["Wo"] + b["bo"]
            y = F.layer_norm(x, (d,), b["ln2g"], b["ln2b"], 1e-5)
            x = x + F.gelu(y @ b["W1"] + b["b1"], approximate="tanh") @ b["W2"] + b["b2"]
        x = F.layer_norm(x, (d,), self.lnfg, self.lnfb, 1e-5)
        return x @ self.headW + self.headb                             # [B, L, vocab]


def batch(rows, segs, pad):
    """Inputs, targets, target mask and attention mask of rows [B, L+1] (as TransformerLM.toDataSet)."""
    rows = torch.from_numpy(rows).long()
    segs = torch.from_numpy(segs).long()
    ids, targets = rows[:, :-1], rows[:, 1:]
    L = ids.shape[1]
    doc = torch.where(segs[:, 1:] >= 0, segs[:, 1:], segs[:, :-1])   # the document of each input's target
    doc = torch.where(ids == pad, torch.full_like(doc, -2), doc)      # padding: no document
    causal = torch.tril(torch.ones(L, L, dtype=torch.bool))
    allowed = (doc[:, :, None] == doc[:, None, :]) & causal & (ids != pad)[:, None, :]
    allowed = allowed | torch.eye(L, dtype=torch.bool)                # padded queries: no NaN (no loss there)
    return ids.clamp(max=pad), targets, targets != pad, allowed[:, None]


def lr_at(a, iteration):
    if iteration < a.warmup:
        return a.lr * (iteration + 1) / a.warmup
    progress = min(1.0, (iteration - a.warmup) / max(1, a.steps - a.warmup))
    return a.lr * (a.min_lr_fraction + (1 - a.min_lr_fraction) * 0.5 * (1 + math.cos(math.pi * progress)))


def main():
    a = parse()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    width = a.seq_len + 1
    train = np.fromfile(a.train_rows, dtype="<i4").reshape(-1, width)
    train_seg = np.fromfile(a.train_segments, dtype="<i4").reshape(-1, width)
    valid = np.fromfile(a.valid_rows, dtype="<i4").reshape(-1, width)
    valid_seg = np.fromfile(a.valid_segments, dtype="<i4").reshape(-1, width)
    assert train.shape[0] >= a.steps * a.batch, "need %d training rows, got %d" % (a.steps * a.batch, train.shape[0])
    model = Model(a)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr, betas=(a.beta1, a.beta2), eps=1e-8)
    decayed = model.matrices()
    start = time.time()
    for step in range(1, a.steps + 1):
        lo = (step - 1) * a.batch
        ids, targets, mask, allowed = batch(train[lo:lo + a.batch], train_seg[lo:lo + a.batch], a.pad)
        logits = model(ids, allowed)
        nll = F.cross_entropy(logits.reshape(-1, a.vocab), targets.reshape(-1), reduction="none")
        loss = (nll * mask.reshape(-1)).sum() / ids.shape[0]          # DL4J: summed loss / minibatch size
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip)
        lr = lr_at(a, step - 1)
        with torch.no_grad():
            before = [p.detach().clone() for p in decayed] if a.weight_decay > 0 else None
        for g in opt.param_groups:
            g["lr"] = lr
        opt.step()
        if before is not None:
            with torch.no_grad():
                for p, w in zip(decayed, before):
                    p.sub_(lr * a.weight_decay * w)
        if step % a.log_every == 0 or step == a.steps:
            bits = (nll * mask.reshape(-1)).sum().item() / mask.sum().item() / math.log(2)
            print("step %d loss %.3f bits/token lr %.2e elapsed %.0f s" % (step, bits, lr, time.time() - start),
                  flush=True)
    nats, count = 0.0, 0
    with torch.no_grad():
        for lo in range(0, valid.shape[0], a.batch):
            ids, targets, mask, allowed = batch(valid[lo:lo + a.batch], valid_seg[lo:lo + a.batch], a.pad)
            logits = model(ids, allowed)
            nll = F.cross_entropy(logits.reshape(-1, a.vocab), targets.reshape(-1), reduction="none")
            nats += (nll * mask.reshape(-1)).sum().item()
            count += int(mask.sum().item())
    print("validation_targets %d" % count)
    print("validation_bits_per_token %.6f" % (nats / count / math.log(2)))
    print("train_seconds %.1f" % (time.time() - start))


if __name__ == "__main__":
    main()

"""PyTorch peer of SoftmaxBenchmark: torch.softmax over the last axis of float32 scores of the same shapes.

Usage: python3 softmax_torch.py --threads 2 --shapes 16x4x256x256,4x16x256x512 --reps 10
Prints one line per shape: "softmax shape 16x4x256x256 best_ms 3.1 median_ms 3.4".
"""
import argparse
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--shapes", default="16x4x256x256,4x16x256x512")
    ap.add_argument("--reps", type=int, default=10)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(11)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}", flush=True)
    for spec in a.shapes.split(","):
        shape = [int(x) for x in spec.split("x")]
        x = torch.randn(*shape) * 4
        out = torch.empty_like(x)
        for _ in range(5):
            torch.softmax(x, dim=-1, out=out)
        times = []
        for _ in range(a.reps):
            t = time.perf_counter()
            torch.softmax(x, dim=-1, out=out)
            times.append(time.perf_counter() - t)
        times.sort()
        print(f"softmax shape {spec} best_ms {times[0] * 1e3:.2f} median_ms {times[len(times) // 2] * 1e3:.2f}",
              flush=True)


if __name__ == "__main__":
    main()

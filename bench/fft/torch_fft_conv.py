#!/usr/bin/python3
"""PyTorch CPU baseline of the FFT long convolution, same shapes as m2vk_bench_fft.

y = irfft(rfft(x, n) * rfft(K, n) / n, n, norm="forward")[..., :L] + D * x, with x (B, C, L)
channel-major float32, the combined kernel K (C, n) of the architecture doc 3.5, n = 2L (the
reference implementation's size). The filter spectrum is computed once, outside the timing
(as m2vk caches it). Prints a table and JSON (--json FILE). Run with /usr/bin/python3
(Debian's python3-torch).

  /usr/bin/python3 bench/fft/torch_fft_conv.py [--len 512,2048,8192,32768] [--batch 1,8]
      [--channels 768] [--reps 5] [--threads 2] [--skip 8:32768] [--json out.json]
"""
import argparse
import json
import os
import statistics
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--len", default="512,2048,8192,32768")
    ap.add_argument("--batch", default="1,8")
    ap.add_argument("--channels", type=int, default=768)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip", default="8:32768")
    ap.add_argument("--json", default="")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    skip = {tuple(int(v) for v in s.split(":")) for s in a.skip.split(",") if s}
    C = a.channels
    rows = []
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'L':>6} {'B':>2} {'n':>6} | {'torch ms':>9} {'GB/s':>7}")
    for L in [int(v) for v in a.len.split(",")]:
        n = 2 * L
        g = torch.Generator().manual_seed(0)
        kf = torch.randn(C, L, generator=g) * 0.1
        kr = torch.randn(C, L, generator=g) * 0.1
        K = torch.zeros(C, n)
        K[:, :L] = kf
        K[:, L + 1:] = kr.flip(-1)[:, 1:]  # K[n - d] = kr[d - 1], d = 1 .. L-1
        Kf = torch.fft.rfft(K, n=n) / n
        D = torch.randn(C, 1, generator=g)
        for B in [int(v) for v in a.batch.split(",")]:
            if (B, L) in skip:
                print(f"{L:>6} {B:>2} {n:>6} | skipped (--skip)")
                rows.append({"len": L, "batch": B, "skipped": True})
                continue
            x = torch.randn(B, C, L, generator=g)

            def once():
                y = torch.fft.irfft(torch.fft.rfft(x, n=n) * Kf, n=n, norm="forward")[..., :L]
                return y + D * x

            once()
            ts = []
            for _ in range(a.reps):
                t0 = time.perf_counter()
                once()
                ts.append((time.perf_counter() - t0) * 1e3)
            ms = statistics.median(ts)
            gbs = 2 * B * C * L * 4 / (ms * 1e6)
            print(f"{L:>6} {B:>2} {n:>6} | {ms:>9.2f} {gbs:>7.2f}")
            rows.append({"len": L, "batch": B, "fft_size": n, "torch_ms": ms, "torch_gbs": gbs})
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "channels": C, "reps": a.reps,
           "timing": "host wall-clock, median", "rows": rows}
    if a.json:
        with open(a.json + ".tmp", "w") as f:
            json.dump(out, f, indent=2)
        os.replace(a.json + ".tmp", a.json)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()

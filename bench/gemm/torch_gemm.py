#!/usr/bin/python3
"""PyTorch CPU baseline of the M2-BERT 80M GEMMs (bench/gemm), same shapes as m2vk_bench_gemm.

Run with Debian's interpreter (/usr/bin/python3, python3-torch 1.13). Prints a table and, with
--json FILE, writes the figures. torch.__config__.show() is printed first so the BLAS in use
(OpenBLAS when libopenblas0-pthread is installed) is on record.
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F


def timeit(fn, reps):
    fn()  # warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--len", default="512,2048")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--json")
    args = ap.parse_args()
    print(torch.__config__.show())
    print("threads:", torch.get_num_threads())
    torch.manual_seed(0)
    H, I, nb = 768, 3072, 4
    results = []
    print("%-34s %7s %10s %10s" % ("GEMM", "L", "ms", "GFLOP/s"))
    for L in [int(v) for v in args.len.split(",")]:
        rows = args.batch * L
        x = torch.randn(rows, H)
        w_in, b_in = torch.randn(3 * H, H), torch.randn(3 * H)
        w_out, b_out = torch.randn(H, H), torch.randn(H)
        w_g = torch.randn(nb, 2 * I // nb, H // nb)
        w_o, b_o = torch.randn(nb, H // nb, I // nb), torch.randn(H)
        a = torch.randn(rows, I)
        res = torch.randn(rows, H)

        def blockdiag(inp, w):  # (rows, in) x (nb, q, p) -> (rows, out), as BlockdiagMultiply
            return torch.bmm(inp.reshape(rows, nb, -1).transpose(0, 1), w.transpose(1, 2)).transpose(0, 1).reshape(rows, -1)

        def glu():
            g = blockdiag(x, w_g)
            return F.gelu(g[:, :I]) * g[:, I:]

        cases = [
            ("in_linear 768->2304", lambda: F.linear(x, w_in, b_in), rows * H * 3 * H),
            ("out_linear 768->768", lambda: F.linear(x, w_out, b_out), rows * H * H),
            ("gated_layers 4x(192->1536)", lambda: blockdiag(x, w_g), rows * (H // nb) * 2 * I),
            ("gated_layers 4x(192->1536)+GLU", glu, rows * (H // nb) * 2 * I),
            ("wo 4x(768->192)+residual", lambda: blockdiag(a, w_o) + b_o + res, rows * (I // nb) * H),
        ]
        with torch.no_grad():
            for name, fn, macs in cases:
                t = timeit(fn, args.reps)
                gf = 2.0 * macs / t / 1e9
                print("%-34s %7d %10.2f %10.2f" % (name, L, t * 1e3, gf))
                results.append({"gemm": name, "len": L, "batch": args.batch, "ms": t * 1e3, "gflops": gf})
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}, f, indent=2)


if __name__ == "__main__":
    main()

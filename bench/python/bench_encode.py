"""Tokens/s of m2vk.Model.encode against `m2vk embed` on the same texts and device (the Python
layer's overhead), and of m2vk.dask with 1 and 2 single-threaded workers.

    PYTHONPATH=build/python /usr/bin/python3 bench/python/bench_encode.py --cli build/tools/m2vk \
        --model MODEL_DIR --device cpu --texts 2000 --max-length 64 --batch-size 16

Both sides include model loading (the CLI cannot leave it out); "encode only" is reported too.
"""
import argparse
import os
import random
import subprocess
import tempfile
import time

import numpy as np

import m2vk
import m2vk.dask

WORDS = "the of and a to in is you that it he was for on are as with his they at be this from".split()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cli", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--device", default="cpu")
    p.add_argument("--texts", type=int, default=2000)
    p.add_argument("--max-length", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--dask", action="store_true", help="also time m2vk.dask with 1 and 2 workers")
    a = p.parse_args()
    rng = random.Random(0)
    texts = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 40))) for _ in range(a.texts)]
    tmp = tempfile.mkdtemp()
    inp = os.path.join(tmp, "in.txt")
    with open(inp, "w") as f:
        f.write("".join(t + "\n" for t in texts))
    t0 = time.perf_counter()
    m = m2vk.Model(a.model, device=a.device, max_length=a.max_length)
    t1 = time.perf_counter()
    emb = m.encode(texts, batch_size=a.batch_size, show_progress_bar=False)
    t2 = time.perf_counter()
    tokens = int(sum(m.tokenize(texts)["attention_mask"].sum(axis=1)))
    out = os.path.join(tmp, "cli.npy")
    t3 = time.perf_counter()
    subprocess.run([a.cli, "embed", "--model", a.model, "--device", a.device, "--max-length", str(a.max_length),
                    "--batch-size", str(a.batch_size), "--input", inp, "--format", "npy", "--output", out],
                   check=True, capture_output=True)
    t4 = time.perf_counter()
    assert np.array_equal(np.load(out), emb)
    print(f"{a.texts} texts, {tokens} real tokens, padded to {a.max_length}, device {m.device}")
    print(f"python load+encode {tokens / (t2 - t0):.0f} tok/s ({t2 - t0:.2f} s; encode only {t2 - t1:.2f} s)")
    print(f"cli    load+embed  {tokens / (t4 - t3):.0f} tok/s ({t4 - t3:.2f} s)")
    print(f"python / cli = {(t4 - t3) / (t2 - t0):.3f}")
    if a.dask:
        import dask.bag as db
        from distributed import Client, LocalCluster



        for n in (1, 2):
            with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as c, \
                    Client(c) as client:
                bag = db.from_sequence(texts, npartitions=8 * n)
                client.run(lambda: m2vk.dask._model(a.model, {"device": a.device, "max_length": a.max_length}) and None)
                t5 = time.perf_counter()
                got = np.stack(m2vk.dask.embed_bag(bag, a.model, device=a.device, max_length=a.max_length,
                                                   batch_size=a.batch_size).compute())
                t6 = time.perf_counter()
                assert got.shape == emb.shape
                print(f"dask {n} worker(s), models preloaded: {tokens / (t6 - t5):.0f} tok/s ({t6 - t5:.2f} s)")


if __name__ == "__main__":
    main()

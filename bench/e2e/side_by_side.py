#!/usr/bin/env python3
"""m2vk beside the PyTorch baseline as a user meets them, in one run, interleaved.

For each length L and repeat, in alternating order (so machine noise hits both alike):
  - a fresh `m2vk embed --model DIR --max-length L TEXT` process, timed from outside (load, first
    pass, exit: what `time m2vk embed ...` shows), which reads the filter spectra an earlier
    process at L wrote to the cache folder (the run's first process, recorded apart);
  - the same with `--spectrum-cache 0`: it builds the spectra, as the first process at a length does;
  - a fresh `m2bert_torch.py once` process at L, timed from outside and with its own load and
    first-pass figures;
then, once per length, the steady pass of each: `m2vk_bench_e2e --lengths L` (which also reports
load and first-pass stages) and `m2bert_torch.py bench --lengths L`.

PyTorch runs with --threads (default 2) and OPENBLAS_NUM_THREADS set to the same; the BLAS it
got is printed and recorded (Debian's reference BLAS would make the baseline ~25x slower).

    /usr/bin/python3 bench/e2e/side_by_side.py --model /tmp/m80 --lengths 128,512,2048,8192 \\
        --repeats 3 --json bench/e2e/results/side_by_side.json

Prints a table and writes JSON; asserts nothing (a benchmark, not a test).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TEXT = "The quick brown fox jumps over the lazy dog."


def timed(cmd, env):
    """Runs cmd; returns (wall seconds, stdout). Raises with the command's stderr on failure."""
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return wall, p.stdout


def last_json(text):
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError("no JSON line in output:\n" + text[-2000:])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="model folder (e.g. m2vk demo-model DIR --shape 80m-32k)")
    ap.add_argument("--lengths", default="128,512,2048,8192")
    ap.add_argument("--repeats", type=int, default=3, help="fresh processes per length and side")
    ap.add_argument("--steady-repeats", type=int, default=2, help="timed steady passes per length and side")
    ap.add_argument("--threads", type=int, default=2, help="PyTorch / OpenBLAS threads")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()

    m2vk = os.path.join(args.build, "tools", "m2vk")
    bench = os.path.join(args.build, "bench", "e2e", "m2vk_bench_e2e")
    torch_script = os.path.join(ROOT, "bench", "torch", "m2bert_torch.py")
    for f in (m2vk, bench):
        if not os.access(f, os.X_OK):
            sys.exit(f"side_by_side: {f} is missing: build first (cmake --build {args.build})")
    env = dict(os.environ)
    env.setdefault("VK_ICD_FILENAMES", "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json")
    env.setdefault("VK_DRIVER_FILES", env["VK_ICD_FILENAMES"])
    env["M2VK_VALIDATION"] = "0"
    torch_env = dict(env, OPENBLAS_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE,
                            text=True).stdout.strip()

    load_start = os.getloadavg()
    rows = []
    blas = None
    cold = {}
    for L in [int(x) for x in args.lengths.split(",")]:
        # A first m2vk process at this length fills the pipeline cache, the driver's shader cache
        # and the kernel-choice file, as any earlier use would: the timed processes below are what
        # a user's later runs cost (this one is printed and recorded apart).
        cold[L], _ = timed([m2vk, "embed", "--model", args.model, "--max-length", str(L), TEXT], env)
        print(f"L={L}: m2vk process with the caches as they were {cold[L]:.2f} s", flush=True)
        fresh_m2vk, fresh_build, fresh_torch, torch_inner = [], [], [], []
        for r in range(args.repeats):
            order = ("m2vk", "build", "torch") if r % 2 == 0 else ("torch", "build", "m2vk")
            for side in order:
                if side == "m2vk":  # reads the spectrum files the first process wrote
                    wall, _ = timed([m2vk, "embed", "--model", args.model, "--max-length", str(L), TEXT], env)
                    fresh_m2vk.append(wall)
                elif side == "build":  # spectrum files off: builds the spectra as a first run does
                    wall, _ = timed([m2vk, "embed", "--model", args.model, "--max-length", str(L),
                                     "--spectrum-cache", "0", TEXT], env)
                    fresh_build.append(wall)
                else:
                    wall, out = timed([args.python, torch_script, "once", "--model", args.model, "--length", str(L),
                                       "--threads", str(args.threads)], torch_env)
                    j = last_json(out)
                    blas = j["blas"]
                    fresh_torch.append(wall)
                    torch_inner.append(j["load_s"] + j["first_pass_s"])
            print(f"L={L} repeat {r + 1}: m2vk process {fresh_m2vk[-1]:.2f} s (building spectra {fresh_build[-1]:.2f} s), "
                  f"PyTorch process {fresh_torch[-1]:.2f} s "
                  f"(load + first pass inside it {torch_inner[-1]:.2f} s)", flush=True)
        # Steady passes, m2vk first on even lengths' index, PyTorch first otherwise.
        with tempfile.TemporaryDirectory() as tmp:
            jm = os.path.join(tmp, "m2vk.json")
            steady = {}
            sides = ["m2vk", "torch"] if len(rows) % 2 == 0 else ["torch", "m2vk"]
            for side in sides:
                if side == "m2vk":
                    timed([bench, "--model", args.model, "--lengths", str(L), "--repeats", str(args.steady_repeats),
                           "--json", jm], env)
                    steady["m2vk"] = json.load(open(jm))
                else:
                    _, out = timed([args.python, torch_script, "bench", "--model", args.model, "--lengths", str(L),
                                    "--repeats", str(args.steady_repeats), "--threads", str(args.threads)], torch_env)
                    steady["torch"] = last_json(out)
        mres, tres = steady["m2vk"]["results"][0], steady["torch"]["results"][0]
        row = {
            "L": L,
            "m2vk_process_s": fresh_m2vk, "m2vk_process_caches_as_they_were_s": cold[L],
            "m2vk_process_building_spectra_s": fresh_build,
            "torch_process_s": fresh_torch, "torch_load_first_s": torch_inner,
            "m2vk_steady_ms": mres["ms"], "torch_steady_ms": tres["ms"],
            "m2vk_first_pass_ms": 1e3 * mres["warm_up_s"], "torch_first_pass_ms": tres["first_pass_ms"],
            "m2vk_first_pass_stages_ms": mres.get("first_pass_stages_ms", {}),
            "m2vk_load_warm_s": steady["m2vk"]["load_warm_s"],
            "m2vk_load_warm_stages_ms": steady["m2vk"].get("load_warm_stages_ms", {}),
            "torch_load_s": steady["torch"]["load_s"],
        }
        rows.append(row)
        med = statistics.median
        print(f"L={L}: fresh process m2vk {med(fresh_m2vk):.2f} s (building spectra {med(fresh_build):.2f} s) vs PyTorch "
              f"{med(fresh_torch):.2f} s ({med(fresh_torch) / med(fresh_m2vk):.2f}x, "
              f"{med(fresh_torch) / med(fresh_build):.2f}x); steady m2vk {mres['ms']:.0f} ms vs PyTorch "
              f"{tres['ms']:.0f} ms ({tres['ms'] / mres['ms']:.2f}x)", flush=True)

    med = statistics.median
    load_end = os.getloadavg()
    print(f"\nPyTorch: {args.threads} threads, BLAS {blas}; m2vk at {commit}; load average "
          f"{load_start[0]:.1f} at the start, {load_end[0]:.1f} at the end")
    hdr = ("L", "m2vk load s", "m2vk 1st pass s", "m2vk steady s", "m2vk process s", "m2vk process, building spectra s",
           "torch load s", "torch 1st pass s", "torch steady s", "torch process s", "process ratio",
           "process ratio, building", "steady ratio")
    print("| " + " | ".join(hdr) + " |")
    print("|" + "---|" * len(hdr))
    for r in rows:
        vals = (r["L"], f"{r['m2vk_load_warm_s']:.2f}", f"{r['m2vk_first_pass_ms'] / 1e3:.2f}",
                f"{r['m2vk_steady_ms'] / 1e3:.2f}", f"{med(r['m2vk_process_s']):.2f}",
                f"{med(r['m2vk_process_building_spectra_s']):.2f}", f"{r['torch_load_s']:.2f}",
                f"{r['torch_first_pass_ms'] / 1e3:.2f}", f"{r['torch_steady_ms'] / 1e3:.2f}",
                f"{med(r['torch_process_s']):.2f}",
                f"{med(r['torch_process_s']) / med(r['m2vk_process_s']):.2f}x",
                f"{med(r['torch_process_s']) / med(r['m2vk_process_building_spectra_s']):.2f}x",
                f"{r['torch_steady_ms'] / r['m2vk_steady_ms']:.2f}x")
        print("| " + " | ".join(str(v) for v in vals) + " |")
    if args.json:
        out = {"bench": "side_by_side", "commit": commit, "model": args.model, "threads": args.threads, "blas": blas,
               "load_average_start": load_start[0], "load_average_end": load_end[0], "rows": rows}
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(out, f, indent=2)
        os.replace(tmp, args.json)


if __name__ == "__main__":
    main()

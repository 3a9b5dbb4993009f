#!/usr/bin/env python3
"""M2-BERT forward pass in plain PyTorch, written from docs (m2bert-architecture.md section 3).

The PyTorch baseline for m2vk's end-to-end benchmarks. It is independent of the original
HazyResearch code (no imports from it) and is validated against the golden sets before timing:

    /usr/bin/python3 bench/torch/m2bert_torch.py validate tests/data/golden
    /usr/bin/python3 bench/torch/m2bert_torch.py bench --model DIR --lengths 128,512,2048 [--device cuda] [--tf32]
    /usr/bin/python3 bench/torch/m2bert_torch.py once --model DIR --length 512 --threads 2

`bench` times the steady pass (after one warm-up pass, whose time it reports as first_pass_ms);
`once` is a user's first embedding: load, then one pass. Both print which BLAS torch got: Debian's
reference BLAS makes the linear layers about 25x slower than OpenBLAS (libopenblas0-pthread),
which would flatter m2vk, so CPU baselines must show "openblas".

Weights are read from model.safetensors (a small numpy reader below: torch 1.13 has no safetensors
support) or pytorch_model.bin / model.pt through torch.load.
"""
import argparse
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch

# ---------------------------------------------------------------------------------------------
# Reading weights and golden files


_ST_DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64,
              "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}


def read_safetensors(path):
    """Returns {name: torch.Tensor} from a safetensors file (BF16 upcast to float32)."""
    with open(path, "rb") as f:
        data = f.read()
    (hlen,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + hlen])
    base = 8 + hlen
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        raw = data[base + b:base + e]
        if info["dtype"] == "BF16":
            u16 = np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16
            arr = u16.view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype=_ST_DTYPES[info["dtype"]])
        out[name] = torch.from_numpy(arr.copy().reshape(info["shape"]))
    return out


def load_state_dict(model_dir):
    for name in ("model.safetensors",):
        p = os.path.join(model_dir, name)
        if os.path.exists(p):
            return read_safetensors(p)
    for sub in ("", "checkpoint"):
        for name in ("pytorch_model.bin", "model.pt"):
            p = os.path.join(model_dir, sub, name)
            if os.path.exists(p):
                sd = torch.load(p, map_location="cpu")
                if "state" in sd and "model" in sd["state"]:  # Composer checkpoint
                    sd = sd["state"]["model"]
                return {k[len("model."):] if k.startswith("model.") else k: v for k, v in sd.items()}
    raise FileNotFoundError(f"{model_dir}: no model.safetensors, pytorch_model.bin or model.pt")


# ---------------------------------------------------------------------------------------------
# The model


class M2Bert:
    def __init__(self, cfg, sd, device="cpu"):
        self.cfg = cfg
        self.dev = device
        self.w = {k: v.to(device=device, dtype=torch.float32) for k, v in sd.items()
                  if v.is_floating_point()}
        self.H = cfg["hidden_size"]
        self.eps = cfg.get("layer_norm_eps", 1e-12)
        self.bidir = cfg.get("bidirectional", True)
        self.residual = cfg.get("residual_long_conv", False)
        self.glu = cfg.get("use_glu_mlp", True)
        self.monarch = cfg.get("use_monarch_mlp", True)
        self.w_mod = cfg.get("hyena_w_mod", 1)
        self.pos = cfg.get("use_positional_encodings", True)
        self.filters = {}  # (prefix, L) -> (H, N) spectrum

    def ln(self, x, pre):
        return torch.nn.functional.layer_norm(x, (x.shape[-1],), self.w[pre + ".weight"],
                                              self.w[pre + ".bias"], self.eps)

    def linear(self, x, pre, bias=True):
        w = self.w[pre + ".weight"]
        b = self.w.get(pre + ".bias") if bias else None
        if w.dim() == 3:  # block-diagonal (nb, out/nb, in/nb)
            nb, q, p = w.shape
            xs = x.reshape(*x.shape[:-1], nb, p)
            y = torch.einsum("...kp,kqp->...kq", xs, w).reshape(*x.shape[:-1], nb * q)
            return y + b if b is not None else y
        return torch.nn.functional.linear(x, w, b)

    def implicit_filter(self, pre, L):
        z = self.w[pre + ".pos_emb.z"][0, :L]
        t = self.w[pre + ".pos_emb.t"][0, :L]
        freq = self.w[pre + ".implicit_filter.1.freq"]

        def mlp(m):
            a = z
            for i in (0, 2, 4):
                a = torch.sin(self.w_mod * freq * torch.nn.functional.linear(
                    a, self.w[f"{pre}.{m}.{i}.weight"], self.w[f"{pre}.{m}.{i}.bias"]))
            h = torch.nn.functional.linear(a, self.w[f"{pre}.{m}.6.weight"])
            return (h * torch.exp(-t * self.w[pre + ".modulation.deltas"][0].abs())).t()  # (H, L)

        kf = mlp("implicit_filter")
        kr = mlp("implicit_filter_rev") if self.bidir else None
        return kf, kr

    def spectrum(self, pre, L):
        key = (pre, L)
        if key not in self.filters:
            kf, kr = self.implicit_filter(pre, L)
            n = 2 * L
            K = torch.zeros(self.H, n, device=self.dev)
            K[:, :L] = kf
            if kr is not None:
                K[:, L + 1:] = kr.flip(-1)[:, 1:]  # K[n-d] = kr[d-1], d = 1..L-1
            self.filters[key] = torch.fft.rfft(K, n=n)
        return self.filters[key]

    def long_conv(self, x, pre):  # x (B, H, L)
        L = x.shape[-1]
        y = torch.fft.irfft(torch.fft.rfft(x, n=2 * L) * self.spectrum(pre, L), n=2 * L)[..., :L]
        return y + self.w[pre + ".bias"][:, None] * x

    def layer(self, h, i):
        p = f"bert.encoder.layer.{i}"
        B, L, H = h.shape
        proj = self.linear(h, p + ".attention.in_linear").transpose(1, 2)  # (B, 3H, L)
        q = torch.nn.functional.conv1d(proj, self.w[p + ".attention.short_filter.weight"],
                                       self.w[p + ".attention.short_filter.bias"], padding=2,
                                       groups=3 * H)[..., :L]
        x1, x2, v = q[:, :H], q[:, H:2 * H], q[:, 2 * H:]
        y = self.long_conv(v * x1, p + ".attention.filter_fn") * x2
        if self.residual:
            y = y + self.long_conv(h.transpose(1, 2), p + ".attention.filter_fn2")
        m = self.linear(y.transpose(1, 2), p + ".attention.out_linear")
        g = self.linear(m, p + ".mlp.gated_layers", bias=False)
        if self.glu:
            I = g.shape[-1] // 2
            a = torch.nn.functional.gelu(g[..., :I]) * g[..., I:]
        else:
            a = torch.nn.functional.gelu(g)
        o = self.linear(a, p + ".mlp.wo")
        return self.ln(o + m, p + ".mlp.layernorm")

    @torch.no_grad()
    def forward(self, input_ids, token_type_ids=None, attention_mask=None):
        B, L = input_ids.shape
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        e = self.w["bert.embeddings.word_embeddings.weight"][input_ids]
        e = e + self.w["bert.embeddings.token_type_embeddings.weight"][token_type_ids]
        if self.pos:
            e = e + self.w["bert.embeddings.position_embeddings.weight"][:L][None]
        h = self.ln(e, "bert.embeddings.LayerNorm")
        for i in range(self.cfg["num_hidden_layers"]):
            h = self.layer(h, i)
        if self.cfg.get("pool_all", False):
            m = attention_mask.to(h.dtype)[..., None]
            first = (h * m).sum(1) / m.sum(1)
        else:
            first = h[:, 0]
        out = {"last_hidden_state": h}
        if "bert.pooler.dense.weight" in self.w:
            out["pooled_output"] = torch.tanh(self.linear(first, "bert.pooler.dense"))
            if "classifier.weight" in self.w and "num_labels" in self.cfg:
                out["logits"] = self.linear(out["pooled_output"], "classifier")
        return out


# ---------------------------------------------------------------------------------------------
# Commands


def validate(golden_root):
    """Runs every golden set; returns the worst scaled error (must be <= 1e-4)."""
    worst = 0.0
    for name in sorted(os.listdir(golden_root)):
        d = os.path.join(golden_root, name)
        if not os.path.exists(os.path.join(d, "inputs.json")):
            continue
        cfg = json.load(open(os.path.join(d, "config.json")))
        try:
            sd = load_state_dict(d)
        except ModuleNotFoundError as e:  # Composer pickles reference classes torch cannot import
            print(f"{name}: skipped ({e}); its weights equal tiny-retrieval's")
            continue
        model = M2Bert(cfg, sd)
        for fname in sorted(os.listdir(d)):
            if not fname.startswith("expected"):
                continue
            exp = read_safetensors(os.path.join(d, fname))
            out = model.forward(exp["input_ids"], exp["token_type_ids"], exp["attention_mask"])
            for key in ("last_hidden_state", "pooled_output", "logits"):
                if key in exp and key in out:
                    ref = exp[key]
                    err = ((out[key] - ref).abs().max() / max(1.0, ref.abs().max().item())).item()
                    worst = max(worst, err)
                    print(f"{name}/{fname} {key}: scaled error {err:.2e}")
    print(f"worst scaled error {worst:.2e} ({'PASS' if worst <= 1e-4 else 'FAIL'})")
    return worst


def blas_in_use():
    """The BLAS library mapped into this process (torch's CPU matmuls call it), e.g. 'openblas
    (/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so)'."""
    torch.ones(64, 64) @ torch.ones(64, 64)  # make sure the BLAS is loaded
    libs = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            name = os.path.basename(path)
            if ("blas" in name or "mkl_core" in name) and path not in libs:
                libs.append(path)
    for path in libs:
        name = os.path.basename(path)
        kind = "openblas" if "openblas" in name else "mkl" if "mkl" in name else "blis" if "blis" in name else None
        if kind:
            return f"{kind} ({path})"
    # libblas.so.3 is an alternatives link: resolve it to see which implementation it is.
    for path in libs:
        real = os.path.realpath(path)
        if "openblas" in real:
            return f"openblas ({real})"
        return f"reference ({real}): install libopenblas0-pthread for a fair baseline"
    return "none found"


def runtime_info():
    return {"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_in_use()}


def make_ids(batch, L, g, dev):
    ids = torch.randint(1000, 30000, (batch, L), generator=g)
    ids[:, 0] = 101
    return ids.to(dev)


def once(args):
    """Load + first pass at one length, as a fresh process running one embedding pays them."""
    t0 = time.perf_counter()
    cfg = json.load(open(os.path.join(args.model, "config.json")))
    model = M2Bert(cfg, load_state_dict(args.model), "cpu")
    load_s = time.perf_counter() - t0
    ids = make_ids(1, args.length, torch.Generator().manual_seed(0), "cpu")
    t1 = time.perf_counter()
    model.forward(ids)
    first_s = time.perf_counter() - t1
    print(json.dumps({"bench": "m2bert_torch_once", "model": args.model, "L": args.length, "load_s": load_s,
                      "first_pass_s": first_s, **runtime_info()}))


def bench(args):
    dev = args.device
    if dev == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = args.tf32
        torch.backends.cudnn.allow_tf32 = args.tf32
    cfg = json.load(open(os.path.join(args.model, "config.json")))
    t0 = time.perf_counter()
    model = M2Bert(cfg, load_state_dict(args.model), dev)
    load_s = time.perf_counter() - t0
    g = torch.Generator().manual_seed(0)
    results = []
    for L in [int(x) for x in args.lengths.split(",")]:
        ids = make_ids(args.batch, L, g, dev)

        def run():
            out = model.forward(ids)
            if dev == "cuda":
                torch.cuda.synchronize()
            return out

        t = time.perf_counter()
        run()  # warm-up: filter spectra, kernels
        first_ms = 1e3 * (time.perf_counter() - t)
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            out = run()
            times.append(time.perf_counter() - t)
        ms = 1e3 * sorted(times)[len(times) // 2]
        r = {"L": L, "batch": args.batch, "ms": ms, "first_pass_ms": first_ms, "tokens_per_s": args.batch * L / (ms / 1e3),
             "device": dev, "tf32": bool(args.tf32), "threads": torch.get_num_threads()}
        if args.dump:
            r["pooled_first"] = out["pooled_output"][0, :8].tolist()
        results.append(r)
        print(f"L={L:6d} batch={args.batch} {ms:10.1f} ms  {r['tokens_per_s']:10.0f} tok/s", flush=True)
    print(json.dumps({"bench": "m2bert_torch", "model": args.model, "load_s": load_s, **runtime_info(),
                      "results": results}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("validate")
    v.add_argument("golden_root")
    b = sub.add_parser("bench")
    b.add_argument("--model", required=True)
    b.add_argument("--lengths", default="128,512,2048")
    b.add_argument("--batch", type=int, default=1)
    b.add_argument("--repeats", type=int, default=3)
    b.add_argument("--device", default="cpu")
    b.add_argument("--tf32", action="store_true")
    b.add_argument("--threads", type=int, default=0)
    b.add_argument("--dump", action="store_true")
    o = sub.add_parser("once")
    o.add_argument("--model", required=True)
    o.add_argument("--length", type=int, required=True)
    o.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    if args.cmd == "validate":
        sys.exit(0 if validate(args.golden_root) <= 1e-4 else 1)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.cmd == "once":
        once(args)
    else:
        bench(args)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Generates the loader's test fixtures with PyTorch itself (Debian's python3-torch 1.13).

    /usr/bin/python3 tools/make_fixtures.py            # writes tests/data/loader/

Every checkpoint here is written by torch.save / numpy.savez, and tests/data/loader/expected.json
holds what torch.load reads back from each one (and from the golden checkpoints): per tensor the
dtype, shape, a 64-bit FNV-1a hash of its contiguous little-endian bytes, its first values, and
which keys share a storage. The C++ tests compare the loader against that file, so the expected
values come from torch's own reader, never from ours. Output is deterministic (fixed seeds).
"""
import collections
import io
import json
import os
import struct
import sys
import zipfile

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "loader")
GOLDEN = os.path.join(ROOT, "tests", "data", "golden")

DTYPE_NAMES = {
    torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
    torch.int8: "I8", torch.int16: "I16", torch.int32: "I32", torch.int64: "I64",
    torch.uint8: "U8", torch.bool: "BOOL",
}
NP_NAMES = {np.dtype("float32"): "F32", np.dtype("float16"): "F16", np.dtype("float64"): "F64",
            np.dtype("int8"): "I8", np.dtype("int16"): "I16", np.dtype("int32"): "I32",
            np.dtype("int64"): "I64", np.dtype("uint8"): "U8", np.dtype("bool"): "BOOL"}


def fnv1a64(data: bytes) -> str:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def tensor_bytes(t: torch.Tensor) -> bytes:
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    a = t.numpy()
    return a.astype(a.dtype.newbyteorder("<")).tobytes()


def first_values(t: torch.Tensor, n=16):
    flat = t.detach().reshape(-1)[:n]
    if t.dtype == torch.bool:
        return [1.0 if v else 0.0 for v in flat.tolist()]
    return [float(v) for v in flat.to(torch.float64).tolist()]


def describe_state_dict(sd):
    """What torch.load gives back: the reference the C++ tests compare with."""
    out = collections.OrderedDict()
    storages = {}
    for name, t in sd.items():
        if not isinstance(t, torch.Tensor):
            continue
        key = t.storage().data_ptr()
        storages.setdefault(key, []).append(name)
        out[name] = {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape),
                     "fnv1a64": fnv1a64(tensor_bytes(t)), "values": first_values(t)}
    shared = [names for names in storages.values() if len(names) > 1]
    return {"tensors": out, "shared": shared}


def describe_npz(path):
    out = collections.OrderedDict()
    with np.load(path) as z:
        for name in z.files:
            a = z[name]
            t = torch.from_numpy(np.ascontiguousarray(a))
            out[name] = {"dtype": NP_NAMES[a.dtype], "shape": list(a.shape), "fnv1a64": fnv1a64(a.tobytes()),
                         "values": first_values(t)}
    return {"tensors": out, "shared": []}


class Evil:
    """Pickles as a call of an arbitrary function: torch.load would run it; our loader must refuse."""
    def __init__(self, fn, arg):
        self.fn, self.arg = fn, arg

    def __reduce__(self):
        return (self.fn, (self.arg,))


class Opaque:
    """An unknown class next to the weights (like Composer's Timestamp): must be tolerated."""
    def __init__(self):
        self.step = 7


def write_safetensors(path, tensors, metadata=None):
    """Minimal independent safetensors writer (format spec), for the sharded-index fixture."""
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        b = tensor_bytes(t)
        header[name] = {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(1234)
    expected = collections.OrderedDict()

    # Every dtype, kept as stored; 0-dim and empty tensors.
    dtypes = collections.OrderedDict()
    dtypes["f32"] = torch.randn(3, 4)
    dtypes["f16"] = torch.randn(5).half()
    dtypes["bf16"] = torch.randn(2, 3).bfloat16()
    dtypes["f64"] = torch.randn(4).double()
    dtypes["i8"] = torch.randint(-128, 127, (6,), dtype=torch.int8)
    dtypes["i16"] = torch.randint(-30000, 30000, (2, 2), dtype=torch.int16)
    dtypes["i32"] = torch.randint(-2**31, 2**31 - 1, (3,), dtype=torch.int32)
    dtypes["i64"] = torch.tensor([-(2**62), 0, 2**62 + 5], dtype=torch.int64)
    dtypes["u8"] = torch.randint(0, 255, (7,), dtype=torch.uint8)
    dtypes["bool"] = torch.tensor([True, False, True, True])
    dtypes["scalar"] = torch.tensor(3.25)
    dtypes["empty"] = torch.zeros(0, 3)
    torch.save(dtypes, os.path.join(OUT, "dtypes.pt"))
    expected["dtypes.pt"] = describe_state_dict(dtypes)

    # Views: offsets, transposes, strides, stride 0, storages shared by several keys, a Parameter.
    base = torch.arange(60, dtype=torch.float32).reshape(6, 10) * 0.5 - 3.0
    views = collections.OrderedDict()
    views["base"] = base
    views["flat"] = base.view(60)
    views["transposed"] = base.t()
    views["rows"] = base[2:4]
    views["cols"] = base[:, 3:7]
    views["strided"] = base[1::2, ::3]
    views["element"] = base[5, 9]
    views["expanded"] = torch.tensor([1.5, -2.0, 4.0]).expand(4, 3)
    views["param"] = torch.nn.Parameter(torch.randn(3, 2))
    views["half_t"] = torch.randn(4, 3).half().t()
    torch.save(views, os.path.join(OUT, "views.pt"))
    expected["views.pt"] = describe_state_dict(views)
    torch.save(views, os.path.join(OUT, "views_legacy.pt"), _use_new_zipfile_serialization=False)
    expected["views_legacy.pt"] = describe_state_dict(views)
    torch.save(views, os.path.join(OUT, "views_proto4.pt"), pickle_protocol=4)
    expected["views_proto4.pt"] = describe_state_dict(views)
    torch.save(dtypes, os.path.join(OUT, "dtypes_legacy.pt"), _use_new_zipfile_serialization=False)
    expected["dtypes_legacy.pt"] = describe_state_dict(dtypes)

    # The folder inside the zip is the stem at save time, not the current file name.
    small = collections.OrderedDict(weight=torch.randn(2, 2), bias=torch.randn(2))
    tmp = os.path.join(OUT, "saved_under_another_name.pt")
    torch.save(small, tmp)
    os.replace(tmp, os.path.join(OUT, "renamed.bin"))
    expected["renamed.bin"] = describe_state_dict(small)

    # Wrapped state dicts: DataParallel prefixes, a training checkpoint with unknown objects beside it.
    wrapped = collections.OrderedDict(("module._orig_mod.bert." + k, v) for k, v in small.items())
    torch.save({"state_dict": wrapped, "epoch": 3, "extra": Opaque()}, os.path.join(OUT, "wrapped.pt"))
    expected["wrapped.pt"] = describe_state_dict(wrapped)

    # Disallowed globals where a tensor belongs.
    torch.save(collections.OrderedDict(w=Evil(os.system, "echo pwned")), os.path.join(OUT, "evil_os_system.pt"))
    torch.save(collections.OrderedDict(ok=torch.zeros(1), w=Evil(eval, "1+1")), os.path.join(OUT, "evil_eval.pt"))

    # npz: plain and compressed; column-major and big-endian arrays are rejected.
    arrays = collections.OrderedDict(
        a_f32=np.random.RandomState(5).randn(3, 5).astype(np.float32),
        b_f64=np.linspace(-1, 1, 7),
        c_i64=np.arange(-3, 3, dtype=np.int64).reshape(2, 3),
        d_bool=np.array([True, False, True]),
        e_u8=np.arange(5, dtype=np.uint8),
        f_f16=np.array([0.5, -1.25, 65504.0], dtype=np.float16),
        g_scalar=np.float32(2.5))
    np.savez(os.path.join(OUT, "arrays.npz"), **arrays)
    expected["arrays.npz"] = describe_npz(os.path.join(OUT, "arrays.npz"))
    np.savez_compressed(os.path.join(OUT, "arrays_compressed.npz"), **arrays)
    expected["arrays_compressed.npz"] = describe_npz(os.path.join(OUT, "arrays_compressed.npz"))
    np.savez(os.path.join(OUT, "fortran.npz"), x=np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
    np.savez(os.path.join(OUT, "bigendian.npz"), x=np.arange(4, dtype=">f4"))

    # Sharded safetensors with an index.
    shard_dir = os.path.join(OUT, "sharded")
    os.makedirs(shard_dir, exist_ok=True)
    s1 = collections.OrderedDict(a=torch.randn(2, 3), b=torch.arange(4, dtype=torch.int64))
    s2 = collections.OrderedDict(c=torch.randn(5).bfloat16())
    write_safetensors(os.path.join(shard_dir, "model-00001-of-00002.safetensors"), s1, {"format": "pt"})
    write_safetensors(os.path.join(shard_dir, "model-00002-of-00002.safetensors"), s2)
    weight_map = {k: "model-00001-of-00002.safetensors" for k in s1}
    weight_map.update({k: "model-00002-of-00002.safetensors" for k in s2})
    with open(os.path.join(shard_dir, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f, indent=1)
    expected["sharded"] = describe_state_dict(collections.OrderedDict(list(s1.items()) + list(s2.items())))

    # The golden checkpoints, as torch.load reads them.
    for name, rel in [("tiny-retrieval", "tiny-retrieval/checkpoint/pytorch_model.bin"),
                      ("legacy-format", "legacy-format/checkpoint/pytorch_model.bin"),
                      ("composer", "composer/checkpoint/model.pt"),
                      ("tiny-classifier", "tiny-classifier/checkpoint/pytorch_model.bin"),
                      ("tiny-unidirectional", "tiny-unidirectional/checkpoint/pytorch_model.bin")]:
        obj = torch.load(os.path.join(GOLDEN, rel), map_location="cpu") if name != "composer" else None
        if name == "composer":
            obj = load_composer(os.path.join(GOLDEN, rel))
        expected["golden/" + name] = describe_state_dict(obj)

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


def load_composer(path):
    """torch.load of the Composer checkpoint with stand-ins for composer's classes (not installed)."""
    import types

    class StubMeta(type):
        def __getattr__(cls, name):  # enum members (TimeUnit.EPOCH)
            return name

    class Stub(metaclass=StubMeta):
        def __init__(self, *a, **k):
            pass

        def __setstate__(self, state):
            pass

    for mod in ("composer", "composer.core", "composer.core.time"):
        m = sys.modules.setdefault(mod, types.ModuleType(mod))
        for cls in ("Timestamp", "Time", "TimeUnit"):
            setattr(m, cls, Stub)
    obj = torch.load(path, map_location="cpu")
    return obj["state"]["model"]


if __name__ == "__main__":
    main()

"""Embedding on a Dask cluster: each worker process loads the model once and reuses it.

    import dask.bag as db, m2vk.dask
    bag = db.read_text("corpus-*.txt").map(str.strip)
    emb = m2vk.dask.embed_bag(bag, "/models/m2-bert-80M-2k-retrieval", device="gpu", batch_size=32,
                              output_dir="/shared/out")      # optional: resumable per-partition shards
    rows = emb.compute()                                      # one float32 (dim,) array per text, in order

The model is never pickled: tasks carry the model path and options, and the module keeps a
per-process cache keyed by them (`load_count()` says how many loads this process did). Pin each
worker to its own GPU by starting it with M2VK_DEVICE=<index|uuid|name> (or CUDA_VISIBLE_DEVICES)
and passing device="gpu". With output_dir, partition i is written atomically to
output_dir/part-<i>.npy and a recomputed or rerun partition whose file exists is read back instead
of embedded again, so a job rerun after losing a worker redoes only the missing partitions.
"""
import os
import threading

import numpy as np

from .corpus import npy_bytes, write_atomically

_lock = threading.Lock()
_models = {}
_stats = {"loads": 0, "partitions": 0}


def _model(model_path, model_options):
    import m2vk

    key = (os.path.abspath(model_path), tuple(sorted(model_options.items())))
    with _lock:  # one load even when a worker runs several threads
        model = _models.get(key)
        if model is None:
            model = m2vk.Model(model_path, **model_options)
            _models[key] = model
            _stats["loads"] += 1
        return model


def load_count():
    """Models this process has loaded (for client.run: one per worker is the expected figure)."""
    return _stats["loads"]


def partition_count():
    """Partitions this process has embedded (read-back shards not counted)."""
    return _stats["partitions"]


def _embed_partition(texts, index, model_path, model_options, encode_args, output_dir):
    shard = os.path.join(output_dir, f"part-{index:05d}.npy") if output_dir else None
    if shard and os.path.exists(shard):
        return list(np.load(shard))
    texts = list(texts)
    model = _model(model_path, model_options)
    emb = model.encode(texts, show_progress_bar=False, **encode_args)
    with _lock:
        _stats["partitions"] += 1
    if shard:
        os.makedirs(output_dir, exist_ok=True)
        write_atomically(shard, npy_bytes(emb))
    return list(emb)


_MODEL_KEYS = ("device", "precision", "padding", "max_length")


def embed_bag(bag, model_path, output_dir=None, **args):
    """A Bag of float32 (dim,) embeddings, one per text of `bag`, in order.

    args: Model options (device, precision, padding, max_length) and encode options (batch_size,
    normalize_embeddings). output_dir: write / reuse one .npy shard per partition (shared storage).
    """
    import dask
    import dask.bag as db

    model_options = {k: v for k, v in args.items() if k in _MODEL_KEYS}
    encode_args = {k: v for k, v in args.items() if k not in _MODEL_KEYS}
    unknown = set(encode_args) - {"batch_size", "normalize_embeddings"}
    if unknown:
        raise TypeError(f"embed_bag: unknown arguments {sorted(unknown)}")
    parts = [dask.delayed(_embed_partition, pure=True)(p, i, os.fspath(model_path), model_options, encode_args,
                                                       output_dir)
             for i, p in enumerate(bag.to_delayed())]
    return db.from_delayed(parts)


def embed_dataframe(ddf, column, model_path, output_dir=None, **args):
    """embed_bag over the text column `column` of a Dask DataFrame (partitions kept)."""
    if column not in ddf.columns:
        raise ValueError(f"embed_dataframe: no column {column!r} (columns: {list(ddf.columns)})")
    return embed_bag(ddf[column].to_bag(), model_path, output_dir=output_dir, **args)

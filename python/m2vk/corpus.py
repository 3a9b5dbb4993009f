"""Resumable corpus job: embed a JSONL (or plain text) file into numbered .npy shards plus a manifest.

    m2vk.corpus.embed_corpus(model, "corpus.jsonl", "out/", shard_size=1000)

Input: one text per line; a line that starts with "{" is JSON with a "text" field and an optional
"id" (else the 1-based line number is the id). Every line is parsed before anything is written, so
an unreadable line raises ValueError naming its line number and leaves no shard behind.

Output in DIR: shard-00000.npy, shard-00001.npy, ... ((rows, dim) float32) and manifest.json listing
each finished shard's file, input line range and ids, plus what the run depends on (input digest,
model, options). Shards and the manifest are written atomically (temporary file, fsync, rename), and
the manifest is rewritten after each shard, so after a kill -9 at any moment a rerun skips the
shards the manifest lists and the finished folder is byte-identical to an uninterrupted run's.
"""
import hashlib
import io
import json
import os
import sys

import numpy as np

MANIFEST = "manifest.json"


def read_corpus(path):
    """[(line_number, id, text)] of the non-empty lines; ValueError naming the first bad line."""
    rows = []
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            try:
                line = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as e:
                raise ValueError(f"{path}:{number}: not UTF-8 ({e.reason} at byte {e.start})") from None
            if not line.strip():
                continue
            if line.lstrip().startswith("{"):
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as e:
                    raise ValueError(f"{path}:{number}: invalid JSON: {e.msg} (column {e.colno})") from None
                text = obj.get("text")
                if not isinstance(text, str):
                    raise ValueError(f"{path}:{number}: JSON line has no string \"text\" field")
                rows.append((number, obj.get("id", number), text))
            else:
                rows.append((number, number, line))
    return rows


def write_atomically(path, data):
    """Writes bytes to path through a temporary file in the same folder, fsync and rename."""
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def npy_bytes(array):
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(array, dtype=np.float32))
    return buf.getvalue()


def write_shard(out_dir, index, array):
    name = f"shard-{index:05d}.npy"
    write_atomically(os.path.join(out_dir, name), npy_bytes(array))
    return name


def file_digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def embed_corpus(model, input_path, output_dir, shard_size=1000, batch_size=8, normalize_embeddings=False,
                 show_progress_bar=None):
    """Embeds input_path into shards under output_dir, resuming a previous run; returns the manifest."""
    if isinstance(shard_size, bool) or not isinstance(shard_size, int) or shard_size < 1:
        raise ValueError(f"shard_size: expected an int >= 1, got {shard_size!r}")
    rows = read_corpus(input_path)
    os.makedirs(output_dir, exist_ok=True)
    job = {
        "input": os.path.basename(input_path),
        "input_sha256": file_digest(input_path),
        "model": os.path.abspath(model.path),
        "dim": model.dim,
        "padding": model.padding,
        "max_length": model.max_seq_length,
        "batch_size": batch_size,
        "normalize": bool(normalize_embeddings),
        "shard_size": shard_size,
        "rows": len(rows),
    }
    manifest_path = os.path.join(output_dir, MANIFEST)
    done = {}
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            previous = json.load(f)
        if previous.get("job") != job:
            raise ValueError(f"{manifest_path}: written by a different job (input, model or options differ); "
                             "use another output folder")
        done = {s["index"]: s for s in previous["shards"]
                if os.path.exists(os.path.join(output_dir, s["file"]))}
    count = (len(rows) + shard_size - 1) // shard_size
    bar = None
    if show_progress_bar or (show_progress_bar is None and sys.stderr is not None and sys.stderr.isatty()):
        try:
            from tqdm import tqdm

            bar = tqdm(total=len(rows), initial=sum(s["rows"] for s in done.values()), unit="text",
                       desc="m2vk corpus")
        except ImportError:
            bar = None
    try:
        for index in range(count):
            if index in done:
                continue
            part = rows[index * shard_size:(index + 1) * shard_size]
            emb = model.encode([t for _, _, t in part], batch_size=batch_size,
                               normalize_embeddings=normalize_embeddings, show_progress_bar=False)
            name = write_shard(output_dir, index, emb)
            done[index] = {"index": index, "file": name, "rows": len(part),
                           "first_line": part[0][0], "last_line": part[-1][0], "ids": [i for _, i, _ in part]}
            write_manifest(manifest_path, job, done, count)
            if bar is not None:
                bar.update(len(part))
    finally:
        if bar is not None:
            bar.close()
    return write_manifest(manifest_path, job, done, count)


def write_manifest(path, job, done, count):
    manifest = {"job": job, "complete": len(done) == count, "shards": [done[i] for i in sorted(done)]}
    write_atomically(path, (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode())
    return manifest


def load_corpus_output(output_dir):
    """(embeddings in input order, ids) of a finished corpus job folder."""
    with open(os.path.join(output_dir, MANIFEST)) as f:
        manifest = json.load(f)
    if not manifest["complete"]:
        raise ValueError(f"{output_dir}: the corpus job is not finished (rerun it to resume)")
    arrays = [np.load(os.path.join(output_dir, s["file"])) for s in manifest["shards"]]
    ids = [i for s in manifest["shards"] for i in s["ids"]]
    return np.concatenate(arrays), ids


def main(argv=None):
    """python3 -m m2vk.corpus MODEL INPUT OUTPUT_DIR [--shard-size N] [--device D] [--max-length N] ..."""
    import argparse

    import m2vk

    p = argparse.ArgumentParser(prog="python3 -m m2vk.corpus", description=__doc__.split("\n")[0])
    p.add_argument("model")
    p.add_argument("input")
    p.add_argument("output_dir")
    p.add_argument("--shard-size", type=int, default=1000)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--device", default="auto")
    p.add_argument("--padding", default="max_length")
    p.add_argument("--max-length", type=int)
    p.add_argument("--normalize", action="store_true")
    a = p.parse_args(argv)
    try:
        model = m2vk.Model(a.model, device=a.device, padding=a.padding, max_length=a.max_length)
        m = embed_corpus(model, a.input, a.output_dir, a.shard_size, a.batch_size, a.normalize)
    except (ValueError, OSError, RuntimeError) as e:
        print(f"m2vk.corpus: error: {e}", file=sys.stderr)
        return 1
    print(f"{len(m['shards'])} shards, {m['job']['rows']} rows in {a.output_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

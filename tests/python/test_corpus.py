"""The resumable corpus job: equal to one encode() call, killed with SIGKILL at random moments and
resumed to a byte-identical folder, unreadable lines reported by line number without a shard."""
import filecmp
import json
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import m2vk
from m2vk.corpus import embed_corpus, load_corpus_output

WORDS = "alpha beta gamma delta monarch mixer vulkan shard resume corpus text embedding".split()


def make_corpus(path, n=240, seed=3):
    rng = random.Random(seed)
    with open(path, "w") as f:
        for i in range(n):
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 12)))
            if i % 3 == 0:
                f.write(text + "\n")  # plain line: its line number is the id
            else:
                f.write(json.dumps({"id": f"doc-{i}", "text": text}) + "\n")
    return path


def job_cmd(demo_model, corpus, out, cli=None):
    """The corpus job as `python3 -m m2vk.corpus`, or as `m2vk embed --output-dir` when cli is given."""
    if cli:
        return [cli, "embed", "--model", demo_model, "--input", str(corpus), "--output-dir", str(out),
                "--shard-size", "16", "--batch-size", "4", "--device", "cpu", "--max-length", "24"]
    return [sys.executable, "-m", "m2vk.corpus", demo_model, str(corpus), str(out), "--shard-size", "16",
            "--batch-size", "4", "--device", "cpu", "--max-length", "24"]


def test_corpus_equals_encode(demo_model, tmp_path):
    corpus = make_corpus(tmp_path / "c.jsonl", n=50)
    model = m2vk.Model(demo_model, device="cpu", max_length=24)
    manifest = embed_corpus(model, str(corpus), str(tmp_path / "out"), shard_size=16, batch_size=4)
    assert manifest["complete"] and [s["rows"] for s in manifest["shards"]] == [16, 16, 16, 2]
    emb, ids = load_corpus_output(str(tmp_path / "out"))
    texts = [json.loads(l)["text"] if l.startswith("{") else l for l in corpus.read_text().splitlines()]
    # shards start on batch boundaries, so the batches are those of one encode() call
    assert np.array_equal(emb, model.encode(texts, batch_size=4))
    assert ids[:3] == [1, "doc-1", "doc-2"] and manifest["shards"][1]["first_line"] == 17


@pytest.mark.parametrize("runner", ["python", "cli"])
def test_killed_at_random_moments_and_resumed_is_identical(demo_model, cli, tmp_path, runner):
    corpus = make_corpus(tmp_path / "c.jsonl")
    tool = cli if runner == "cli" else None
    clean, resumed = tmp_path / "clean", tmp_path / "resumed"
    start = time.monotonic()
    subprocess.run(job_cmd(demo_model, corpus, clean, tool), check=True, capture_output=True, timeout=120)
    whole = time.monotonic() - start  # kill moments are fractions of an uninterrupted run
    rng = random.Random(11)
    kills = 0
    for attempt in range(6):
        proc = subprocess.Popen(job_cmd(demo_model, corpus, resumed, tool), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        if attempt == 0:
            # The first run is killed as soon as it has written its first shard: on a loaded machine
            # the uninterrupted run's time says little about the next one's, and a job that has
            # finished before a random moment would test nothing.
            deadline = time.monotonic() + 120
            while proc.poll() is None and time.monotonic() < deadline and not any(
                    n.startswith("shard-") for n in (os.listdir(resumed) if resumed.exists() else [])):
                time.sleep(0.002)
        else:
            time.sleep(rng.uniform(0.1, 0.9) * whole)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills >= 1  # at least one run really was interrupted
    subprocess.run(job_cmd(demo_model, corpus, resumed, tool), check=True, capture_output=True, timeout=120)
    leftovers = sorted(os.listdir(resumed))
    for name in leftovers:  # a killed writer's temporary file is harmless; compare the real outputs
        if ".tmp." in name or ".tmp-" in name:
            os.remove(resumed / name)
    cmp = filecmp.dircmp(clean, resumed)
    assert not cmp.left_only and not cmp.right_only
    _, mismatch, errors = filecmp.cmpfiles(clean, resumed, os.listdir(clean), shallow=False)
    assert not mismatch and not errors


def test_bad_line_names_its_number_and_writes_no_shard(demo_model, tmp_path):
    corpus = tmp_path / "bad.jsonl"
    corpus.write_text('{"text": "fine"}\nplain line\n{"text": "broken"\n{"text": "after"}\n')
    model = m2vk.Model(demo_model, device="cpu", max_length=16)
    with pytest.raises(ValueError, match=r"bad\.jsonl:3: invalid JSON"):
        embed_corpus(model, str(corpus), str(tmp_path / "out"), shard_size=1)
    assert not (tmp_path / "out").exists() or not os.listdir(tmp_path / "out")
    corpus.write_text('{"text": "fine"}\n{"id": 5}\n')
    with pytest.raises(ValueError, match=r":2: JSON line has no string \"text\""):
        embed_corpus(model, str(corpus), str(tmp_path / "out"))
    corpus.write_bytes(b"ok\n\xff\xfe\n")
    with pytest.raises(ValueError, match=r":2: not UTF-8"):
        embed_corpus(model, str(corpus), str(tmp_path / "out"))


def test_rerun_with_other_options_is_refused(demo_model, tmp_path):
    corpus = make_corpus(tmp_path / "c.jsonl", n=20)
    model = m2vk.Model(demo_model, device="cpu", max_length=16)
    embed_corpus(model, str(corpus), str(tmp_path / "out"), shard_size=8)
    with pytest.raises(ValueError, match="different job"):
        embed_corpus(model, str(corpus), str(tmp_path / "out"), shard_size=4)


def test_cli_corpus_job_equals_encode_and_reads_back_in_python(demo_model, cli, tmp_path):
    corpus = make_corpus(tmp_path / "c.jsonl", n=50)
    out = tmp_path / "out"
    subprocess.run(job_cmd(demo_model, corpus, out, cli), check=True, capture_output=True, timeout=120)
    emb, ids = load_corpus_output(str(out))
    model = m2vk.Model(demo_model, device="cpu", max_length=24)
    texts = [json.loads(l)["text"] if l.startswith("{") else l for l in corpus.read_text().splitlines()]
    assert np.array_equal(emb, model.encode(texts, batch_size=4))
    assert ids[:3] == [1, "doc-1", "doc-2"]
    # Another job's options in the same folder are refused, naming the manifest.
    other = job_cmd(demo_model, corpus, out, cli)
    other[other.index("--batch-size") + 1] = "8"
    r = subprocess.run(other, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "manifest.json: written by a different job" in r.stderr


def test_cli_bad_line_names_its_number_and_writes_nothing(demo_model, cli, tmp_path):
    corpus = tmp_path / "bad.jsonl"
    corpus.write_bytes(b'{"text": "fine"}\nplain line\n{"id": 4}\n')
    r = subprocess.run(job_cmd(demo_model, corpus, tmp_path / "out", cli), capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and 'bad.jsonl:3: JSON line has no string "text" field' in r.stderr
    assert not (tmp_path / "out").exists()
    corpus.write_bytes(b'fine\nnot utf-8 \xff here\n')
    r = subprocess.run(job_cmd(demo_model, corpus, tmp_path / "out", cli), capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "bad.jsonl:2: not UTF-8" in r.stderr

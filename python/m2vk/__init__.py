"""m2vk: M2-BERT (Monarch Mixer BERT) text encoders on any Vulkan GPU, from Python.

    import m2vk
    model = m2vk.Model("m2-bert-80M-2k-retrieval")          # device="auto": GPU if any, else CPU
    emb = model.encode(["first text", "second text"])       # (2, 768) float32, input order
    one = model.encode("a single text")                     # (768,) float32

The names and return types follow sentence-transformers' ``SentenceTransformer.encode``.

Thread safety: one ``Model`` may be shared by several Python threads. ``encode``, ``classify`` and
``tokenize`` release the GIL while the library works; GPU forward passes of concurrent calls take
turns on the device, tokenization and the CPU path run in parallel. ``close()`` may be called while
other threads use the model: running calls finish, later ones raise ``ValueError``.

Errors: bad arguments raise ``TypeError`` / ``ValueError``; a missing model folder raises
``FileNotFoundError``; an unusable model folder or a device failure ``RuntimeError`` (a missing
device ``m2vk.DeviceError``, a ``RuntimeError`` subclass); all carry the library's message.
"""
import os
import sys

from . import _core
from ._core import DeviceError
from . import corpus

__all__ = ["Model", "DeviceError", "devices"]


def devices():
    """The Vulkan devices m2vk can use, as dicts (index, name, type, driver, uuid, default, spec).

    ``spec`` is what to pass as ``Model(..., device=spec)``; ``device="cpu"`` (the double-precision
    reference path) is always available and not listed.
    """
    return _core.devices()


def _texts(sentences, what):
    """A list of str from a str or an iterable of str; raises TypeError naming the bad item."""
    if isinstance(sentences, str):
        return [sentences], True
    if isinstance(sentences, (bytes, bytearray)) or not hasattr(sentences, "__iter__"):
        raise TypeError(f"{what}: expected a str or a list of str, got {type(sentences).__name__}")
    out = list(sentences)
    for i, s in enumerate(out):
        if not isinstance(s, str):
            raise TypeError(f"{what}[{i}]: expected str, got {type(s).__name__}")
    return out, False


def _rows(texts_or_pairs, what):
    """(text, pair-or-None) rows from a str, a (str, str) pair, or a list of either."""
    if isinstance(texts_or_pairs, str):
        return [(texts_or_pairs, None)], True
    if isinstance(texts_or_pairs, tuple) and len(texts_or_pairs) == 2 and all(isinstance(t, str) for t in texts_or_pairs):
        return [texts_or_pairs], True
    if not hasattr(texts_or_pairs, "__iter__") or isinstance(texts_or_pairs, (bytes, bytearray)):
        raise TypeError(f"{what}: expected a str, a (str, str) pair or a list of them, got {type(texts_or_pairs).__name__}")
    rows = []
    for i, item in enumerate(texts_or_pairs):
        if isinstance(item, str):
            rows.append((item, None))
        elif isinstance(item, (tuple, list)) and len(item) == 2 and all(isinstance(t, str) for t in item):
            rows.append((item[0], item[1]))
        else:
            raise TypeError(f"{what}[{i}]: expected str or a (str, str) pair, got {type(item).__name__}")
    return rows, False


def _batch_size(batch_size):
    if isinstance(batch_size, bool) or not isinstance(batch_size, int):
        raise TypeError(f"batch_size: expected int, got {type(batch_size).__name__}")
    if batch_size < 1:
        raise ValueError(f"batch_size: must be >= 1, got {batch_size}")
    return batch_size


class _Progress:
    """A tqdm bar fed by the library's progress callback (texts done / total)."""

    def __init__(self, total, desc):
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc=desc, unit="text")

    def __call__(self, done, total):
        self.bar.update(done - self.bar.n)

    def close(self):
        self.bar.close()


def _progress(show, total, batch_size, desc):
    if show is None:  # default: a bar on a terminal for more than one batch
        show = total > batch_size and sys.stderr is not None and sys.stderr.isatty()
    if not show:
        return None
    try:
        return _Progress(total, desc)
    except ImportError:  # tqdm missing: no bar rather than an error
        return None


class Model:
    """An M2-BERT model folder loaded onto a device.

    path: a model folder (config.json + checkpoint + tokenizer files) as ``m2vk embed --model`` reads.
    device: "auto" (GPU if a Vulkan device exists, else CPU), "cpu", "gpu", "gpu:SPEC" or SPEC
        (index, UUID prefix or name substring; plain "gpu" follows M2VK_DEVICE, then
        CUDA_VISIBLE_DEVICES).
    precision: "fp32" or "fp16" (GPU GEMMs on cooperative matrices where the device has them).
    padding: "max_length" (reference-faithful) or "longest" (faster; outputs depend on batching).
    max_length: truncate and pad to this many tokens (default: the model's maximum).
    """

    def __init__(self, path, device="auto", precision="fp32", padding="max_length", max_length=None):
        path = os.fspath(path)
        for name, value in (("device", device), ("precision", precision), ("padding", padding)):
            if not isinstance(value, str):
                raise TypeError(f"{name}: expected str, got {type(value).__name__}")
        if max_length is not None:
            if isinstance(max_length, bool) or not isinstance(max_length, int):
                raise TypeError(f"max_length: expected int or None, got {type(max_length).__name__}")
            if max_length < 2:
                raise ValueError(f"max_length: must be >= 2 ([CLS] and [SEP]), got {max_length}")
        if not os.path.exists(path):
            raise FileNotFoundError(f"model folder {path} does not exist")
        self._core = _core.Model(path, device, precision, padding, max_length)

    def encode(self, sentences, batch_size=8, show_progress_bar=None, convert_to_numpy=True,
               normalize_embeddings=False):
        """Sentence embeddings: a str gives a 1-D float32 array, a list a 2-D (N, dim) one, in input order.

        Bit for bit what ``m2vk embed`` gives for the same texts, device, padding and batch size.
        convert_to_numpy=False returns a list of 1-D arrays (sentence-transformers' list form).
        """
        texts, single = _texts(sentences, "sentences")
        batch_size = _batch_size(batch_size)
        if not texts:
            return np_empty(0, self.dim) if convert_to_numpy else []
        bar = _progress(show_progress_bar, len(texts), batch_size, "m2vk encode")
        try:
            out = self._core.embed(texts, batch_size, bool(normalize_embeddings), bar)
        finally:
            if bar is not None:
                bar.close()
        if single:
            return out[0]
        return out if convert_to_numpy else list(out)

    def classify(self, texts_or_pairs, batch_size=8, show_progress_bar=None):
        """Classifier outputs for texts or (text, text_pair) pairs, as a dict:
        logits and scores (N, C) float32, predicted (N,) int64, predicted_labels, labels (C),
        tokens (real tokens per row), truncated. A single text or pair gives N = 1."""
        rows, _ = _rows(texts_or_pairs, "texts_or_pairs")
        batch_size = _batch_size(batch_size)
        if not rows:
            raise ValueError("classify: no texts given")
        bar = _progress(show_progress_bar, len(rows), batch_size, "m2vk classify")
        try:
            return self._core.classify(rows, batch_size, bar)
        finally:
            if bar is not None:
                bar.close()

    def tokenize(self, texts):
        """Token ids as the model is fed: dict of input_ids, token_type_ids, attention_mask, (N, L) int32."""
        rows, _ = _rows(texts, "texts")
        if not rows:
            raise ValueError("tokenize: no texts given")
        return self._core.tokenize(rows)

    def close(self):
        """Frees the model (device memory included) once running calls finish; later calls raise ValueError."""
        self._core.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def closed(self):
        return self._core.closed

    def __getattr__(self, name):
        # path, dim, layers, num_labels, max_seq_length, padding, random_weights, notes, device
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._core, name)

    def get_sentence_embedding_dimension(self):
        return self._core.dim

    def __repr__(self):
        if self._core.closed:
            return f"m2vk.Model({self._core.path!r}, closed)"
        extra = ", RANDOM weights (m2vk demo-model: values mean nothing)" if self._core.random_weights else ""
        return (f"m2vk.Model({self._core.path!r}, dim={self._core.dim}, layers={self._core.layers}, "
                f"max_seq_length={self._core.max_seq_length}, padding={self._core.padding!r}, "
                f"device={self._core.device!r}{extra})")


def np_empty(rows, cols):
    import numpy

    return numpy.zeros((rows, cols), dtype=numpy.float32)

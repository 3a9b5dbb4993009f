#!/usr/bin/python3
"""Writes a random-weight checkpoint with the tensor shapes of m2-bert-80M-32k-retrieval
(hidden 768, 12 layers, intermediate 3072, vocab 30528, l_max 32768, Hyena filter order 128,
Monarch GLU MLP with 4 blocks), about 441 MB of float32, with torch.save (zip format).

    /usr/bin/python3 bench/loader/make_checkpoint.py OUT_DIR    # writes OUT_DIR/pytorch_model.bin
"""
import collections
import os
import sys

import torch

H, LAYERS, I, VOCAB, LMAX, ORDER, EMB, NB = 768, 12, 3072, 30528, 32768, 128, 5, 4


def main(out_dir):
    torch.manual_seed(0)
    g = collections.OrderedDict()
    r = lambda *s: torch.randn(*s) * 0.02
    g["bert.embeddings.position_ids"] = torch.arange(LMAX).unsqueeze(0)
    g["bert.embeddings.word_embeddings.weight"] = r(VOCAB, H)
    g["bert.embeddings.position_embeddings.weight"] = r(LMAX, H)
    g["bert.embeddings.token_type_embeddings.weight"] = r(2, H)
    g["bert.embeddings.LayerNorm.weight"] = torch.ones(H)
    g["bert.embeddings.LayerNorm.bias"] = torch.zeros(H)
    for l in range(LAYERS):
        p = "bert.encoder.layer.%d." % l
        for fn in ("filter_fn", "filter_fn2"):
            f = p + "attention." + fn + "."
            g[f + "bias"] = r(H)
            g[f + "pos_emb.z"] = r(1, LMAX, EMB)
            g[f + "pos_emb.t"] = torch.linspace(0, 1, LMAX).reshape(1, LMAX, 1)
            for d in ("implicit_filter", "implicit_filter_rev"):
                freq = r(1, ORDER)  # one storage shared by the three Sin layers, as in real checkpoints
                g[f + d + ".0.weight"] = r(ORDER, EMB)
                g[f + d + ".0.bias"] = r(ORDER)
                g[f + d + ".1.freq"] = freq
                g[f + d + ".2.weight"] = r(ORDER, ORDER)
                g[f + d + ".2.bias"] = r(ORDER)
                g[f + d + ".3.freq"] = freq
                g[f + d + ".4.weight"] = r(ORDER, ORDER)
                g[f + d + ".4.bias"] = r(ORDER)
                g[f + d + ".5.freq"] = freq
                g[f + d + ".6.weight"] = r(H, ORDER)
            g[f + "modulation.deltas"] = r(1, 1, H)
        g[p + "attention.in_linear.weight"] = r(3 * H, H)
        g[p + "attention.in_linear.bias"] = r(3 * H)
        g[p + "attention.out_linear.weight"] = r(H, H)
        g[p + "attention.out_linear.bias"] = r(H)
        g[p + "attention.short_filter.weight"] = r(3 * H, 1, 3)
        g[p + "attention.short_filter.bias"] = r(3 * H)
        g[p + "mlp.gated_layers.weight"] = r(NB, H // NB, 2 * I // NB)
        g[p + "mlp.wo.weight"] = r(NB, I // NB, H // NB)
        g[p + "mlp.wo.bias"] = r(H)
        g[p + "mlp.layernorm.weight"] = torch.ones(H)
        g[p + "mlp.layernorm.bias"] = torch.zeros(H)
    g["bert.pooler.dense.weight"] = r(H, H)
    g["bert.pooler.dense.bias"] = r(H)
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "pytorch_model.bin")
    torch.save(g, path)
    total = sum(t.numel() * t.element_size() for t in g.values())
    print("%s: %d tensors, %.1f MB of tensor data, file %.1f MB" % (path, len(g), total / 1e6, os.path.getsize(path) / 1e6))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/m2vk-bench-80m")

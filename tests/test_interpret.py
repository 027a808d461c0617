"""Interpretation: k-mer aggregation, integrated gradients on a tiny model, the attribute stage outputs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from epibench.interpret.integrated_gradients import integrated_gradients
from epibench.interpret.kmers import canonical_kmer, kmer_attributions, top_kmers
from epibench.models.factory import build_model

CODE = {b: i for i, b in enumerate("ACGTN")}


def encode(seq: str) -> np.ndarray:
    return np.array([CODE[b] for b in seq], dtype=np.uint8)


def test_canonical_kmer_merges_strands():
    assert canonical_kmer("TGACTC") == canonical_kmer("GAGTCA") == "GAGTCA"
    assert canonical_kmer("AAAAAA") == "AAAAAA"


def test_attribution_on_a_planted_kmer_ranks_it_first():
    rng = np.random.default_rng(0)
    motif = "TGACTCA"
    seqs, attrs = [], []
    for _ in range(50):
        seq = list("".join(rng.choice(list("ACGT"), 60)))
        start = int(rng.integers(0, 50))
        seq[start : start + 7] = motif
        attr = rng.normal(0, 0.01, 60)
        attr[start : start + 7] -= 0.2  # the motif pushes toward unmethylated
        seqs.append(encode("".join(seq)))
        attrs.append(attr)
    table = top_kmers(kmer_attributions(np.stack(seqs), np.stack(attrs), k=6), n=5)
    assert table.loc[0, "kmer"] in {canonical_kmer(motif[:6]), canonical_kmer(motif[1:])}
    assert table.loc[0, "mean_attribution"] < 0


def test_kmers_with_n_are_skipped_and_counts_add_up():
    codes = encode("ACGTNACGTA")[None, :]
    table = kmer_attributions(codes, np.ones((1, 10)), k=3)
    # 3-mers without N: ACG, CGT (left of N), ACG, CGT, GTA (right): 5 occurrences
    assert table["count"].sum() == 5
    assert (table["mean_attribution"] == 3.0).all()


@pytest.mark.parametrize("arch", ["hybrid", "cnn"])
def test_integrated_gradients_complete_to_the_prediction_difference(arch):
    torch.manual_seed(0)
    sizes = {"hybrid": dict(d_model=16, n_heads=2, ff_dim=32, n_layers=1, stem_pool=4, hist_dim=8,
                            fusion_dim=16, fusion_heads=2, head_hidden=8, dropout=0.0),
             "cnn": dict(channels=(8, 8), dense=8, dropout=0.0)}[arch]
    model = build_model(arch, n_marks=2, n_bins=4, window=40, **sizes).eval()
    batch = {
        "seq": torch.randint(0, 4, (3, 40)),
        "hist": torch.rand(3, 2, 4),
        "hist_mask": torch.ones(3, 2, 4, dtype=torch.bool),
        "region": torch.tensor([0, 2, 3]),
    }
    attr = integrated_gradients(model, batch, n_steps=64)
    assert attr.seq.shape == (3, 40) and attr.hist.shape == (3, 2, 4)
    with torch.no_grad():
        baseline = model(torch.full_like(batch["seq"], 4), batch["hist"], batch["hist_mask"], batch["region"])["level"]
    # completeness: attributions sum to f(x) - f(baseline), up to the reported delta
    gap = attr.level - baseline.numpy()
    np.testing.assert_allclose(attr.seq.sum(1), gap, atol=np.abs(attr.delta).max() + 1e-4)

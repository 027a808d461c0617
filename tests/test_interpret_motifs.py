"""Named motifs (epibench.interpret.hypothetical, .motifs): hypothetical contributions checked on a model
whose gradient is known, and the whole chain (contributions, TF-MoDISco, TOMTOM against JASPAR) on the
tiny demo cohort with a differentiable copy of the generator's motif rule as the model."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from epibench.data.dataset import ShardDataset
from epibench.demo.genome import MOTIF_REACH, PROTECTIVE_MOTIF
from epibench.interpret.hypothetical import hypothetical_contributions
from epibench.interpret.motifs import discover_patterns, jaspar_motifs, match_patterns, plot_patterns
from epibench.models.onehot import OneHot

W = 200


class LinearInLetters(nn.Module):
    """level = sum over positions and letters of weight * one-hot: its gradient is ``weight`` everywhere."""

    n_context = 0

    def __init__(self, weight: torch.Tensor):
        super().__init__()
        self.seq_input = OneHot()
        self.weight = weight

    def forward(self, seq, hist, hist_mask, region, nbr=None, nbr_mask=None):
        level = (self.seq_input(seq) * self.weight).sum((1, 2))
        return {"level": level, "logit": level}


def _batch(seq: torch.Tensor) -> dict[str, torch.Tensor]:
    n = len(seq)
    return {
        "seq": seq,
        "hist": torch.zeros(n, 0, 4),
        "hist_mask": torch.zeros(n, 0, 4, dtype=torch.bool),
        "region": torch.zeros(n, dtype=torch.int64),
    }


def test_hypothetical_contributions_are_the_centred_gradient_of_every_letter():
    weight = torch.randn(W, 5, generator=torch.Generator().manual_seed(0))
    seq = torch.randint(0, 5, (3, W), generator=torch.Generator().manual_seed(1))
    one_hot, hypothetical = hypothetical_contributions(LinearInLetters(weight), _batch(seq), n_steps=4)
    letters = weight[:, :4].numpy()
    assert np.allclose(hypothetical, letters - letters.mean(1, keepdims=True), atol=1e-6)
    assert np.array_equal(one_hot.argmax(-1)[seq < 4], seq[seq < 4].numpy())
    assert (one_hot[seq.numpy() == 4] == 0).all()  # an N is no letter


class SoftMotifRule(nn.Module):
    """The generator's motif term, differentiable: a protective motif (either strand) within
    MOTIF_REACH bp of the CpG lowers the logit by 3.5; a PWM scan scored through a steep sigmoid."""

    n_context = 0

    def __init__(self):
        super().__init__()
        self.seq_input = OneHot()
        forward = F.one_hot(torch.tensor(["ACGT".index(b) for b in PROTECTIVE_MOTIF]), 5).float().T
        self.filters = torch.stack([forward, forward[[3, 2, 1, 0, 4]].flip(1)])  # (2, 5, 7)

    def forward(self, seq, hist, hist_mask, region, nbr=None, nbr_mask=None):
        score = F.conv1d(self.seq_input(seq).transpose(1, 2), self.filters).amax(1)  # (B, W - 6)
        c, width, start = seq.shape[1] // 2 - 1, self.filters.shape[-1], torch.arange(score.shape[1])
        near = ((start >= c + 2) & (start - (c + 2) <= MOTIF_REACH)) | (
            (start + width <= c) & (c - (start + width) <= MOTIF_REACH)
        )
        hit = (torch.sigmoid(4 * (score - width + 0.5)) * near).amax(1)
        logit = 2.6 - 3.5 * hit
        return {"level": torch.sigmoid(logit), "logit": logit}


@pytest.fixture(scope="module")
def found(tiny_shards):
    dataset = ShardDataset(tiny_shards, split="all")
    rows = np.sort(np.random.default_rng(0).choice(len(dataset), size=min(1500, len(dataset)), replace=False))
    model = SoftMotifRule()
    parts = [
        hypothetical_contributions(model, dataset.__getitems__(rows[i : i + 256]))
        for i in range(0, len(rows), 256)
    ]
    one_hot, hypothetical = (np.concatenate(arrays) for arrays in zip(*parts))
    patterns = discover_patterns(one_hot, hypothetical)
    database = jaspar_motifs()
    return patterns, database, match_patterns(patterns, database)


def test_the_planted_motif_is_found_and_named_ap1(found, tmp_path):
    patterns, database, table = found
    top = table.iloc[0]
    assert PROTECTIVE_MOTIF in top["consensus"] or "TGAGTCA" in top["consensus"], table
    assert top["sign"] == "negative" and top["seqlets"] >= 20  # the motif protects: it lowers the level
    assert top["best_q"] < 0.05
    names = [entry.split(" (")[0].upper() for entry in top["matches"].split("; ")]
    assert any("JUN" in n or "FOS" in n or "BATF" in n or "ATF3" in n for n in names), names
    assert len(database.ids) > 500 and all(abs(ppm.sum(0) - 1).max() < 1e-9 for ppm in database.ppms[:20])
    written = plot_patterns(patterns, table, database, tmp_path / "motifs")
    assert all(path.stat().st_size > 0 for path in written)

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
from epibench.interpret import motifs
from epibench.interpret.motifs import (
    Pattern,
    core_span,
    discover_patterns,
    jaspar_motifs,
    match_patterns,
    plot_patterns,
    tax_group_for,
)
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
    assert top["best_q"] < 0.05 and top["core_bp"] == 7 and top["collection"] == "JASPAR2024 CORE vertebrates"
    assert all(row.pattern.startswith(row.sign + "_") for row in table.itertuples()), table
    names = [entry.split(" (")[0].upper() for entry in top["matches"].split("; ")]
    assert any("JUN" in n or "FOS" in n or "BATF" in n or "ATF3" in n for n in names), names
    assert len(database.ids) > 500 and all(abs(ppm.sum(0) - 1).max() < 1e-9 for ppm in database.ppms[:20])
    written = plot_patterns(patterns, table, database, tmp_path / "motifs")
    assert all(path.stat().st_size > 0 for path in written)


def _letters(sequence: str, share: float = 0.91) -> np.ndarray:
    """(L, 4) frequencies: each position's letter ``share``, the others the rest evenly."""
    ppm = np.full((len(sequence), 4), (1 - share) / 3)
    ppm[np.arange(len(sequence)), ["ACGT".index(b) for b in sequence]] = share
    return ppm


def _diffuse_pattern_around(core: str, name: str = "negative_0") -> Pattern:
    """A 50-bp pattern: ``core`` at 20.. (contribution 1 per position, lowering the level) in AT-rich,
    near-uniform flanks of weak contribution, two of whose positions (2 and 47) reach 40 % of the core's."""
    flank = np.tile([0.3, 0.2, 0.2, 0.3], (50, 1))
    ppm = flank.copy()
    ppm[20 : 20 + len(core)] = _letters(core)
    cwm = -0.1 * ppm
    cwm[20 : 20 + len(core)] = -ppm[20 : 20 + len(core)]
    cwm[[2, 47]] = -0.4 * flank[[2, 47]] / flank[[2, 47]].sum(1, keepdims=True)
    return Pattern(name, 40, ppm, cwm, core_span(cwm))


def test_a_diffuse_pattern_is_matched_by_its_informative_core_alone():
    pattern = _diffuse_pattern_around("TGACTCA")
    size = np.abs(pattern.cwm).sum(1)
    strong = np.flatnonzero(size >= motifs.TRIM_SHARE * size.max())
    assert (strong.min(), strong.max()) == (2, 47)  # modisco-lite's report trim keeps 46 bp
    assert pattern.core == slice(20, 27) and pattern.consensus == "TGACTCA" and not pattern.note
    database = jaspar_motifs()
    table = match_patterns([pattern], database)
    row = table.iloc[0]
    assert row["core_bp"] == 7 and row["best_q"] < 0.05, table
    names = [entry.split(" (")[0].upper() for entry in row["matches"].split("; ")]
    assert any(n.startswith(("JUN", "FOS", "BATF", "ATF")) for n in names), names
    whole = Pattern("negative_1", 40, pattern.ppm, pattern.cwm, slice(2, 48))  # as modisco-lite trims
    row = match_patterns([whole], database).iloc[0]
    assert "diffuse" in row["note"] and row["best_match"] == "" and np.isnan(row["best_q"])


def test_a_core_bridges_one_weak_position_and_ends_at_two():
    cwm = np.zeros((30, 4))
    cwm[10:20, 0] = 1.0
    cwm[14, 0] = 0.1  # one weak position inside: bridged
    assert core_span(cwm) == slice(10, 20)
    cwm[[22, 23], 0] = 1.0  # beyond two weak positions (20, 21): left out
    assert core_span(cwm) == slice(10, 20)
    cwm[21, 0] = 1.0
    assert core_span(cwm) == slice(10, 24)


def test_a_near_uniform_or_short_core_is_not_matched(tmp_path):
    at_rich = Pattern(
        "positive_0", 30, _letters("ATTATAATTTAT", share=0.4), np.full((12, 4), 0.01), slice(0, 12)
    )
    short = _diffuse_pattern_around("TGA", name="negative_0")
    assert at_rich.bits < motifs.MIN_BITS and "bits" in at_rich.note
    assert short.core == slice(20, 23) and "3 bp" in short.note
    database = jaspar_motifs()
    table = match_patterns([short, at_rich], database)
    assert (
        (table["best_match"] == "").all() and table["matches"].eq("").all() and table["best_q"].isna().all()
    )
    written = plot_patterns([short, at_rich], table, database, tmp_path / "motifs")  # no match to draw
    assert all(path.stat().st_size > 0 for path in written)


def test_pattern_names_follow_their_sign_whatever_modiscos_metacluster(monkeypatch):
    """modisco named a pattern by its metacluster (positive_0) while its contribution was below zero:
    the name now says the sign of the core's contribution, ranked among patterns of that sign."""
    from types import SimpleNamespace

    from modiscolite import tfmodisco

    def found(scale: float, core: str) -> SimpleNamespace:
        ppm = np.tile([0.3, 0.2, 0.2, 0.3], (30, 1))
        ppm[10 : 10 + len(core)] = _letters(core)
        weight = np.full((30, 1), 0.05)
        weight[10 : 10 + len(core)] = 1.0  # the contribution is the core's
        return SimpleNamespace(sequence=ppm, contrib_scores=scale * weight * ppm, seqlets=[None] * 20)

    positive = [found(-0.5, "TGACTCA"), found(1.0, "CACGTG"), found(0.2, "GATAAG")]
    negative = [found(-0.8, "CCAAT")]
    monkeypatch.setattr(tfmodisco, "TFMoDISco", lambda **kwargs: (positive, negative))
    patterns = discover_patterns(np.zeros((2, 30, 4)), np.zeros((2, 30, 4)))
    assert [(p.name, p.sign, p.consensus) for p in patterns] == [
        ("positive_0", "positive", "CACGTG"),
        ("negative_0", "negative", "CCAAT"),
        ("negative_1", "negative", "TGACTCA"),
        ("positive_1", "positive", "GATAAG"),
    ]
    assert all((p.contribution > 0) == (p.sign == "positive") for p in patterns)


def test_the_jaspar_group_is_the_settings_or_the_reference_assemblys():
    from epibench.config import load_schema
    from epibench.io.assemblies import known_assemblies

    assert tax_group_for("auto", {"matched": ["TAIR10"], "nearest_assembly": None})[0] == "plants"
    assert tax_group_for("auto", {"matched": [], "nearest_assembly": "dm6"})[0] == "insects"
    assert tax_group_for("auto", {"matched": [], "nearest_assembly": None}) == (
        "vertebrates",
        "the reference matches no known assembly (motifs.tax_group auto; set it for another)",
    )
    assert tax_group_for("auto", None)[0] == "vertebrates"
    assert tax_group_for("fungi", {"matched": ["TAIR10"]})[0] == "fungi"  # the setting wins
    assert set(known_assemblies()) <= set(motifs.ASSEMBLY_TAX_GROUP)
    setting = load_schema("config")["properties"]["motifs"]["properties"]["tax_group"]
    assert setting["enum"] == ["auto", *motifs.TAX_GROUPS] and setting["default"] == "auto"


def test_the_plant_collection_has_no_ctcf_and_all_holds_every_group():
    plants = jaspar_motifs("JASPAR2024", "plants")
    assert len(plants.ids) > 500 and plants.collection == "JASPAR2024 CORE plants"
    assert not any("CTCF" in name.upper() for name in plants.names)
    every = jaspar_motifs("JASPAR2024", "all")
    assert set(plants.ids) < set(every.ids) and "MA0139.2" in every.ids  # CTCF, a vertebrate's
    with pytest.raises(ValueError, match="plant"):
        jaspar_motifs("JASPAR2024", "plant")

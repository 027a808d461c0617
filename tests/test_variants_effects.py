"""Variant effects (epibench.variants): reading VCFs, and scoring on the tiny demo cohort with a model
that is the generator's own motif rule, so the expected change of every CpG is known."""

from __future__ import annotations

import bz2
import gzip
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyfaidx
import pytest
import torch
from torch import nn

from epibench.data.dataset import ShardDataset
from epibench.demo.genome import MOTIF_REACH, PROTECTIVE_MOTIF
from epibench.errors import InputError
from epibench.io.genome_windows import GenomeWindows
from epibench.variants import plots
from epibench.variants.effects import score_variants, summarise
from epibench.variants.sites import CREATED, DESTROYED, KEPT
from epibench.variants.vcf import read_variants

MOTIFS = (PROTECTIVE_MOTIF, "TGAGTCA")  # the motif and its reverse complement
MOTIF_CODES = torch.tensor([["ACGT".index(b) for b in m] for m in MOTIFS])


class MotifRule(nn.Module):
    """The demo generator's motif term as a model: level = sigmoid(2.6 - 3.5 * [a protective motif lies
    within MOTIF_REACH bp of the CpG]) read from the window alone (C at W//2 - 1, G at W//2)."""

    n_context = 0

    def forward(self, seq, hist, hist_mask, region, nbr=None, nbr_mask=None):
        width = MOTIF_CODES.shape[1]
        c = seq.shape[1] // 2 - 1
        tiles = seq.long().unfold(1, width, 1)  # (B, W - width + 1, width)
        hit = (tiles[:, :, None, :] == MOTIF_CODES[None, None]).all(-1).any(-1)  # (B, starts)
        start = torch.arange(hit.shape[1])
        near = ((start >= c + 2) & (start - (c + 2) <= MOTIF_REACH)) | (
            (start + width <= c) & (c - (start + width) <= MOTIF_REACH)
        )
        logit = 2.6 - 3.5 * (hit & near).any(1).float()
        return {"level": torch.sigmoid(logit), "logit": logit}


def _fasta_sequence(fasta, chrom: str) -> str:
    """The upper-cased sequence ``chrom`` of the FASTA, read with pyfaidx (not the package's reader)."""
    return str(pyfaidx.Fasta(str(fasta))[chrom][:]).upper()


def _motif_near(sequence: str, c: int) -> bool:
    """A motif within MOTIF_REACH bp of the CpG at ``c`` (plain string search, the generator's rule)."""
    for motif in MOTIFS:
        for m in re.finditer(f"(?={motif})", sequence[max(c - 60, 0) : c + 62]):
            start = max(c - 60, 0) + m.start()
            if (start >= c + 2 and start - (c + 2) <= MOTIF_REACH) or (
                start + len(motif) <= c and c - (start + len(motif)) <= MOTIF_REACH
            ):
                return True
    return False


@pytest.fixture(scope="module")
def scored(tiny_cohort, tiny_shards):
    genome = GenomeWindows(tiny_cohort["fasta"])
    variants, skips = read_variants(tiny_cohort["variants"], genome)
    dataset = ShardDataset([d for d in tiny_shards if d.parent.name == "sample1"], split="all")
    regions = pd.read_parquet(tiny_cohort["regions"])
    effects = score_variants(MotifRule(), dataset, regions, variants, batch_size=64)
    return variants, skips, effects


def test_destroying_a_planted_motif_raises_methylation_at_the_cpgs_it_protected(scored, tiny_cohort):
    variants, _, effects = scored
    planted = variants[variants["variant"].str.startswith("motif_")]
    assert len(planted) >= 3
    raised = 0
    for variant in planted.itertuples(index=False):
        sequence = _fasta_sequence(tiny_cohort["fasta"], variant.chrom)
        edited = sequence[: variant.pos] + variant.alt + sequence[variant.pos + 1 :]
        sites = effects[(effects["variant"] == variant.variant) & (effects["status"] == KEPT)]
        assert len(sites)
        for site in sites.itertuples(index=False):
            lost = _motif_near(sequence, site.cpg_pos) and not _motif_near(edited, site.cpg_pos)
            if lost:
                assert site.delta_level > 0.5, site  # sigmoid(2.6) - sigmoid(-0.9)
                raised += 1
            else:
                assert site.delta_level == pytest.approx(0.0, abs=1e-6), site
    assert raised >= len(planted)


def test_controls_far_from_motifs_change_nothing(scored):
    _, _, effects = scored
    controls = effects[effects["variant"].str.startswith("control_")]
    assert len(controls) and np.allclose(controls["delta_level"].dropna(), 0.0, atol=1e-6)


def test_multiallelic_records_split_and_indels_scored(scored):
    variants, skips, effects = scored
    assert {"multi_1:A", "multi_1:T"} & set(variants["variant"]) and (
        variants["variant"] == "del_1"
    ).sum() == 1
    assert not skips.counts
    multi = variants[variants["variant"].str.startswith("multi_1")]
    assert len(multi) == 2 and multi["pos"].nunique() == 1
    summary = summarise(variants, effects)
    assert list(summary["variant"]) != [] and set(summary["variant"]) == set(variants["variant"])
    kept = effects[effects["status"] == KEPT]
    assert kept[["level_ref", "level_alt"]].notna().all().all()
    assert effects.loc[effects["status"] == CREATED, "level_ref"].isna().all()
    assert effects.loc[effects["status"] == DESTROYED, "level_alt"].isna().all()
    top = summary.iloc[0]
    assert top["max_abs_delta_level"] == pytest.approx(kept["delta_level"].abs().max())


def _vcf(path, body: list[str], contigs=("chr1", "chr2", "chr3")) -> str:
    header = ["##fileformat=VCFv4.2", *(f"##contig=<ID={c}>" for c in contigs)]
    header.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
    path.write_text("\n".join(header + body) + "\n")
    return str(path)


def test_a_ref_allele_that_differs_from_the_reference_names_the_variant(tiny_cohort, tmp_path):
    genome = GenomeWindows(tiny_cohort["fasta"])
    base = _fasta_sequence(tiny_cohort["fasta"], "chr1")[999]
    wrong = next(b for b in "ACGT" if b != base)
    path = _vcf(tmp_path / "bad.vcf", [f"chr1\t1000\trs7\t{wrong}\tA\t.\tPASS\t."])
    with pytest.raises(
        InputError, match=rf"bad.vcf: record 1 \(rs7 at chr1:1000\): REF {wrong} but the reference has {base}"
    ):
        read_variants(path, genome)


def test_a_few_ref_mismatches_are_skipped_and_named_not_a_stop(tiny_cohort, tmp_path, caplog):
    """A real VCF with a handful of bad records (IUPAC bases, a liftover's leftovers) stopped the whole
    run at its first (found in a trial): one record in ten differing is skipped, counted and named;
    the other nine are scored. Three in ten (another assembly's VCF) still stop, naming the first."""
    genome = GenomeWindows(tiny_cohort["fasta"])
    sequence = _fasta_sequence(tiny_cohort["fasta"], "chr1")

    def record(pos: int, matches: bool) -> str:
        base = sequence[pos - 1]
        ref = base if matches else next(b for b in "ACGT" if b != base)
        alt = next(b for b in "ACGT" if b not in (base, ref))
        return f"chr1\t{pos}\trs{pos}\t{ref}\t{alt}\t.\tPASS\t."

    body = [record(1000 + 10 * i, matches=i != 4) for i in range(10)]
    with caplog.at_level("WARNING", logger="epibench.variants.vcf"):
        variants, skips = read_variants(_vcf(tmp_path / "few.vcf", body), genome)
    assert len(variants) == 9 and "rs1040" not in set(variants["variant"])
    assert skips.counts == {"REF differs from the reference": 1}
    assert (
        "record 5 (rs1040 at chr1:1040): REF" in caplog.text and "1 of 10 records not scored" in caplog.text
    )
    body = [record(1000 + 10 * i, matches=i not in (2, 5, 7)) for i in range(10)]
    with pytest.raises(
        InputError, match=r"record 3 \(rs1020 at chr1:1020\): REF .*; 3 of 10 records differ so"
    ):
        read_variants(_vcf(tmp_path / "other.vcf", body), genome)


def test_chromosome_names_are_matched_and_unknown_sequences_counted(tiny_cohort, tmp_path):
    genome = GenomeWindows(tiny_cohort["fasta"])
    sequence = _fasta_sequence(tiny_cohort["fasta"], "chr2")
    body = [f"2\t501\t.\t{sequence[500]}\tA,T\t.\tPASS\t.", "chrUn_x\t10\t.\tA\tG\t.\tPASS\t."]
    path = _vcf(tmp_path / "named.vcf", body, contigs=("2", "chrUn_x"))
    variants, skips = read_variants(path, genome)
    assert variants["chrom"].tolist() == ["chr2", "chr2"] and variants["pos"].tolist() == [500, 500]
    assert variants["variant"].tolist() == [f"chr2:501:{sequence[500]}>A", f"chr2:501:{sequence[500]}>T"]
    assert sum(skips.counts.values()) == 1


def test_a_file_that_is_not_a_vcf_is_named(tiny_cohort, tmp_path):
    genome = GenomeWindows(tiny_cohort["fasta"])
    path = tmp_path / "calls.vcf.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("chrom\tstart\tend\nchr1\t1\t2\n")
    with pytest.raises(InputError, match="calls.vcf.gz"):
        read_variants(path, genome)


def test_a_bzip2_vcf_is_refused_with_the_bgzip_to_run(tiny_cohort, tmp_path):
    genome = GenomeWindows(tiny_cohort["fasta"])
    sequence = _fasta_sequence(tiny_cohort["fasta"], "chr2")
    plain = Path(
        _vcf(tmp_path / "named.vcf", [f"chr2\t501\t.\t{sequence[500]}\tA\t.\tPASS\t."], contigs=("chr2",))
    )
    path = tmp_path / "named.vcf.bz2"
    path.write_bytes(bz2.compress(plain.read_bytes()))
    assert len(read_variants(plain, genome)[0]) == 1
    with pytest.raises(InputError, match="bz2-compressed VCF.*bgzip") as info:
        read_variants(path, genome)
    assert info.value.path == path


def test_the_figure_spans_the_affected_change_so_tiny_deltas_look_tiny(monkeypatch, tmp_path):
    """A variant whose largest change is 0.002: its panel's axis still spans +-0.05 (AFFECTED), not
    +-0.002, where a change of nothing would fill the panel."""
    drawn = []
    monkeypatch.setattr(plots, "save_figure", lambda fig, stem: drawn.append(fig) or [])
    summary = pd.DataFrame({"variant": ["v1"], "ref": ["C"], "alt": ["A"], "max_abs_delta_level": [0.002]})
    effects = pd.DataFrame(
        {
            "variant": ["v1", "v1"],
            "distance": [-10, 20],
            "status": [KEPT, KEPT],
            "region": ["promoter", "gene_body"],
            "delta_level": [0.002, -0.001],
            "level_ref": [0.5, 0.5],
            "level_alt": [0.502, 0.499],
        }
    )
    plots.plot_top_variants(summary, effects, tmp_path / "v")
    low, high = drawn[0].axes[0].get_ylim()
    assert low <= -0.05 and high >= 0.05  # summarise's cpgs_affected threshold
    # the legend names the created and destroyed marks, which sit at a level, not at a difference
    labels = [text.get_text() for legend in drawn[0].legends for text in legend.get_texts()]
    assert "CpG created (at +its ALT level)" in labels and "CpG destroyed (at -its REF level)" in labels

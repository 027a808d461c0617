"""Write the deterministic demo cohort: reference, annotation, histone bigWigs, methylation calls, truth.

``generate_demo(out_dir)`` writes (names relative to ``out_dir``):

- ``genome.fa``: chr1..chrN, 60 bases a line, soft-masked repeats, a few N runs;
- ``genes.gtf``, ``enhancers.bed`` (BED6, name = cCRE class), ``cpg_islands.bed`` (BED4);
- per sample ``sample<i>``: ``sample<i>.<mark>.bw`` for H3K4me3, H3K27ac, H3K36me3, and
  its methylation calls in format ``FORMATS[i % 3]`` (sample1 ENCODE bedMethyl,
  sample2 Bismark coverage, sample3 WashU methylC, sample4 bedMethyl, ...);
- ``truth.tsv.gz``: sample, chrom, pos, p_meth, motif for every CpG of every sample;
- ``samples.tsv``: sample, methylation, format, H3K4me3, H3K27ac, H3K36me3
  (paths as ``str(out_dir / name)``);
- ``variants.vcf.gz`` (+ ``.tbi``, bgzip + tabix): SNVs that destroy planted motifs near CpGs, controls
  far from any motif, an indel pair and a multi-allelic record (``epibench.demo.variants``);
- ``demo.json``: the arguments, the model coefficients and the one deliberate gap in
  a histone track (sample1 H3K27ac, 5 kb around the first TSS of chr2, or chr1 when
  there is one chromosome): no bigWig entries there, so readers must see NaN, not 0.

The same arguments give byte-identical files; see the other modules of
``epibench.demo`` for how each part is drawn.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from epibench.demo import genome, methylation, tumour, variants
from epibench.demo.activity import ChromActivity, draw_activity
from epibench.demo.annotation import (
    ChromLayout,
    enhancer_bed_lines,
    gtf_lines,
    island_bed_lines,
    lay_out_chromosome,
)
from epibench.demo.marks import BIN_BP, MARKS, mark_values, write_bigwig
from epibench.demo.methylation import CpgSites
from epibench.demo.writers import (
    FORMATS,
    SUFFIXES,
    TRUTH_HEADER,
    CytosineRows,
    bedmethyl_header,
    bedmethyl_lines,
    bismark_lines,
    cytosine_rows,
    methylc_lines,
    truth_lines,
    write_bgzip_vcf,
    write_bytes,
    write_text,
)

NON_CG_ROWS_PER_CHROM = 10
GAP_BP = 5000
MIN_CHROM_BP = 20_000


@dataclass(frozen=True)
class _Cohort:
    """Everything drawn before writing; lists are per chromosome, ``activity[k][s]`` per chromosome and sample."""

    seed: int
    layouts: list[ChromLayout]
    codes: list[np.ndarray]
    sites: list[CpgSites]
    activity: list[list[ChromActivity]]
    tumour_regions: list[tumour.TumourRegions]


def _draw_cohort(
    seed: int, chrom_lengths: Sequence[int], n_samples: int, chrom_names: Sequence[str]
) -> _Cohort:
    layouts = [
        lay_out_chromosome(seed, k, length, name)
        for k, (length, name) in enumerate(zip(chrom_lengths, chrom_names))
    ]
    codes = [genome.chromosome_sequence(seed, k, lay) for k, lay in enumerate(layouts)]
    sites = [methylation.cpg_sites(c, lay) for c, lay in zip(codes, layouts)]
    activity = [draw_activity(seed, k, lay, n_samples) for k, lay in enumerate(layouts)]
    regions = [tumour.tumour_regions(seed, k, lay) for k, lay in enumerate(layouts)]
    return _Cohort(seed, layouts, codes, sites, activity, regions)


def sample_format(number: int) -> str:
    """Methylation format of sample ``sample<number>`` (1-based): ``FORMATS[number % 3]``."""
    return FORMATS[number % len(FORMATS)]


def _signal_gap(layouts: list[ChromLayout]) -> tuple[str, int, int]:
    """(chrom, start, end) of the region left without entries in sample1's H3K27ac track."""
    layout = layouts[min(1, len(layouts) - 1)]
    centre = int(layout.tss[0]) if layout.tss.size else layout.length // 2
    start = max(0, (centre - GAP_BP // 2) // BIN_BP * BIN_BP)
    return layout.name, start, min(layout.length, start + GAP_BP)


def _write_reference(cohort: _Cohort, out_dir: Path) -> dict[str, Path]:
    """genome.fa, genes.gtf, enhancers.bed, cpg_islands.bed."""
    paths = {
        "genome": out_dir / "genome.fa",
        "genes": out_dir / "genes.gtf",
        "enhancers": out_dir / "enhancers.bed",
        "cpg_islands": out_dir / "cpg_islands.bed",
    }
    layouts = cohort.layouts
    write_bytes(
        paths["genome"],
        b"".join(
            genome.fasta_bytes(lay.name, c, genome.soft_mask(lay)) for lay, c in zip(layouts, cohort.codes)
        ),
    )
    write_text(paths["genes"], gtf_lines(layouts))
    write_text(paths["enhancers"], enhancer_bed_lines(layouts))
    write_text(paths["cpg_islands"], island_bed_lines(layouts))
    return paths


def _methylation_lines(fmt: str, sample: str, chroms: list[tuple[str, CytosineRows]]) -> Iterator[str]:
    if fmt == "bedmethyl":
        yield bedmethyl_header(sample)
    for name, rows in chroms:
        if fmt == "methylc":
            yield from methylc_lines(name, rows)
        elif fmt == "bedmethyl":
            yield from bedmethyl_lines(name, rows, sample)
        else:
            yield from bismark_lines(name, rows)


def _write_methylation(
    cohort: _Cohort, s: int, sample: str, path: Path, purity: float | None = None
) -> tuple[list[str], dict[str, int]]:
    """Draw and write the calls of sample index ``s`` (a tumour of ``purity`` when given); return
    its truth rows and CpG counts."""
    fmt = sample_format(s + 1)
    chrom_rows, truth, covered = [], [], 0
    for k, (lay, sites) in enumerate(zip(cohort.layouts, cohort.sites)):
        p = methylation.true_probability(cohort.seed, s, k, sites, lay, cohort.activity[k][s])
        if purity is not None:
            p = tumour.tumour_probability(p, sites, lay, cohort.tumour_regions[k], purity)
        calls = methylation.draw_reads(cohort.seed, s, k, sites, p)
        extra = None
        if fmt == "methylc":
            extra = methylation.draw_non_cg_calls(cohort.seed, s, k, cohort.codes[k], NON_CG_ROWS_PER_CHROM)
        chrom_rows.append((lay.name, cytosine_rows(sites, calls, extra)))
        truth.extend(truth_lines(sample, lay.name, sites, p))
        covered += int(np.count_nonzero(calls.depth_plus + calls.depth_minus))
    write_text(path, _methylation_lines(fmt, sample, chrom_rows))
    return truth, {"cpgs": sum(x.pos.size for x in cohort.sites), "covered_cpgs": covered}


def _write_marks(
    cohort: _Cohort, s: int, sample: str, out_dir: Path, gap: tuple[str, int, int] | None
) -> dict[str, Path]:
    """One bigWig per mark for sample index ``s``; ``gap`` (or None) goes into its H3K27ac track."""
    chrom_sizes = [(lay.name, lay.length) for lay in cohort.layouts]
    values = [
        mark_values(cohort.seed, s, k, lay, cohort.activity[k][s]) for k, lay in enumerate(cohort.layouts)
    ]
    paths = {}
    for m, mark in enumerate(MARKS):
        paths[mark] = out_dir / f"{sample}.{mark}.bw"
        write_bigwig(paths[mark], chrom_sizes, [v[m] for v in values], gap if mark == "H3K27ac" else None)
    return paths


def _manifest(
    seed: int,
    chrom_lengths: Sequence[int],
    chrom_names: Sequence[str],
    gap: tuple[str, int, int],
    counts: dict,
    n_tumours: int,
    purity: float,
) -> str:
    tumours = {}
    if n_tumours:
        tumours = {
            "tumours": {
                "n": n_tumours,
                "purity": purity,
                "cimp_island_share": tumour.CIMP_SHARE,
                "cimp_logit_shift": tumour.CIMP_SHIFT,
                "pmd_bp": tumour.PMD_BP,
                "pmd_share": tumour.PMD_SHARE,
                "pmd_logit_shift": tumour.PMD_SHIFT,
            }
        }
    return json.dumps(
        {
            "seed": seed,
            "chrom_lengths": list(chrom_lengths),
            "chrom_names": list(chrom_names),
            "n_samples": len(counts),
            **tumours,
            "protective_motif": genome.PROTECTIVE_MOTIF,
            "coefficients": {
                "baseline": methylation.BASELINE,
                "island": methylation.ISLAND,
                "promoter": methylation.PROMOTER,
                "enhancer": methylation.ENHANCER,
                "body": methylation.BODY,
                "motif": methylation.MOTIF,
                "density_per_neighbour": methylation.DENSITY,
            },
            "missing_signal": {
                "sample": "sample1",
                "mark": "H3K27ac",
                "chrom": gap[0],
                "start": gap[1],
                "end": gap[2],
            },
            "counts": counts,
        },
        indent=2,
        sort_keys=True,
    )


def generate_demo(
    out_dir: Path,
    chrom_lengths: Sequence[int] = (200_000,) * 5,
    n_samples: int = 3,
    seed: int = 7,
    n_tumours: int = 0,
    purity: float = tumour.DEFAULT_PURITY,
    chrom_names: Sequence[str] = (),
) -> dict:
    """Write the demo cohort into ``out_dir``; return the paths written.

    ``n_samples`` normal samples ``sample<i>``, then ``n_tumours`` tumour-like ones
    ``tumour<i>`` of ``purity`` (``epibench.demo.tumour``); with tumours the sheet gains the
    covariate columns condition (normal | tumour) and purity (empty for normals) and
    ``tumour_regions.bed`` lists the changed regions. Returns ``{"genome", "genes",
    "enhancers", "cpg_islands", "truth", "samples", "manifest": Path, "methylation": {sample:
    Path}, "marks": {sample: {mark: Path}}}`` (+ ``"tumour_regions"`` with tumours).
    Chromosomes must be at least ``MIN_CHROM_BP`` long; ``seed`` a non-negative integer.
    ``chrom_names``: one name per chromosome (default ``chr1``, ``chr2``, ...); the names change
    nothing else (the same seed draws the same sequence, features and calls under any names).
    """
    chrom_names = list(chrom_names) or [f"chr{k + 1}" for k in range(len(chrom_lengths))]
    bad_names = [n for n in chrom_names if not n or any(c.isspace() for c in n)]
    if len(chrom_names) != len(chrom_lengths) or len(set(chrom_names)) != len(chrom_names) or bad_names:
        raise ValueError(
            f"generate_demo needs one distinct name without spaces per chromosome; got names "
            f"{chrom_names} for {len(chrom_lengths)} chromosome lengths"
        )
    if (
        n_samples < 1
        or n_tumours < 0
        or not 0 < purity <= 1
        or not chrom_lengths
        or min(chrom_lengths) < MIN_CHROM_BP
        or seed < 0
    ):
        raise ValueError(
            f"generate_demo needs n_samples >= 1, n_tumours >= 0, purity in (0, 1], chromosomes of "
            f">= {MIN_CHROM_BP} bp and seed >= 0; got n_samples={n_samples}, n_tumours={n_tumours}, "
            f"purity={purity}, chrom_lengths={list(chrom_lengths)}, seed={seed}"
        )
    out_dir = Path(out_dir)
    cohort = _draw_cohort(seed, chrom_lengths, n_samples + n_tumours, chrom_names)
    gap = _signal_gap(cohort.layouts)
    paths: dict = _write_reference(cohort, out_dir)
    paths.update(
        truth=out_dir / "truth.tsv.gz",
        samples=out_dir / "samples.tsv",
        manifest=out_dir / "demo.json",
        variants=out_dir / "variants.vcf.gz",
        methylation={},
        marks={},
    )
    truth, counts = [TRUTH_HEADER], {}
    covariates = ("condition", "purity") if n_tumours else ()
    sheet = ["\t".join(("sample", "methylation", "format") + MARKS + covariates)]
    for s in range(n_samples + n_tumours):
        is_tumour = s >= n_samples
        sample = f"tumour{s - n_samples + 1}" if is_tumour else f"sample{s + 1}"
        meth_path = out_dir / f"{sample}.{SUFFIXES[sample_format(s + 1)]}"
        rows, counts[sample] = _write_methylation(cohort, s, sample, meth_path, purity if is_tumour else None)
        truth.extend(rows)
        marks = _write_marks(cohort, s, sample, out_dir, gap if s == 0 else None)
        paths["methylation"][sample], paths["marks"][sample] = meth_path, marks
        row = [sample, str(meth_path), sample_format(s + 1)] + [str(marks[m]) for m in MARKS]
        if covariates:
            row += ["tumour", f"{purity:g}"] if is_tumour else ["normal", ""]
        sheet.append("\t".join(row))
    write_text(paths["truth"], truth)
    write_text(paths["samples"], sheet)
    if n_tumours:
        paths["tumour_regions"] = out_dir / "tumour_regions.bed"
        write_text(paths["tumour_regions"], tumour.region_bed_lines(cohort.layouts, cohort.tumour_regions))
    names = [lay.name for lay in cohort.layouts]
    records = variants.variant_records(seed, names, cohort.codes)
    write_bgzip_vcf(paths["variants"], variants.vcf_lines(names, list(chrom_lengths), records))
    write_text(
        paths["manifest"], [_manifest(seed, chrom_lengths, chrom_names, gap, counts, n_tumours, purity)]
    )
    return paths

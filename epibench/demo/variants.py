"""The demo's small VCF: variants whose effect on methylation the generator knows.

Per chromosome (seeded):
- ``motif_<i>`` (INFO KIND=motif_destroyed): an SNV on the middle base of a planted protective motif
  (TGACTCA -> TGAATCA, either orientation; no motif is left in either) that has a CpG within
  ``MOTIF_REACH`` bp and no other motif within reach of those CpGs, so the CpGs it protected lose
  that protection: their methylation rises (epibench.demo.methylation);
- ``control_<i>`` (KIND=control): an SNV to A or T at least ``CONTROL_DISTANCE`` bp from every motif,
  with a CpG within 100 bp (none within 2 bp), creating no CG;
and on the first chromosome one 2-bp deletion (``del_1``), one 3-bp insertion (``ins_1``) and one
multi-allelic SNV (``multi_1``, two ALT alleles), so the reader's splitting and indel paths run.
"""

from __future__ import annotations

import numpy as np

from epibench.codes import BASES
from epibench.demo.genome import MOTIF_CODES, MOTIF_REACH, cpg_positions, motif_starts

PER_CHROM = 3  # motif-destroying SNVs and controls per chromosome
CONTROL_DISTANCE = 300  # bp from any motif
MIDDLE = MOTIF_CODES.shape[1] // 2  # the motif's middle base (C in TGACTCA, G in TGAGTCA)
VCF_HEADER = (
    "##fileformat=VCFv4.2",
    "##source=epibench demo-data",
    '##INFO=<ID=KIND,Number=1,Type=String,Description="motif_destroyed: destroys a planted protective '
    'motif near CpGs; control: far from any motif; indel, multiallelic: reader paths">',
)


def _near(points: np.ndarray, sorted_marks: np.ndarray, reach: int) -> np.ndarray:
    """(n,) bool: a mark lies within ``reach`` bp of each point."""
    if sorted_marks.size == 0:
        return np.zeros(points.size, dtype=bool)
    right = np.clip(np.searchsorted(sorted_marks, points), 0, sorted_marks.size - 1)
    left = np.clip(right - 1, 0, sorted_marks.size - 1)
    return (np.abs(sorted_marks[right] - points) <= reach) | (np.abs(sorted_marks[left] - points) <= reach)


def _base(code: int) -> str:
    return BASES[int(code)]


def variant_records(
    seed: int, names: list[str], codes: list[np.ndarray]
) -> list[tuple[str, int, str, str, str, str]]:
    """(chrom, 0-based pos, ID, REF, ALT (comma-separated), KIND) of every demo variant, sorted by
    chromosome (``names`` order) and position."""
    records = []
    for k, (name, seq) in enumerate(zip(names, codes)):
        rng = np.random.default_rng([seed, 31, k])
        starts, cpgs = motif_starts(seq), cpg_positions(seq)
        width = MOTIF_CODES.shape[1]
        gaps = np.diff(starts)
        alone = np.ones(starts.size, dtype=bool)
        alone[1:] &= gaps > 2 * MOTIF_REACH + 2 * width
        alone[:-1] &= gaps > 2 * MOTIF_REACH + 2 * width
        candidates = starts[alone & _near(starts + MIDDLE, cpgs, MOTIF_REACH)]
        for i, start in enumerate(
            np.sort(rng.choice(candidates, min(PER_CHROM, candidates.size), replace=False))
        ):
            pos = int(start + MIDDLE)
            records.append((name, pos, f"motif_{k + 1}_{i + 1}", _base(seq[pos]), "A", "motif_destroyed"))
        positions = np.arange(2, seq.size - 2)
        far = ~_near(positions, starts, CONTROL_DISTANCE) & _near(positions, cpgs, 100)
        plain = (seq[positions] < 4) & (seq[positions - 1] != 1) & (seq[positions + 1] != 2)  # no CG made
        pool = positions[far & plain & ~_near(positions, cpgs, 2)]
        for i, pos in enumerate(np.sort(rng.choice(pool, min(PER_CHROM, pool.size), replace=False))):
            alt = "A" if _base(seq[pos]) != "A" else "T"
            records.append((name, int(pos), f"control_{k + 1}_{i + 1}", _base(seq[pos]), alt, "control"))
        if k == 0:
            for kind, pos in zip(
                ("deletion", "insertion", "multiallelic"), rng.choice(pool, 3, replace=False)
            ):
                pos = int(pos)
                ref = _base(seq[pos])
                if kind == "deletion":
                    records.append(
                        (name, pos, "del_1", "".join(map(_base, seq[pos : pos + 3])), ref, "indel")
                    )
                elif kind == "insertion":
                    records.append((name, pos, "ins_1", ref, ref + "TTA", "indel"))
                else:
                    alts = [b for b in "ATCG" if b != ref][:2]
                    records.append((name, pos, "multi_1", ref, ",".join(alts), "multiallelic"))
    order = {name: i for i, name in enumerate(names)}
    return sorted(records, key=lambda r: (order[r[0]], r[1]))


def vcf_lines(names: list[str], lengths: list[int], records: list[tuple]) -> list[str]:
    """The VCF text (header, contigs, one line per record) of ``variant_records``' output."""
    contigs = [f"##contig=<ID={name},length={length}>" for name, length in zip(names, lengths)]
    columns = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"
    body = [f"{c}\t{p + 1}\t{i}\t{r}\t{a}\t.\tPASS\tKIND={kind}" for c, p, i, r, a, kind in records]
    return [*VCF_HEADER, *contigs, columns, *body]

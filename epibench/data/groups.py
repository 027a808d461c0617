"""Shard groups: which reference sequences one shard job builds (the Snakemake scatter).

A sequence holding at least ``min_share`` of the genome's bp is its own group, named after
it (``chr1``); the smaller ones (unplaced scaffolds, chrM, decoys) are packed in reference
order into groups ``small_1``, ``small_2``, ... each holding at most the larger of
``min_share`` of the genome and the largest sequence's length. So no packed job is bigger than
the largest chromosome's own job (a job's memory is bounded by about one large chromosome), an
assembly with thousands of scaffolds still makes at most about 1 / ``min_share`` jobs per
sample (100 at the default; 104 for a measured draft assembly of 3,000 scaffolds of 2-30 kb),
and one whose scaffolds sit beside a few large chromosomes packs them into as few jobs as those
chromosomes' length allows (20,000 scaffolds beside five 5-Mb chromosomes, 186 Mb in all: 33 packs,
not 89; each job costs seconds of Snakemake and Python start-up, and a SLURM submission).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from epibench.errors import InputError
from epibench.io.atomic import write_tsv

SMALL_PREFIX = "small_"
# sequences a packed group holds at most: a shard stores each CpG's sequence as an int16 index
# (manifest ARRAY_DTYPES), and an assembly of 10^5-10^6 contigs beside one large chromosome would
# otherwise pack them all into one group
MAX_PACKED_SEQUENCES = 10_000


def shard_groups(chrom_sizes: dict[str, int], min_share: float = 0.01) -> dict[str, list[str]]:
    """group name -> sequence names, in reference order (a pack holds at most ``MAX_PACKED_SEQUENCES``).
    chrom_sizes: name -> length (bp)."""
    total = sum(chrom_sizes.values())
    limit = min_share * total
    pack_bp = max([limit, *(length for length in chrom_sizes.values() if length >= limit)])
    groups: dict[str, list[str]] = {}
    packed: list[list[str]] = []
    packed_bp = 0
    for chrom, length in chrom_sizes.items():
        if length >= limit:
            if chrom.startswith(SMALL_PREFIX) or "/" in chrom:
                raise InputError(
                    f"sequence name {chrom!r} cannot name a shard group (starts with "
                    f"{SMALL_PREFIX!r} or holds '/')"
                )
            groups[chrom] = [chrom]
            continue
        if not packed or packed_bp + length > pack_bp or len(packed[-1]) >= MAX_PACKED_SEQUENCES:
            packed.append([])
            packed_bp = 0
        packed[-1].append(chrom)
        packed_bp += length
    for number, members in enumerate(packed, start=1):
        groups[f"{SMALL_PREFIX}{number}"] = members
    return groups


def write_groups(groups: dict[str, list[str]], path: str | Path) -> None:
    """TSV with header ``group chrom``, one row per sequence, atomically."""
    rows = [(group, chrom) for group, chroms in groups.items() for chrom in chroms]
    write_tsv(pd.DataFrame(rows, columns=["group", "chrom"]), path)


def read_groups(path: str | Path) -> dict[str, list[str]]:
    """group -> sequence names, from ``write_groups``' file."""
    table = pd.read_csv(path, sep="\t", dtype=str)
    return {group: list(rows["chrom"]) for group, rows in table.groupby("group", sort=False)}

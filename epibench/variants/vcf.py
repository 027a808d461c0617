"""Read the variants of a VCF (plain, gzip or bgzip + tabix) for scoring: SNVs and short indels.

Read with pysam (htslib). Variant names are the record's ID (``ID:ALT`` for the alleles of a
multi-allelic record; ``ID@chrom:pos:REF>ALT`` where records share an ID) or, without one,
``chrom:pos:REF>ALT`` (1-based pos): unique within the file. Each ALT allele of a record becomes one variant (multi-allelic records are
split); an allele is kept when it is a sequence of ACGT (no symbolic ``<DEL>``, breakend or ``*``) and
neither allele is longer than ``MAX_ALLELE``. Chromosome names are matched to the reference like every
other input (epibench.io.chroms.harmonise: ``1`` -> ``chr1``, ``MT`` -> ``chrM``); records on a
sequence the reference lacks are dropped and counted. The REF allele must equal the reference bases at
its position (upper-cased): a record whose REF differs is not scored, counted and the first named
(a few: IUPAC bases, a liftover's leftovers); where more than ``MAX_REF_MISMATCH_SHARE`` of the records
on the reference's sequences differ, the run stops naming the first (a VCF of another assembly, or
normalised against another FASTA).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import pandas as pd

from epibench.errors import InputError
from epibench.io.chroms import harmonise
from epibench.io.genome_windows import GenomeWindows
from epibench.io.textfile import compression
from epibench.codes import BASES

log = logging.getLogger(__name__)

MAX_ALLELE = 50  # bp: longer alleles are structural variants, not scored here
# share of records whose REF differs from the reference above which the VCF is another assembly's (at
# random positions of another build three SNVs in four differ)
MAX_REF_MISMATCH_SHARE = 0.2
VARIANT_COLUMNS = ("variant", "chrom", "pos", "ref", "alt")
_ACGT = set("ACGT")


@dataclass
class VcfSkips:
    """Alleles read but not scored, by reason (logged and written to the summary)."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, reason: str, alleles: int = 1) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + alleles


def variant_name(record_id: str | None, chrom: str, pos: int, ref: str, alt: str, n_alts: int) -> str:
    """The record's ID (with ``:ALT`` appended when the record has ``n_alts`` > 1 alleles, which
    would otherwise share it), or chrom:1-based position:REF>ALT where it has none (``.``)."""
    if not record_id:
        return f"{chrom}:{pos + 1}:{ref}>{alt}"
    return f"{record_id}:{alt}" if n_alts > 1 else record_id


def read_variants(path: str | os.PathLike, genome: GenomeWindows) -> tuple[pd.DataFrame, VcfSkips]:
    """The scorable variants of the VCF at ``path`` (``VARIANT_COLUMNS``; pos 0-based, of REF's first
    base; chrom as the reference names it), in file order, and what was skipped.

    Raises InputError for a file pysam cannot read (naming the file and record number) and where more
    than ``MAX_REF_MISMATCH_SHARE`` of the records on the reference's sequences have a REF allele
    that differs from the reference (fewer are skipped: module docstring).
    """
    import pysam  # htslib: bgzip, tabix, header checks

    kind = compression(path)
    if kind not in (None, "gzip"):
        raise InputError(
            f"a {kind}-compressed VCF: htslib reads VCFs plain, gzip or bgzip; decompress it and "
            "compress it again with `bgzip` (then `tabix -p vcf` it)",
            path=path,
        )
    try:
        vcf = pysam.VariantFile(str(path))
    except (OSError, ValueError) as err:
        raise InputError(f"not a readable VCF ({err})", path=path) from err
    names = harmonise(list(vcf.header.contigs), genome.names, genome.aliases)
    rows, skips, number, checked, mismatches = [], VcfSkips(), 0, 0, []
    with vcf:
        records = iter(vcf)
        while True:
            number += 1
            try:
                record = next(records)
            except StopIteration:
                break
            except (OSError, ValueError) as err:
                raise InputError(f"record {number} cannot be read ({err})", path=path) from err
            chrom = (
                names.get(record.chrom)
                or harmonise([record.chrom], genome.names, genome.aliases)[record.chrom]
            )
            if chrom is None:
                skips.add(f"sequence not in the reference ({record.chrom})")
                continue
            ref = record.ref.upper()
            alts = [a.upper() for a in record.alts or ()]
            checked += 1
            if differs := ref_mismatch(path, number, record, chrom, ref, genome):
                mismatches.append(differs)
                skips.add("REF differs from the reference", len(alts))
                continue
            for alt in alts:
                if not set(alt) <= _ACGT or not set(ref) <= _ACGT:
                    skips.add("symbolic or non-ACGT allele")
                elif max(len(ref), len(alt)) > MAX_ALLELE:
                    skips.add(f"allele longer than {MAX_ALLELE} bp")
                elif alt == ref:
                    skips.add("ALT equals REF")
                else:
                    name = variant_name(record.id, chrom, record.start, ref, alt, len(alts))
                    rows.append((name, chrom, record.start, ref, alt))
    _judge_mismatches(path, mismatches, checked)
    for reason, count in skips.counts.items():
        log.warning("%s: %d alleles not scored: %s", path, count, reason)
    table = pd.DataFrame(rows, columns=list(VARIANT_COLUMNS)).astype({"pos": "int64"})
    shared = table["variant"].duplicated(keep=False)  # one ID on several records: add where and what
    table.loc[shared, "variant"] = [
        f"{r.variant}@{r.chrom}:{r.pos + 1}:{r.ref}>{r.alt}" for r in table[shared].itertuples(index=False)
    ]
    return table, skips


def _judge_mismatches(path: str | os.PathLike, mismatches: list[str], checked: int) -> None:
    """InputError where more than ``MAX_REF_MISMATCH_SHARE`` of the ``checked`` records (those on the
    reference's sequences) differ (``mismatches``: their descriptions, file order); a warning naming
    the first where fewer do."""
    if not mismatches:
        return
    counted = f"{len(mismatches):,} of {checked:,} records"
    if len(mismatches) > MAX_REF_MISMATCH_SHARE * checked:
        raise InputError(
            f"{mismatches[0]}; {counted} differ so (a VCF of another assembly, or normalised against another "
            "FASTA?)",
            path=path,
        )
    log.warning(
        "%s: %s: %s not scored (%s at most are skipped; `bcftools norm --check-ref ws -f <FASTA>` mends or "
        "drops them)",
        path,
        mismatches[0] + (f", and {len(mismatches) - 1:,} more" if len(mismatches) > 1 else ""),
        counted,
        f"{MAX_REF_MISMATCH_SHARE:.0%}",
    )


def ref_mismatch(path, number: int, record, chrom: str, ref: str, genome: GenomeWindows) -> str:
    """How REF differs from the reference's bases at the record's position (N in either matches),
    "" where it does not; InputError for a record beyond the sequence's end."""
    seq_index = genome.index_of([chrom])
    if record.start + len(ref) > genome.lengths[seq_index[0]]:
        raise InputError(
            f"record {number} ({record.chrom}:{record.pos}) lies beyond the end of {chrom} "
            f"({genome.lengths[seq_index[0]]} bp): wrong assembly?",
            path=path,
        )
    codes = genome.windows(seq_index, [record.start], len(ref))[0]
    found = "".join(BASES[c] for c in codes)
    if any(a != b and "N" not in (a, b) for a, b in zip(ref, found)):
        return f"record {number} ({record.id or '.'} at {record.chrom}:{record.pos}): REF {ref} but the reference has {found} there"
    return ""

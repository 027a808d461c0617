"""A tiny two-chromosome reference shared by the methylation-reader tests (positions chosen by hand)."""

from __future__ import annotations

from epibench.io.reference import Reference, write_reference_index

CHR1 = "AACGTTACGATTCGGGCGATCAGTT"
CHR2 = "CGTACG"


def make_reference(tmp_path, seqs, name="ref"):
    """Write ``seqs`` (name -> bases) as a FASTA, prepare it like the reference stage, open it."""
    fasta = tmp_path / f"{name}.fa"
    fasta.write_text("".join(f">{chrom}\n{seq}\n" for chrom, seq in seqs.items()))
    return Reference(write_reference_index(fasta, tmp_path / name))

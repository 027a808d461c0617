"""Shared vocabularies: the codes every stage agrees on.

Sequence code: index into ``BASES`` (A=0, C=1, G=2, T=3, N=4).
Region code: index into ``REGION_CLASSES`` (priority order: a CpG in several
classes takes the first one listed).
Split code: index into ``SPLITS``.
"""

BASES = "ACGTN"
N_CODE = BASES.index("N")
REGION_CLASSES = ("promoter", "enhancer", "gene_body", "intergenic")
SPLITS = ("train", "val", "test")

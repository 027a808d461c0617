"""Shared vocabularies: the codes every stage agrees on.

Sequence code: index into ``BASES`` (A=0, C=1, G=2, T=3, N=4).
Region code: index into ``REGION_CLASSES`` (priority order: a CpG in several
classes takes the first one listed).
Split code: index into ``SPLITS``.
"""

import numpy as np

BASES = "ACGTN"
N_CODE = BASES.index("N")
C_CODE, G_CODE = BASES.index("C"), BASES.index("G")
# byte -> sequence code; lower-case acgt map like upper case, anything else is N.
CODE_OF_BYTE = np.full(256, N_CODE, dtype=np.uint8)
for _code, _base in enumerate(BASES[:N_CODE]):
    CODE_OF_BYTE[ord(_base)] = _code
    CODE_OF_BYTE[ord(_base.lower())] = _code


def cg_starts(codes: np.ndarray) -> np.ndarray:
    """(..., L - 1) bool: True at each position along the last axis of ``codes`` (..., L) sequence codes
    whose base is the C of a CG dinucleotide."""
    return (codes[..., :-1] == C_CODE) & (codes[..., 1:] == G_CODE)


REGION_CLASSES = ("promoter", "enhancer", "gene_body", "intergenic")
SPLITS = ("train", "val", "test")

# the features of each neighbour-context token (epibench.data.neighbours), in order
NEIGHBOUR_FEATURES = ("level", "log10_coverage", "log10_distance")

"""The CpGs a variant can change, and their sequence windows under each allele.

For a variant at 0-based ``pos`` (REF's first base) the sites are the CpGs whose sequence window,
[C - (window // 2 - 1), C + window // 2], holds a base the variant changes (after VCF's anchor base): a C
up to ``window // 2`` bp before the change or ``window // 2 - 1`` bp after it, found on
a local stretch of reference codes and on the same stretch with REF replaced by ALT:

- ``kept``: a reference CpG that is still a CG under ALT (scored under both alleles);
- ``destroyed``: a reference CpG that the variant turns into something else (scored under REF only:
  under ALT there is no CpG to methylate);
- ``created``: a CG under ALT that no reference CpG maps to (scored under ALT only). Its position is
  the reference coordinate of its C, or, for a C inside inserted bases, of the last REF base.

Windows follow epibench.data.windows (the C at ``window // 2 - 1``), cut from the stretch: bases
left of the variant keep their offsets, bases right of it shift by len(ALT) - len(REF) under ALT.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from epibench.codes import CODE_OF_BYTE, N_CODE, cg_starts

KEPT, DESTROYED, CREATED = "kept", "destroyed", "created"


@dataclass
class VariantSites:
    """The sites of one variant (S of them) with their windows.

    pos: (S,) int64 0-based C on the reference; status: (S,) str (KEPT, DESTROYED or CREATED);
    ref_windows: (S, W) uint8, rows of created sites all N; alt_windows: (S, W) uint8, rows of
    destroyed sites all N.
    """

    pos: np.ndarray
    status: np.ndarray
    ref_windows: np.ndarray
    alt_windows: np.ndarray


def stretch_bounds(pos: int, ref_len: int, window: int, max_shift: int) -> tuple[int, int]:
    """0-based [start, end) of the reference stretch that holds every site's window under both alleles
    (max_shift: the largest |len(ALT) - len(REF)| to allow for)."""
    margin = window + max_shift + 2
    return pos - margin, pos + ref_len + margin


def cg_offsets(codes: np.ndarray) -> np.ndarray:
    """(K,) int64 offsets of the C of every CG in ``codes`` (1-D uint8)."""
    return np.flatnonzero(cg_starts(codes))


def encode(allele: str) -> np.ndarray:
    """Base codes (uint8) of an allele string."""
    return CODE_OF_BYTE[np.frombuffer(allele.encode(), dtype=np.uint8)]


def trimmed(pos: int, ref: str, alt: str) -> tuple[int, str, str]:
    """The allele pair without the bases REF and ALT share at either end (VCF's anchor base of an
    indel): (pos of the first differing base, REF part, ALT part); either part may be empty."""
    while ref and alt and ref[0] == alt[0]:
        pos, ref, alt = pos + 1, ref[1:], alt[1:]
    while ref and alt and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    return pos, ref, alt


def variant_sites(stretch: np.ndarray, start: int, pos: int, ref: str, alt: str, window: int) -> VariantSites:
    """The sites of the variant REF>ALT at ``pos`` (module docstring) with their windows.

    stretch: (L,) uint8 reference codes of [start, start + L) (``stretch_bounds``; N beyond the
    sequence); every site's window must fit in it. The alleles are compared after ``trimmed``, so a
    CpG beside an indel's anchor base is not counted as touched.
    """
    pos, ref, alt = trimmed(pos, ref, alt)
    half = window // 2
    at, shift = pos - start, len(alt) - len(ref)
    edited = np.concatenate([stretch[:at], encode(alt), stretch[at + len(ref) :]])
    # offsets a site's C may take (reference): its window [C - (half - 1), C + half] holds a changed base,
    # or for an insertion (no REF base) the bases on both sides of it
    near_lo, near_hi = at - half, at + len(ref) - 2 + half

    ref_cg = cg_offsets(stretch)
    ref_cg = ref_cg[(ref_cg >= near_lo) & (ref_cg <= near_hi)]
    alt_image = np.where(ref_cg < at, ref_cg, ref_cg + shift)  # where each reference C lies under ALT
    inside = (ref_cg + 1 >= at) & (ref_cg < at + len(ref))  # the CpG touches REF
    same_spot = inside & (len(ref) == len(alt))  # a substitution keeps the offsets
    alt_cg = cg_offsets(edited)
    is_cg = np.isin(alt_image, alt_cg)
    kept = is_cg & (~inside | same_spot)

    mapped = alt_image[kept]
    new = alt_cg[~np.isin(alt_cg, mapped) & (alt_cg + 1 >= at) & (alt_cg < at + len(alt))]
    new_pos = start + np.where(new < at + len(ref), new, at + len(ref) - 1)

    pos_all = np.concatenate([start + ref_cg, new_pos]).astype(np.int64)
    status = np.array([KEPT if k else DESTROYED for k in kept] + [CREATED] * len(new), dtype=object)
    ref_offset = np.concatenate([ref_cg, np.full(len(new), -1)])
    alt_offset = np.concatenate([np.where(kept, alt_image, -1), new])
    return VariantSites(
        pos=pos_all,
        status=status,
        ref_windows=_cut(stretch, ref_offset, half),
        alt_windows=_cut(edited, alt_offset, half),
    )


def _cut(codes: np.ndarray, c_offsets: np.ndarray, half: int) -> np.ndarray:
    """(S, 2*half) windows with the C at ``half - 1``; rows with offset -1 are all N."""
    out = np.full((len(c_offsets), 2 * half), N_CODE, dtype=np.uint8)
    present = c_offsets >= 0
    if present.any():
        index = c_offsets[present, None] - (half - 1) + np.arange(2 * half)
        out[present] = codes[index]
    return out

"""The CpGs a variant touches and their windows under each allele (epibench.variants.sites), checked
against plain string editing of the whole sequence."""

from __future__ import annotations

import numpy as np
import pytest

from epibench.codes import BASES
from epibench.variants.sites import CREATED, DESTROYED, KEPT, encode, stretch_bounds, trimmed, variant_sites

W = 20  # window: the C at index 9, the G at 10


def _sites(sequence: str, pos: int, ref: str, alt: str):
    start, end = stretch_bounds(pos, len(ref), W, max_shift=10)
    padded = "N" * max(0, -start) + sequence[max(start, 0) : end] + "N" * max(0, end - len(sequence))
    assert sequence[pos : pos + len(ref)] == ref
    return variant_sites(encode(padded), start, pos, ref, alt, W)


def _window(sequence: str, c: int) -> str:
    """The window of the CpG whose C is at ``c`` of ``sequence``, N beyond its ends (plain strings)."""
    padded = "N" * W + sequence + "N" * W
    return padded[W + c - (W // 2 - 1) : W + c + W // 2 + 1]


def _text(codes: np.ndarray) -> str:
    return "".join(BASES[c] for c in codes)


def _by_pos(sites) -> dict[int, str]:
    return dict(zip(sites.pos.tolist(), sites.status.tolist()))


def _random_sequence(n: int, seed: int) -> str:
    return "".join(np.random.default_rng(seed).choice(list("ACGT"), n))


def test_an_snv_on_the_c_destroys_its_cpg_and_keeps_the_others_with_the_base_changed():
    seq = "ATATATCGATATATCGATATATATATATCGATAT"  # CpGs at 6, 14 and 28 (22 bp away: no site)
    sites = _sites(seq, 6, "C", "T")
    assert _by_pos(sites) == {6: DESTROYED, 14: KEPT}
    alt_seq = seq[:6] + "T" + seq[7:]
    for c, ref_window, alt_window in zip(sites.pos, sites.ref_windows, sites.alt_windows):
        assert _text(ref_window) == _window(seq, c)
        if c != 6:
            assert _text(alt_window) == _window(alt_seq, c)
            assert _text(alt_window)[6 - (c - (W // 2 - 1))] == "T"  # the variant's base in the window
    assert set(_text(sites.alt_windows[0])) == {"N"}  # nothing to score under ALT


def test_an_snv_creating_a_cg_gives_a_created_site_scored_under_alt_only():
    seq = "ATATATCAATATATATATAT"
    sites = _sites(seq, 7, "A", "G")
    assert _by_pos(sites) == {6: CREATED}
    assert _text(sites.alt_windows[0]) == _window(seq[:7] + "G" + seq[8:], 6)
    assert set(_text(sites.ref_windows[0])) == {"N"}


def test_cpgs_beyond_half_a_window_are_not_sites():
    seq = "CG" + "A" * 40 + "T" + "A" * 40 + "CG"
    assert len(_sites(seq, 42, "T", "A").pos) == 0
    near = "A" * 32 + "CG" + "A" * 8 + "T" + "A" * 41
    assert _by_pos(_sites(near, 42, "T", "A")) == {32: KEPT}  # C 10 bp from the variant (= W // 2)


@pytest.mark.parametrize(
    "pos, ref, alt",
    [(30, "A", "AGGT"), (30, "AGT", "A"), (30, "A", "ACG"), (29, "CGA", "C"), (31, "TTA", "T")],
)
def test_indel_windows_equal_the_edited_sequence(pos, ref, alt):
    seq = _random_sequence(60, 3)
    seq = seq[:pos] + ref + seq[pos + len(ref) :]
    seq = seq[:20] + "CG" + seq[22:26] + "CG" + seq[28:]
    sites = _sites(seq, pos, ref, alt)
    alt_seq = seq[:pos] + alt + seq[pos + len(ref) :]
    shift = len(alt) - len(ref)
    for c, status, ref_window, alt_window in zip(
        sites.pos, sites.status, sites.ref_windows, sites.alt_windows
    ):
        if status != CREATED:
            assert _text(ref_window) == _window(seq, c) and seq[c : c + 2] == "CG"
        if status == KEPT:
            alt_c = c if c < pos else c + shift
            assert _text(alt_window) == _window(alt_seq, alt_c)
        if status != DESTROYED:
            assert _text(alt_window)[W // 2 - 1 : W // 2 + 1] == "CG"


def test_the_anchor_base_of_an_indel_is_not_a_change():
    assert trimmed(10, "CA", "C") == (11, "A", "")
    assert trimmed(10, "G", "GTT") == (11, "", "TT")
    assert trimmed(10, "ACG", "ATG") == (11, "C", "T")
    seq = "ATATATATCGATATATATATAT"  # deleting the A after the CG's G leaves the CpG whole
    assert _by_pos(_sites(seq, 9, "GA", "G")) == {8: KEPT}


@pytest.mark.parametrize("pos, ref, alt", [(40, "T", "A"), (40, "T", "TGGT"), (40, "TAT", "T")])
def test_a_site_is_a_cpg_whose_window_holds_the_change(pos, ref, alt):
    """Sites are exactly the CpGs whose window, [C - (W/2 - 1), C + W/2], holds a changed base (after
    the anchor; an insertion: the bases on both sides of it): not the C W/2 bp downstream of an SNV,
    whose window starts one base after it."""
    p, changed, _ = trimmed(pos, ref, alt)
    background = "".join(np.random.default_rng(5).choice(list("AT"), 100))
    background = background[:pos] + ref + background[pos + len(ref) :]
    for c in range(pos - W, pos + len(ref) + W):
        if c + 1 >= p - 1 and c <= p + len(changed):  # a CpG on or beside the change: not this test's
            continue
        seq = background[:c] + "CG" + background[c + 2 :]
        first, last = c - (W // 2 - 1), c + W // 2
        if changed:
            holds = first <= p + len(changed) - 1 and last >= p
        else:
            holds = first <= p - 1 and last >= p
        assert (c in _by_pos(_sites(seq, pos, ref, alt))) == holds, c

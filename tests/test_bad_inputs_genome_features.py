"""Bad-input suite, TADs and loops (generated cases): ``epibench.io.genome_features``.

A TAD BED and a loop BEDPE (HiCCUPS-style, maybe with its header row) with chromosome names
in both spellings and rows on sequences the reference lacks, plain or gzip, damaged one way
(cut at a random byte, a field added or removed, a bad coordinate, a row twice, nothing left).
The expected channels are computed here by brute force from the rows the documented rules
keep: log10(1 + bp from each bin centre to the nearest TAD boundary or loop anchor, 0 inside
an anchor), NaN on a sequence without any, and each bin's TAD (the first listed); otherwise
an InputError names the file and the line.
"""

from __future__ import annotations

import re

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bad_inputs import Bad, check_error, coordinate, damaged, expected_intervals, outcome, text_of
from conftest import count_case
from epibench.io.genome_features import GenomeFeatures

REFERENCE = {"chr1": 3000, "chr2": 1200, "chrM": 400}
BARE = {"chr1": "1", "chr2": "2", "chrM": "MT"}
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def reference_name(name: str) -> str | None:
    """The reference sequence ``name`` stands for (chr1 and 1, chrM and MT alike), None for none."""
    return next((ref for ref, bare in BARE.items() if name in (ref, bare)), None)


def spelled(draw) -> str:
    """A sequence name as a file may write it: either spelling, or a sequence the reference lacks."""
    ref = draw(st.sampled_from([*REFERENCE, "chrUn_x"]))
    return draw(st.sampled_from([ref, BARE.get(ref, ref)]))


@st.composite
def tad_lines(draw) -> list[str]:
    """A TAD BED: chrom, start, end per domain (empty domains too)."""
    lines = ["# domains"] if draw(st.booleans()) else []
    for _ in range(draw(st.integers(1, 6))):
        start = draw(st.integers(0, 3000))
        lines.append(f"{spelled(draw)}\t{start}\t{start + draw(st.integers(0, 900))}")
    return lines


@st.composite
def loop_lines(draw) -> list[str]:
    """A loop BEDPE: two anchors, a name and a score per row, maybe under a HiCCUPS header row."""
    lines = ["chr1\tx1\tx2\tchr2\ty1\ty2\tname\tscore"] if draw(st.booleans()) else []
    for number in range(draw(st.integers(1, 5))):
        anchors = []
        for _ in range(2):
            start = draw(st.integers(0, 3000))
            anchors += [spelled(draw), str(start), str(start + draw(st.integers(0, 60)))]
        lines.append("\t".join(anchors + [f"loop{number}", "7"]))
    return lines


def expected_anchors(lines: list[str]) -> list[tuple[str, int, int]]:
    """Both anchors of every loop row, (name, start, end); Bad for a bad row. A first row with no
    integer among the anchor coordinates (columns 2, 3, 5, 6) is a header."""
    anchors, first = [], True
    for number, text in enumerate(lines, start=1):
        if not text.strip() or text.startswith(("#", "track", "browser")):
            continue
        f = text.split("\t")
        if first and len(f) >= 6 and not any(re.fullmatch(r"[0-9]{1,18}", f[i]) for i in (1, 2, 4, 5)):
            first = False
            continue
        first = False
        if len(f) < 6:
            raise Bad("at least 6 tab-separated columns", number)
        for name, start, end in (f[0:3], f[3:6]):
            try:
                start, end = coordinate(start, 0), coordinate(end, 0)
            except ValueError:
                raise Bad("anchor start/end must be integers", number) from None
            if end < start:
                raise Bad("anchor start/end must be integers", number)
            anchors.append((name, start, end))
    return anchors


def distance_grid(intervals: list[tuple[int, int]], length: int, bin_size: int) -> np.ndarray:
    """log10(1 + bp from each bin centre to the nearest [start, end] interval), NaN without any."""
    centres = np.arange(0, length, bin_size) + bin_size / 2
    if not intervals:
        return np.full(len(centres), np.nan, np.float32)
    near = [min(0 if s <= c <= e else min(abs(c - s), abs(c - e)) for s, e in intervals) for c in centres]
    return np.log10(1 + np.array(near)).astype(np.float32)


def intact(lines: list[str]) -> tuple[list[str], bytes, bool]:
    """A file left as written, in ``damaged``'s terms."""
    return lines, text_of(lines), False


@settings(max_examples=250, **SETTINGS)
@given(data=st.data(), which=st.sampled_from(["tads", "loops"]), bin_size=st.sampled_from([50, 100, 333]))
def test_tad_and_loop_channels(data, which, bin_size, tmp_path_factory):
    """One of the two files damaged, the other as written."""
    count_case("genome_features")
    folder = tmp_path_factory.mktemp("features", numbered=True)
    tads = tad_lines().flatmap(
        lambda lines: damaged(lines, (1, 2)) if which == "tads" else st.just(intact(lines))
    )
    loops = loop_lines().flatmap(
        lambda lines: damaged(lines, (1, 2, 4, 5)) if which == "loops" else st.just(intact(lines))
    )
    (tad_lines_, tad_data, tads_cut), (loop_lines_, loop_data, loops_cut) = data.draw(tads), data.draw(loops)
    (folder / "tads.bed").write_bytes(tad_data)
    (folder / "loops.bedpe").write_bytes(loop_data)
    domains, anchors = outcome(expected_intervals, tad_lines_), outcome(expected_anchors, loop_lines_)

    def run():
        return GenomeFeatures(list(REFERENCE), folder / "tads.bed", folder / "loops.bedpe")

    if tads_cut or isinstance(domains, Bad):  # the TAD BED is read first
        check_error(run, folder / "tads.bed", domains, tads_cut)
        return
    if loops_cut or isinstance(anchors, Bad):
        check_error(run, folder / "loops.bedpe", anchors, loops_cut)
        return
    features = run()
    for chrom, length in REFERENCE.items():
        mine = [(s, e) for name, s, e in domains if reference_name(name) == chrom]
        boundaries = [(p, p) for s, e in mine for p in (s, e)]
        loop_anchors = [(s, e) for name, s, e in anchors if reference_name(name) == chrom]
        tad, loop = features.grids(chrom, length, bin_size)
        np.testing.assert_allclose(tad, distance_grid(boundaries, length, bin_size), rtol=1e-6)
        np.testing.assert_allclose(loop, distance_grid(loop_anchors, length, bin_size), rtol=1e-6)
        centres = np.arange(0, length, bin_size) + bin_size / 2
        want_ids = [next((i for i, (s, e) in enumerate(mine) if s <= c < e), -1) for c in centres]
        assert features.tad_ids(chrom, length, bin_size).tolist() == want_ids

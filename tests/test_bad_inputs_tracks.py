"""Bad-input suite, bigWigs (generated cases): histone-mark tracks and Roadmap methylation bigWigs.

Random intervals with NaN, +-inf and out-of-range values among the stored values, chromosome
names in the other spelling than the reference's, files cut at a random byte. A mark track
reads NaN wherever there is no finite value (``Track``: NaN/inf stored = missing); a Roadmap
FractionalMethylation bigWig gives one call per covered base with a level in 0-1, skips and
counts bases without a finite level, and names the file for a level outside 0-1, an interval
longer than 2 bp or a read coverage that is not a non-negative integer (``bigwig``). The
expected values are built here from the intervals written, base by base.
"""

from __future__ import annotations

import math

import numpy as np
import pyBigWig
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bad_inputs import assert_input_error, cut_points
from conftest import count_case
from epibench.io.methylation.bigwig import MAX_MISSING_COVERAGE_SHARE
from epibench.io.methylation.ingest import read_calls
from epibench.io.tracks import Track

SIZES = {"1": 260, "2": 90, "MT": 40}  # bare names; the reference also has chr3, which no file holds
REFERENCE = ["chr1", "chr2", "chrM", "chr3"]
SPECIAL = [math.nan, math.inf, -math.inf]
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def write_bigwig(path, names: dict[str, str], intervals: dict[str, list[tuple[int, int, float]]]) -> bytes:
    """A bigWig of ``intervals`` (bare name -> sorted (start, end, value)), sequences named
    ``names[bare]``; returns its bytes."""
    bw = pyBigWig.open(str(path), "w")
    bw.addHeader([(names[bare], size) for bare, size in SIZES.items()])
    for bare, rows in intervals.items():
        if rows:
            starts, ends, values = zip(*rows)
            bw.addEntries([names[bare]] * len(rows), list(starts), ends=list(ends), values=list(values))
    bw.close()
    return path.read_bytes()


@st.composite
def intervals(
    draw, values: st.SearchStrategy[float], max_span: int
) -> dict[str, list[tuple[int, int, float]]]:
    """Sorted, non-overlapping intervals of 1..max_span bp per sequence, with ``values``."""
    out = {}
    for bare, size in SIZES.items():
        starts = sorted(draw(st.sets(st.integers(0, size - 1), max_size=25)))
        rows = []
        for i, start in enumerate(starts):
            limit = min(size, starts[i + 1] if i + 1 < len(starts) else size, start + max_span)
            rows.append((start, draw(st.integers(start + 1, limit)), draw(values)))
        out[bare] = rows
    return out


def spelled(draw) -> dict[str, str]:
    """How the file names each sequence: UCSC (chr1, chrM) or Ensembl (1, MT), per sequence."""
    return {bare: draw(st.sampled_from([f"chr{'M' if bare == 'MT' else bare}", bare])) for bare in SIZES}


def reference_of(bare: str) -> str:
    """The reference's name of a sequence (UCSC style)."""
    return "chrM" if bare == "MT" else f"chr{bare}"


def expected_signal(rows: list[tuple[int, int, float]], length: int) -> np.ndarray:
    """(length,) float32: each interval's value where it is finite, NaN elsewhere."""
    out = np.full(length, np.nan, np.float32)
    for start, end, value in rows:
        if math.isfinite(np.float32(value)):
            out[start:end] = np.float32(value)
    return out


def expected_means(signal: np.ndarray, bin_size: int) -> np.ndarray:
    """Mean of the non-NaN values of each bin (the last one may be short), NaN for a bin without any."""
    out = []
    for start in range(0, len(signal), bin_size):
        part = signal[start : start + bin_size].astype(np.float64)
        part = part[~np.isnan(part)]
        out.append(part.mean() if len(part) else np.nan)
    return np.array(out, np.float32)


TRACK_VALUES = st.one_of(st.floats(-1e6, 1e6, width=32), st.sampled_from(SPECIAL), st.just(0.0))


@settings(max_examples=100, **SETTINGS)
@given(data=st.data())
def test_a_mark_track_reads_nan_where_there_is_no_finite_value(data, tmp_path_factory):
    """Values and bin means of every reference sequence, names matched, NaN/inf stored as missing."""
    count_case("tracks")
    path = tmp_path_factory.mktemp("track", numbered=True) / "mark.bw"
    names = spelled(data.draw)
    rows = data.draw(intervals(TRACK_VALUES, 40))
    write_bigwig(path, names, rows)
    bin_size = data.draw(st.sampled_from([1, 7, 50]))
    with Track(path, reference_names=REFERENCE) as track:
        for bare, size in SIZES.items():
            want = expected_signal(rows[bare], size + 5)  # past the sequence's end: NaN too
            got = track.values(reference_of(bare), size + 5)
            np.testing.assert_array_equal(got, want)
            got_means = track.grid_means(
                reference_of(bare), size, bin_size, chunk_bins=data.draw(st.integers(1, 9))
            )
            np.testing.assert_allclose(got_means, expected_means(want[:size], bin_size), rtol=1e-5, atol=1e-3)
        assert np.isnan(track.values("chr3", 30)).all(), "a sequence the track lacks is missing"


@settings(max_examples=80, **SETTINGS)
@given(data=st.data())
def test_a_truncated_mark_track_is_named_or_reads_whole(data, tmp_path_factory):
    """A mark bigWig cut at a random byte: an InputError naming it, or every value as written."""
    count_case("tracks")
    folder = tmp_path_factory.mktemp("cut_track", numbered=True)
    names = spelled(data.draw)
    rows = data.draw(intervals(TRACK_VALUES, 40))
    whole = write_bigwig(folder / "whole.bw", names, rows)
    path = folder / "mark.bw"
    path.write_bytes(whole[: data.draw(cut_points(len(whole)))])
    try:
        track = Track(path, reference_names=REFERENCE)
    except Exception as exc:  # noqa: BLE001 - checked to be an InputError naming the file
        assert_input_error(exc, path)
        return
    with track:  # what opens holds everything its header points to: every value
        for bare, size in SIZES.items():
            np.testing.assert_array_equal(
                track.values(reference_of(bare), size), expected_signal(rows[bare], size)
            )


# --- Roadmap FractionalMethylation (+ ReadCoverage) bigWigs -----------------------------------

LEVELS = st.one_of(
    st.floats(0, 1, width=32),
    st.sampled_from([0.0, 1.0]),
    st.sampled_from(SPECIAL),
    st.sampled_from([1.5, -0.25, 62.5]),
)
DEPTHS = st.one_of(st.integers(0, 40).map(float), st.sampled_from(SPECIAL), st.sampled_from([2.5, -3.0]))


def expected_calls(levels: dict, coverage: dict | None):
    """({bare name: [(pos, n_meth, n_total)]}, bases NaN-skipped, bases without coverage), or the
    set of files an InputError may name ("levels", "coverage": those with a bad value)."""
    calls, skipped, missing, n_bases, faults = {}, 0, 0, 0, set()
    for bare in SIZES:
        depth_at = {}
        for start, end, value in (coverage or {}).get(bare, []):
            for pos in range(start, end):
                depth_at[pos] = float(np.float32(value))
        kept = []
        for start, end, value in levels[bare]:
            level = float(np.float32(value))
            if end - start > 2:
                faults.add("levels")  # one value per CpG base: a longer interval is a signal track
            if not math.isfinite(level):
                skipped += end - start
                continue
            if not 0 <= level <= 1:
                faults.add("levels")
            for pos in range(start, end):
                n_bases += 1
                if coverage is None:
                    kept.append((pos, level, 1))
                    continue
                depth = depth_at.get(pos, math.nan)
                if not math.isfinite(depth):
                    missing += 1
                elif depth < 0 or depth != round(depth):
                    faults.add("coverage")  # not read coverage
                else:
                    kept.append((pos, level * depth, int(depth)))
        calls[bare] = kept
    if not faults and coverage is not None and n_bases and missing / n_bases > MAX_MISSING_COVERAGE_SHARE:
        faults.add("levels")  # the two files do not belong together (named in the levels file's error)
    return faults or (calls, skipped, missing)


@settings(max_examples=150, **SETTINGS)
@given(data=st.data())
def test_a_roadmap_methylation_bigwig_gives_finite_levels_or_is_named(data, tmp_path_factory):
    """read_calls of a FractionalMethylation bigWig (maybe cut short) with or without its
    ReadCoverage bigWig: the calls and QC counts built here, or an InputError naming the bad file."""
    count_case("tracks")
    folder = tmp_path_factory.mktemp("roadmap", numbered=True)
    names = spelled(data.draw)
    levels = data.draw(intervals(LEVELS, data.draw(st.sampled_from([2, 2, 3]))))
    path = folder / "E000_WGBS_FractionalMethylation.bigwig"
    whole = write_bigwig(path, names, levels)
    coverage, coverage_path = None, None
    if data.draw(st.booleans()):  # the ReadCoverage bigWig: the same bases, or mostly
        coverage = {
            bare: [(s, e, data.draw(DEPTHS)) for s, e, _ in rows if data.draw(st.integers(0, 30))]
            for bare, rows in levels.items()
        }
        coverage_path = folder / "E000_WGBS_ReadCoverage.bigwig"
        write_bigwig(coverage_path, spelled(data.draw), coverage)
    cut = data.draw(st.one_of(st.just(len(whole)), cut_points(len(whole))))
    path.write_bytes(whole[:cut])
    want = expected_calls(levels, coverage)
    try:
        calls = read_calls(path, coverage_path=coverage_path)
    except Exception as exc:  # noqa: BLE001 - checked to be an InputError naming the file
        named = {"levels": path, "coverage": coverage_path}
        may_name = (want if isinstance(want, set) else set()) | ({"levels"} if cut < len(whole) else set())
        assert may_name, f"{type(exc).__name__}: {exc}"
        assert_input_error(exc, next((named[f] for f in may_name if str(named[f]) in str(exc)), path))
        return
    assert not isinstance(want, set), f"a bad value in the {want} bigWig went through"
    by_base, skipped, missing = want
    names_of = calls.chrom.names[calls.chrom.codes]
    for bare in SIZES:
        mine = names_of == names[bare]
        assert calls.pos[mine].tolist() == [p for p, _, _ in by_base[bare]]
        np.testing.assert_allclose(calls.n_meth[mine], [m for _, m, _ in by_base[bare]], rtol=1e-6, atol=1e-4)
        assert calls.n_total[mine].tolist() == [t for _, _, t in by_base[bare]]
    assert calls.qc["n_nan_values_skipped"] == skipped
    assert calls.qc.get("n_missing_coverage_dropped", 0) == missing

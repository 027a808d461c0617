"""Window geometry and grid bins: the CpG sits at W//2-1, W//2; bins sit on the nearest grid edge;
grid means average covered bases only and keep missing bins missing; windows read from the FASTA
are N outside the sequence."""

from __future__ import annotations

import warnings

import numpy as np
import pyBigWig
import pytest

from epibench.data.dataset import reverse_complement_codes
from epibench.data.windows import first_bins, input_span, window_starts
from epibench.errors import InputError
from epibench.io.genome_windows import GenomeWindows
from epibench.io.tracks import Track, grid_bin_means

A, C, G, T, N = range(5)


def test_window_starts_put_the_cg_at_the_centre_pair():
    pos = np.array([0, 1, 5, 1_000, 123_457])
    for window in (6, 200, 1000):
        starts = window_starts(pos, window)
        assert starts.dtype == np.int64
        # the C is index W//2 - 1 of its window, so the G is index W//2
        assert (pos - starts == window // 2 - 1).all()
    assert window_starts(np.array([1, 5]), 6).tolist() == [-1, 3]


@pytest.mark.parametrize("window, bin_size", [(200, 50), (1000, 100), (60, 20), (21, 7)])
def test_first_bin_is_the_grid_edge_nearest_the_window_start(window, bin_size):
    pos = np.arange(-3, 4 * bin_size + window)
    starts = window_starts(pos, window)
    edge = first_bins(pos, window, bin_size) * bin_size
    offset = edge - starts
    assert (np.abs(offset) <= bin_size / 2).all()
    # no other grid edge is nearer
    assert (np.abs(offset) <= np.abs(offset - bin_size)).all()
    assert (np.abs(offset) <= np.abs(offset + bin_size)).all()
    # a window that starts on the grid gets its bins exactly under it
    on_grid = starts % bin_size == 0
    assert on_grid.any() and (offset[on_grid] == 0).all()


def test_first_bin_offset_is_under_half_a_bin_except_at_an_exact_tie():
    window, bin_size = 200, 50
    pos = np.arange(0, 500)
    offset = first_bins(pos, window, bin_size) * bin_size - window_starts(pos, window)
    tie = (window_starts(pos, window) % bin_size) == bin_size // 2
    assert (np.abs(offset[~tie]) < bin_size / 2).all()
    assert (np.abs(offset[tie]) == bin_size / 2).all()


@pytest.mark.parametrize("window, bin_size", [(200, 50), (1000, 100), (21, 7)])
def test_input_span_covers_the_window_and_its_bins_and_nothing_more(window, bin_size):
    pos = np.arange(0, 3 * bin_size)
    first, last = input_span(pos, window, bin_size)
    seq_start = pos - (window // 2 - 1)
    bin_start = first_bins(pos, window, bin_size) * bin_size
    n_bins = window // bin_size
    assert (first <= seq_start).all() and (last >= seq_start + window - 1).all()
    assert (first <= bin_start).all() and (last >= bin_start + n_bins * bin_size - 1).all()
    # tight: the span is the window plus the bins' offset from it
    assert (last - first + 1 == window + np.abs(bin_start - seq_start)).all()
    assert (last - first + 1).max() == window + bin_size // 2


def test_grid_means_ignore_uncovered_bases_and_keep_missing_bins():
    signal = np.array([1, 3, np.nan, np.nan, 5, 5, 2, np.nan], dtype=np.float32)
    means = grid_bin_means(signal, 2)
    assert means.dtype == np.float32 and means.shape == (4,)
    assert means[0] == 2.0
    assert np.isnan(means[1]), "a bin with no covered base is missing, not 0"
    assert means[2] == 5.0
    assert means[3] == 2.0


def test_grid_means_handle_a_short_last_bin():
    signal = np.array([1, 2, 3, 4, 5, 6, 10], dtype=np.float32)
    means = grid_bin_means(signal, 3)
    assert means.tolist() == [2.0, 5.0, 10.0]
    means = grid_bin_means(np.array([1, 2, 3, 4, np.nan], dtype=np.float32), 3)
    assert means.shape == (2,) and means[0] == 2.0 and means[1] == 4.0
    assert np.isnan(grid_bin_means(np.array([1, 2, 3, np.nan], dtype=np.float32), 3)[1])
    assert grid_bin_means(np.empty(0, dtype=np.float32), 3).shape == (0,)


@pytest.fixture(scope="module")
def gappy_bigwig(tmp_path_factory):
    """A bigWig of 1003 bp: steps of varied value and width, gaps, a stored NaN, and a second chromosome."""
    path = tmp_path_factory.mktemp("bigwig") / "mark.bw"
    bw = pyBigWig.open(str(path), "w")
    bw.addHeader([("chr1", 1003), ("chr2", 40)])
    starts = [0, 7, 30, 31, 100, 400, 401, 995]
    ends = [5, 30, 31, 90, 350, 401, 700, 1003]
    values = [1.0, 2.5, float("nan"), 4.0, 0.25, 9.0, 3.0, 8.0]
    bw.addEntries(["chr1"] * len(starts), starts, ends=ends, values=values)
    bw.addEntries(["chr2"], [10], ends=[20], values=[6.0])
    bw.close()
    return path


def _independent_grid_means(path, chrom, length, bin_size) -> np.ndarray:
    """Per-bin nanmean of the bigWig's per-base values over [0, length), read with pyBigWig."""
    bw = pyBigWig.open(str(path))
    covered = min(length, bw.chroms(chrom))
    signal = np.full(-(-length // bin_size) * bin_size, np.nan)
    signal[:covered] = bw.values(chrom, 0, covered, numpy=True)
    bw.close()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN bins
        return np.nanmean(signal.reshape(-1, bin_size), axis=1)


@pytest.mark.parametrize("bin_size", [1, 10, 50, 100, 7])
def test_track_grid_means_equal_grid_bin_means_of_its_values(gappy_bigwig, bin_size):
    with Track(gappy_bigwig) as track:
        expected = grid_bin_means(track.values("chr1", 1003), bin_size)
        assert expected.shape == (-(-1003 // bin_size),)
        np.testing.assert_array_equal(track.grid_means("chr1", 1003, bin_size), expected)
    np.testing.assert_allclose(
        expected, _independent_grid_means(gappy_bigwig, "chr1", 1003, bin_size), rtol=1e-6
    )


@pytest.mark.parametrize("chunk_bins", [1, 2, 3, 7, 1_000_000])
def test_track_grid_means_do_not_depend_on_the_chunk_size(gappy_bigwig, chunk_bins):
    with Track(gappy_bigwig) as track:
        whole = track.grid_means("chr1", 1003, 10)
        chunked = track.grid_means("chr1", 1003, 10, chunk_bins=chunk_bins)
    np.testing.assert_array_equal(chunked, whole)
    assert np.isnan(whole[9]), "bin [90, 100) has no entry"
    assert np.isnan(whole[35:40]).all()
    assert whole[100] == 8.0, "the short last bin [1000, 1003) is the mean of its covered bases"


def test_track_grid_means_past_the_track_end_and_on_a_missing_chromosome(gappy_bigwig):
    with Track(gappy_bigwig) as track:
        longer = track.grid_means("chr2", 70, 10, chunk_bins=2)
        assert longer.shape == (7,)
        assert longer[1] == 6.0
        assert np.isnan(longer[[0, 2, 3, 4, 5, 6]]).all(), "no data and past the bigWig's end are missing"
        assert np.isnan(track.grid_means("chr9", 30, 10)).all()
        assert track.grid_means("chr1", 0, 10).shape == (0,)


@pytest.fixture(scope="module")
def short_fasta(tmp_path_factory):
    """Two records, 7 bases a line, soft-masked and IUPAC letters, with a .fai written by hand."""
    folder = tmp_path_factory.mktemp("fasta")
    records = {"s1": "TTCGaaTTcgATRACGnTACG", "s2": "CGT"}
    text, fai = b"", []
    for name, seq in records.items():
        text += f">{name} description\n".encode()
        offset = len(text)
        text += "".join(seq[i : i + 7] + "\n" for i in range(0, len(seq), 7)).encode()
        fai.append(f"{name}\t{len(seq)}\t{offset}\t7\t8\n")
    path = folder / "genome.fa"
    path.write_bytes(text)
    (folder / "genome.fa.fai").write_text("".join(fai))
    expected = {
        name: "".join(b if b in "ACGT" else "N" for b in seq.upper()) for name, seq in records.items()
    }
    return path, expected


def _cut(expected: str, start: int, width: int) -> str:
    """Bases [start, start + width) of ``expected``, N where outside it."""
    return "".join(expected[p] if 0 <= p < len(expected) else "N" for p in range(start, start + width))


def test_genome_windows_read_the_fasta_text_with_n_outside_the_sequence(short_fasta):
    path, expected = short_fasta
    genome = GenomeWindows(path)
    assert genome.names == ["s1", "s2"] and genome.lengths.tolist() == [21, 3]
    width = 6
    cases = [(name, start) for name in expected for start in range(-width - 1, len(expected[name]) + 2)]
    seq_index = genome.index_of([name for name, _ in cases])
    codes = genome.windows(seq_index, np.array([start for _, start in cases]), width)
    assert codes.shape == (len(cases), width) and codes.dtype == np.uint8
    got = ["".join("ACGTN"[c] for c in row) for row in codes]
    assert got == [_cut(expected[name], start, width) for name, start in cases]


def test_cpg_windows_from_the_fasta_are_centred_and_n_padded_at_both_ends(short_fasta):
    path, expected = short_fasta
    genome = GenomeWindows(path)
    pos = np.array([i for i in range(len(expected["s1"]) - 1) if expected["s1"][i : i + 2] == "CG"])
    assert pos.tolist() == [2, 8, 14, 19]
    codes = genome.windows(np.zeros(len(pos), dtype=np.int64), window_starts(pos, 8), 8)
    assert (codes[:, 3] == C).all() and (codes[:, 4] == G).all()
    text = ["".join("ACGTN"[c] for c in row) for row in codes]
    assert text[0] == "NTTCGAAT", "window [-1, 7) starts before the sequence"
    assert text[3] == "NTACGNNN", "window [16, 24) ends after the 21-bp sequence"


def test_missing_fasta_or_index_is_an_input_error(tmp_path):
    fasta = tmp_path / "genome.fa"
    fasta.write_text(">a\nACGT\n")
    with pytest.raises(InputError, match="missing"):
        GenomeWindows(fasta)


def test_reverse_complement_complements_and_keeps_the_cpg_centred():
    seq = np.array([A, A, C, G, T, N], dtype=np.int64)
    rc = reverse_complement_codes(seq)
    assert rc.tolist() == [N, A, C, G, T, T]
    assert reverse_complement_codes(rc).tolist() == seq.tolist()
    window = np.array([T, G, A, C, G, A, T, T], dtype=np.int64)  # CG at W//2-1, W//2 = 3, 4
    rc_window = reverse_complement_codes(window)
    assert rc_window[3] == C and rc_window[4] == G
    batch = np.stack([window, window[::-1].copy()])
    assert reverse_complement_codes(batch).shape == (2, 8)

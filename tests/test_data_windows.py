"""Window cutting: the CpG sits at W//2-1, W//2; bins average covered bases only; NaN stays missing."""

import numpy as np

from epibench.data.dataset import reverse_complement_codes
from epibench.data.windows import binned_window_means, sequence_windows

A, C, G, T, N = range(5)


def test_cpg_sits_at_centre_and_edges_are_n():
    chrom = np.array([A, C, G, T, A, C, G, T, T, T], dtype=np.uint8)
    windows = sequence_windows(chrom, np.array([1, 5]), window=6)
    # window [pos-2, pos+4): for pos 1 -> [-1, 5): N A C G T A
    assert windows[0].tolist() == [N, A, C, G, T, A]
    assert windows[1].tolist() == [T, A, C, G, T, T]
    assert (windows[:, 2] == C).all() and (windows[:, 3] == G).all()


def test_window_past_the_end_is_n_padded():
    chrom = np.array([T, T, C, G], dtype=np.uint8)
    windows = sequence_windows(chrom, np.array([2]), window=6)
    assert windows[0].tolist() == [T, T, C, G, N, N]


def test_binned_means_ignore_uncovered_bases_and_keep_missing_bins():
    signal = np.array([1, 3, np.nan, np.nan, 5, 5, 2, np.nan], dtype=np.float32)
    # window 8 around pos 3 -> [0, 8), bins of 2 bp
    means = binned_window_means(signal, np.array([3]), window=8, bin_size=2)
    assert means.shape == (1, 4)
    assert means[0, 0] == 2.0
    assert np.isnan(means[0, 1])
    assert means[0, 2] == 5.0
    assert means[0, 3] == 2.0


def test_bins_outside_the_chromosome_are_missing_not_zero():
    signal = np.ones(4, dtype=np.float32)
    means = binned_window_means(signal, np.array([0]), window=4, bin_size=1)
    # window [-1, 3): first base lies before the chromosome
    assert np.isnan(means[0, 0])
    assert means[0, 1:].tolist() == [1.0, 1.0, 1.0]


def test_reverse_complement_complements_and_keeps_the_cpg_centred():
    seq = np.array([A, A, C, G, T, N], dtype=np.int64)
    rc = reverse_complement_codes(seq)
    assert rc.tolist() == [N, A, C, G, T, T]
    assert reverse_complement_codes(rc).tolist() == seq.tolist()
    window = np.array([T, G, A, C, G, A, T, T], dtype=np.int64)  # CG at W//2-1, W//2 = 3, 4
    rc_window = reverse_complement_codes(window)
    assert rc_window[3] == C and rc_window[4] == G

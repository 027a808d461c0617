"""bigWig tracks: NaN where there is no data, chromosome names matched to the reference."""

from __future__ import annotations

import numpy as np
import pyBigWig
import pytest

from epibench.errors import InputError
from epibench.io.tracks import Track


def write_bigwig(path, chroms, entries):
    bw = pyBigWig.open(str(path), "w")
    bw.addHeader(list(chroms.items()))
    for chrom, starts, ends, values in entries:
        bw.addEntries([chrom] * len(starts), starts, ends=ends, values=values)
    bw.close()


@pytest.fixture
def ensembl_named(tmp_path):
    path = tmp_path / "H3K4me3.bw"
    write_bigwig(
        path, {"1": 100, "MT": 50}, [("1", [10, 20], [20, 30], [2.0, float("nan")]), ("MT", [0], [5], [7.0])]
    )
    return path


def test_ensembl_names_serve_ucsc_reference_names(ensembl_named):
    with Track(ensembl_named, reference_names=["chr1", "chrM", "chr2"]) as track:
        values = track.values("chr1", end=100)
        assert values.shape == (100,)
        assert (values[10:20] == 2.0).all()
        assert np.isnan(values[20:30]).all(), "a NaN stored in the file is missing"
        assert np.isnan(values[:10]).all() and np.isnan(values[30:]).all(), "no entry = missing, not 0"
        assert (track.values("chrM", 50)[:5] == 7.0).all()
        assert np.isnan(track.values("chr2", 30)).all(), "a chromosome the track lacks is missing"


def test_without_reference_names_only_exact_names_match(ensembl_named):
    with Track(ensembl_named) as track:
        assert np.isnan(track.values("chr1", 100)).all()
        assert (track.values("1", 100)[10:20] == 2.0).all()


def test_values_past_the_track_end_are_missing(ensembl_named):
    with Track(ensembl_named, reference_names=["chr1"]) as track:
        values = track.values("chr1", end=150)
        assert values.shape == (150,)
        assert np.isnan(values[100:]).all()


def test_values_from_a_start_offset_are_that_slice_of_the_chromosome(ensembl_named):
    with Track(ensembl_named, reference_names=["chr1", "chrM"]) as track:
        whole = track.values("chr1", 100)
        part = track.values("chr1", 25, start=5)
        assert part.shape == (20,) and part.dtype == np.float32
        np.testing.assert_array_equal(part, whole[5:25])
        assert np.isnan(part[:5]).all() and (part[5:15] == 2.0).all() and np.isnan(part[15:]).all()
        # a slice running past the track's end, one wholly past it, and an empty one
        tail = track.values("chrM", 60, start=3)
        assert tail.shape == (57,) and (tail[:2] == 7.0).all() and np.isnan(tail[2:]).all()
        assert np.isnan(track.values("chr1", 130, start=110)).all()
        assert track.values("chr1", 40, start=40).shape == (0,)


def test_not_a_bigwig_names_the_file(tmp_path):
    bad = tmp_path / "mark.bw"
    bad.write_text("chr1\t0\t10\t1.0\n")
    with pytest.raises(InputError, match="mark.bw"):
        Track(bad)

"""Reference access (epibench.io.reference): codes, CpGs, the normalised copy and its index."""

import gzip

import numpy as np
import pandas as pd
import pyfaidx
import pytest

from epibench.errors import InputError
from epibench.io.reference import Reference, write_reference_index

# Soft-masked (lower case) and IUPAC letters; irregular line lengths; a CG split across
# a line break in chrB ("...c" / "g...").
FASTA = ">chrA some description\nacgTCGNR\nYcg\n>chrB\nTTc\ngAAk\n"
# Expected by hand: upper case, anything not ACGT -> N.
CHR_A = "ACGTCGNNNCG"
CHR_B = "TTCGAAN"
CODE = {"A": 0, "C": 1, "G": 2, "T": 3, "N": 4}


def codes_of(seq):
    return np.array([CODE[b] for b in seq], dtype=np.uint8)


@pytest.fixture
def fasta(tmp_path):
    path = tmp_path / "in" / "genome.fa"
    path.parent.mkdir()
    path.write_text(FASTA)
    return path


def test_codes_uppercase_and_iupac_to_n(fasta):
    ref = Reference(fasta, build_index=True)
    assert ref.chroms == ["chrA", "chrB"]
    assert ref.length("chrA") == 11 and ref.length("chrB") == 7
    np.testing.assert_array_equal(ref.codes("chrA"), codes_of(CHR_A))
    np.testing.assert_array_equal(ref.codes("chrB"), codes_of(CHR_B))
    # the cache holds one chromosome; switching back must reread chrA, not return chrB
    np.testing.assert_array_equal(ref.codes("chrA"), codes_of(CHR_A))
    assert ref.codes("chrA").dtype == np.uint8


def test_cpg_positions_and_is_cg(fasta):
    ref = Reference(fasta, build_index=True)
    # CHR_A = ACGTCGNNNCG: C of CG at 1, 4, 9; CHR_B = TTCGAAN: at 2 (across the line break)
    np.testing.assert_array_equal(ref.cpg_positions("chrA"), [1, 4, 9])
    np.testing.assert_array_equal(ref.cpg_positions("chrB"), [2])
    assert ref.cpg_positions("chrA").dtype == np.int64
    got = ref.is_cg("chrA", np.array([1, 2, 4, 9, 10, -1, 11, 100]))
    np.testing.assert_array_equal(got, [True, False, True, True, False, False, False, False])


def test_reference_without_index_is_an_input_error(fasta):
    with pytest.raises(InputError, match="no .fai index"):
        Reference(fasta)


def test_write_reference_index_from_gzip(tmp_path):
    source = tmp_path / "in" / "genome.fa.gz"
    source.parent.mkdir()
    long_b = "acgt" * 40  # 160 bp over several 60-bp lines; one CG per ACGT: 40
    source.write_bytes(gzip.compress((FASTA + ">chrC\n" + long_b + "\n").encode()))
    out = tmp_path / "results" / "reference"
    copy = write_reference_index(source, out)

    assert copy == out / "genome.fa"
    assert sorted(p.name for p in source.parent.iterdir()) == ["genome.fa.gz"]  # nothing beside the input
    assert sorted(p.name for p in out.iterdir()) == ["chrom_sizes.tsv", "genome.fa", "genome.fa.fai"]

    text = copy.read_text()
    assert text.startswith(">chrA\nACGTCGNNNCG\n>chrB\nTTCGAAN\n>chrC\n")
    assert "ACGT" * 15 + "\n" in text  # 60 bases per line

    # pyfaidx reads our index: slices across line boundaries return the normalised sequence
    fa = pyfaidx.Fasta(str(copy), rebuild=False, build_index=False, as_raw=True)
    assert fa["chrC"][55:125] == ("ACGT" * 40)[55:125]
    assert fa["chrA"][:] == CHR_A

    ref = Reference(copy)  # the stage copy opens without building anything
    np.testing.assert_array_equal(ref.codes("chrB"), codes_of(CHR_B))

    sizes = pd.read_csv(out / "chrom_sizes.tsv", sep="\t")
    assert list(sizes.columns) == ["chrom", "length", "n_cpg"]
    assert sizes.values.tolist() == [["chrA", 11, 3], ["chrB", 7, 1], ["chrC", 160, 40]]


def test_fai_matches_pyfaidx_own_index(tmp_path):
    source = tmp_path / "g.fa"
    rng = np.random.default_rng(1)
    seqs = {
        f"s{i}": "".join(rng.choice(list("ACGTacgtN"), size=n)) for i, n in enumerate([1, 59, 60, 61, 250])
    }
    source.write_text("".join(f">{name}\n{seq}\n" for name, seq in seqs.items()))
    copy = write_reference_index(source, tmp_path / "out")
    ours = (tmp_path / "out" / "genome.fa.fai").read_text()
    (tmp_path / "out" / "genome.fa.fai").unlink()
    pyfaidx.Faidx(str(copy), indexname=str(tmp_path / "pyfaidx.fai"))  # pyfaidx builds its own
    assert ours == (tmp_path / "pyfaidx.fai").read_text()


@pytest.mark.parametrize(
    ("content", "line", "what"),
    [
        (">a\nAC\n>a\nGT\n", 3, "appears twice"),
        ("ACGT\n>a\nAC\n", 1, "before the first"),
        (">a\nAC\n>\nGT\n", 3, "without a sequence name"),
    ],
)
def test_bad_fasta_names_the_line(tmp_path, content, line, what):
    source = tmp_path / "bad.fa"
    source.write_text(content)
    with pytest.raises(InputError, match=what) as info:
        write_reference_index(source, tmp_path / "out")
    assert info.value.line == line and str(source) in str(info.value)
    assert not (tmp_path / "out" / "genome.fa").exists()  # no half-written output


def test_truncated_gzip_fasta_names_the_file(tmp_path):
    data = gzip.compress((">a\n" + "ACGT" * 50000 + "\n").encode())
    source = tmp_path / "cut.fa.gz"
    source.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated") as info:
        write_reference_index(source, tmp_path / "out")
    assert str(source) in str(info.value)

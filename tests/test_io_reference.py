"""Reference access (epibench.io.reference): codes, CpGs, the normalised copy and its index."""

import gzip
from pathlib import Path

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
    assert sorted(p.name for p in out.iterdir()) == [
        "chrom_aliases.tsv",
        "chrom_sizes.tsv",
        "genome.fa",
        "genome.fa.fai",
    ]

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


# --- fast reading: the same codes as through pyfaidx ------------------------------------


def pyfaidx_codes(ref, chrom):
    """Codes the way Reference read them before the direct read (pyfaidx string -> codes)."""
    from epibench.codes import CODE_OF_BYTE

    text = ref._fasta[chrom][:]
    return CODE_OF_BYTE[np.frombuffer(text.encode("latin-1", "replace"), dtype=np.uint8)]


def random_fasta(rng, lengths, letters="ACGTacgtNRYkn"):
    return {f"s{i}": "".join(rng.choice(list(letters), size=n)) for i, n in enumerate(lengths)}


def write_wrapped(path, seqs, widths, newline="\n"):
    """FASTA with each sequence's lines ``widths`` long in turn (irregular when widths vary)."""
    parts = []
    for name, seq in seqs.items():
        parts.append(f">{name} a description{newline}")
        at, i = 0, 0
        while at < len(seq):
            width = widths[i % len(widths)]
            parts.append(seq[at : at + width] + newline)
            at, i = at + width, i + 1
    path.write_bytes("".join(parts).encode())
    return path


@pytest.mark.parametrize("chunk", [1 << 20, 7, 61, 100])
def test_direct_read_of_the_normalised_copy_gives_pyfaidx_codes(tmp_path, monkeypatch, chunk):
    # lower case, IUPAC and irregular lines in the input; lengths around the 60-base line
    # width; small read chunks so that chunks end inside lines and inside newlines
    monkeypatch.setattr("epibench.io.reference._READ_CHUNK", chunk)
    rng = np.random.default_rng(5)
    seqs = random_fasta(rng, [1, 2, 59, 60, 61, 119, 120, 121, 1000, 4321])
    source = write_wrapped(tmp_path / "in.fa", seqs, widths=[13, 70, 1, 60, 33])
    ref = Reference(write_reference_index(source, tmp_path / "ref"))
    for chrom, seq in seqs.items():
        assert ref._read_codes(chrom) is not None  # the direct read applies to the copy
        got = ref.codes(chrom)
        np.testing.assert_array_equal(got, pyfaidx_codes(ref, chrom))
        np.testing.assert_array_equal(got, codes_of(seq.upper().translate(str.maketrans("RYK", "NNN"))))
        assert got.dtype == np.uint8 and not got.flags.writeable


@pytest.mark.parametrize(("widths", "newline"), [([7], "\n"), ([1], "\n"), ([50], "\r\n"), ([80], "\n")])
def test_direct_read_of_a_user_fasta_gives_pyfaidx_codes(tmp_path, widths, newline):
    # a FASTA indexed by pyfaidx itself: soft-masked, IUPAC, CRLF line ends (pyfaidx strips \r)
    rng = np.random.default_rng(6)
    seqs = random_fasta(rng, [3, 200, 1001])
    ref = Reference(write_wrapped(tmp_path / "user.fa", seqs, widths, newline), build_index=True)
    for chrom in seqs:
        assert ref._read_codes(chrom) is not None
        np.testing.assert_array_equal(ref.codes(chrom), pyfaidx_codes(ref, chrom))


def test_fasta_the_direct_read_cannot_take_falls_back_to_pyfaidx(tmp_path):
    # a non-ASCII byte (pyfaidx decodes UTF-8) and a file shorter than its .fai says
    path = tmp_path / "odd.fa"
    path.write_bytes(b">a\nACGT\nAC\xc3\xa9G\n>b\nACGTACGT\nACG\n")
    (tmp_path / "odd.fa.fai").write_text("a\t9\t3\t4\t5\nb\t20\t17\t8\t9\n")
    ref = Reference(path)
    assert ref._read_codes("a") is None and ref._read_codes("b") is None
    np.testing.assert_array_equal(ref.codes("a"), codes_of("ACGTACNG"))  # what pyfaidx makes of it
    np.testing.assert_array_equal(ref.codes("b"), codes_of("ACGTACGTACG"))  # what pyfaidx finds


# --- cg_at: the bases around positions, without the whole chromosome ----------------------


def check_cg_at(ref, chrom, pos):
    from epibench.io.reference import cg_mask

    on_c, on_g = ref.cg_at(chrom, pos)
    codes = pyfaidx_codes(ref, chrom)
    np.testing.assert_array_equal(on_c, cg_mask(codes, pos))
    np.testing.assert_array_equal(on_g, cg_mask(codes, pos - 1))
    assert on_c.dtype == bool and on_g.dtype == bool


@pytest.mark.parametrize("width", [1, 2, 7, 60])
def test_cg_at_reads_around_the_positions_like_cg_mask(tmp_path, width):
    rng = np.random.default_rng(8)
    seqs = random_fasta(rng, [3, 4, 61, 500], letters="CGCGcgATN")  # many CGs, some across lines
    source = write_wrapped(tmp_path / "in.fa", seqs, widths=[width])
    for ref in (
        Reference(source, build_index=True),
        Reference(write_reference_index(source, tmp_path / "r")),
    ):
        for chrom, seq in seqs.items():
            inside = np.arange(1, len(seq) - 1)
            check_cg_at(ref, chrom, inside)
            assert ref._cached_chrom != chrom  # read from the file, no (L,) codes made
            assert ref._mapped[0] == chrom  # only this chromosome mapped
            check_cg_at(ref, chrom, rng.permutation(inside))  # any order
            check_cg_at(ref, chrom, np.arange(-2, len(seq) + 2))  # ends and beyond: via codes
            check_cg_at(ref, chrom, inside)  # the chromosome is cached now: from its codes
        assert all(ref._regular.values())


def test_cg_at_with_lines_not_where_the_fai_says_uses_the_codes(tmp_path):
    # the .fai says 4 bases per line, the lines hold 3 and 5: not regular, so the whole
    # chromosome is read (by pyfaidx, as before) and cg_at agrees with cg_mask on it
    path = tmp_path / "bad.fa"
    path.write_text(">a\nACG\nCGTAC\nGCGA\n")
    (tmp_path / "bad.fa.fai").write_text("a\t12\t3\t4\t5\n")
    ref = Reference(path)
    check_cg_at(ref, "a", np.arange(1, 11))
    assert ref._regular == {"a": False}
    with pytest.raises(KeyError, match="chrZ"):
        ref.cg_at("chrZ", np.array([1]))


# py2bit's own test file (tests/data/real_formats/py2bit_foo.2bit) and the sequences py2bit's
# test suite states for it: chr1 with N blocks and a soft-masked stretch, chr2
TWOBIT = Path(__file__).parent / "data" / "real_formats" / "py2bit_foo.2bit"
TWOBIT_CHR1 = "N" * 50 + "ACGTACGTACGTagctagctGATCGATCGTAGCTAGCTAGCTAGCTGATC" + "N" * 50
TWOBIT_CHR2 = "ACGTACGTACGTagctagctGATCGATCGTAGCTAGCTAGCTAGCTGATC" + "N" * 50


def test_a_ucsc_2bit_reference_gives_the_copy_its_fasta_would(tmp_path):
    """The stage copy of a .2bit equals, byte for byte, the copy of a FASTA of the same sequences."""
    fasta = tmp_path / "foo.fa"
    fasta.write_text(f">chr1\n{TWOBIT_CHR1}\n>chr2\n{TWOBIT_CHR2}\n")
    from_fasta = write_reference_index(fasta, tmp_path / "from_fasta")
    from_twobit = write_reference_index(TWOBIT, tmp_path / "from_2bit")
    for name in ("genome.fa", "genome.fa.fai", "chrom_sizes.tsv"):
        assert (from_twobit.parent / name).read_bytes() == (from_fasta.parent / name).read_bytes(), name
    assert Reference(from_twobit).length("chr1") == 150


@pytest.mark.parametrize(
    "size, message",
    [
        (40, "ends at byte 40, inside a header"),
        (150, "sequence 'chr2' needs bytes up to 161, the file has 150"),
    ],
)
def test_a_cut_2bit_is_an_input_error_not_a_shorter_sequence(tmp_path, size, message):
    """py2bit reads a file cut inside its packed bases without an error (the missing bases as T)."""
    cut = tmp_path / "cut.2bit"
    cut.write_bytes(TWOBIT.read_bytes()[:size])
    with pytest.raises(InputError, match=message):
        write_reference_index(cut, tmp_path / "out")
    assert not (tmp_path / "out" / "genome.fa").exists()

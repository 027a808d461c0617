"""Reference access (epibench.io.reference): codes, CpGs, the normalised copy and its index."""

import gzip
from dataclasses import dataclass
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


# --- bases_around_gathered: the bases around positions on many short sequences at once -----


def gathered_codes(ref, chrom_index, pos):
    """What ``bases_around_gathered`` must give: pyfaidx's codes of each sequence, N outside."""
    from epibench.codes import N_CODE

    out = []
    for step in (-1, 0, 1):
        codes = np.full(len(pos), N_CODE, dtype=np.uint8)
        for i, (chrom, at) in enumerate(zip(chrom_index, pos + step)):
            seq = pyfaidx_codes(ref, ref.chroms[chrom])
            if 0 <= at < len(seq):
                codes[i] = seq[at]
        out.append(codes)
    return out


@pytest.mark.parametrize("width, newline", [(1, "\n"), (3, "\n"), (60, "\n"), (60, "\r\n")])
def test_bases_around_gathered_reads_every_sequence_as_pyfaidx(tmp_path, width, newline):
    """Positions on sequences of 1-300 bp in random order, their ends and beyond included, from a
    user's FASTA (its own line width, a short last line) and from the normalised copy; CRLF lines
    (two bytes after each) are not gathered: cg_at's own path reads them."""
    rng = np.random.default_rng(4)
    seqs = random_fasta(rng, rng.integers(1, 300, 40).tolist())
    source = write_wrapped(tmp_path / "in.fa", seqs, widths=[width], newline=newline)
    user, copy = Reference(source, build_index=True), Reference(write_reference_index(source, tmp_path / "r"))
    assert user.gathered().all() == (newline == "\n") and copy.gathered().all()
    for ref in (user, copy) if newline == "\n" else (copy,):
        chrom_index = rng.integers(0, len(seqs), 2_000)
        lengths = np.array([len(seqs[ref.chroms[c]]) for c in chrom_index])
        pos = (rng.random(2_000) * (lengths + 4)).astype(np.int64) - 2  # -2 .. length + 1
        got = ref.bases_around_gathered(chrom_index, pos)
        for have, want in zip(got, gathered_codes(ref, chrom_index, pos)):
            np.testing.assert_array_equal(have, want)
            assert have.dtype == np.uint8


def test_sequences_not_laid_out_as_the_fai_says_are_not_gathered(tmp_path):
    """The .fai of a and c says 4 bases per line; a's lines hold 3 and 5, c's are as said (a is
    read through cg_at's own path, test above); a long sequence is never gathered."""
    path = tmp_path / "mixed.fa"
    path.write_text(">a\nACG\nCGTAC\nGCGA\n>c\nACGC\nGCGT\nCG\n")
    (tmp_path / "mixed.fa.fai").write_text("a\t12\t3\t4\t5\nc\t10\t21\t4\t5\n")
    ref = Reference(path)
    assert ref.gathered().tolist() == [False, True]
    with pytest.raises(ValueError, match="not gathered"):
        ref.bases_around_gathered(np.array([0]), np.array([1]))
    np.testing.assert_array_equal(
        ref.bases_around_gathered(np.array([1, 1]), np.array([3, 9]))[1], codes_of("CG")
    )
    long_path = write_wrapped(tmp_path / "long.fa", {"big": "ACGT" * 300_000}, widths=[60])
    assert not Reference(long_path, build_index=True).gathered().any()  # 1.2 Mb: chromosome by chromosome


@dataclass
class PositionsOnly:
    """What ``locate_cpgs`` and ``on_cytosine`` read of methylation calls."""

    pos: np.ndarray
    strand: np.ndarray

    def __len__(self) -> int:
        return len(self.pos)


def test_locate_cpgs_gives_the_same_on_gathered_and_single_sequences(tmp_path, monkeypatch):
    """The CG check's lookup of calls on short scaffolds equals the chromosome-by-chromosome one."""
    from epibench.io import reference as reference_module
    from epibench.io.methylation.calls import ON_C, ON_G, UNSTRANDED
    from epibench.io.methylation.cpg_sites import locate_cpgs, on_cytosine

    rng = np.random.default_rng(12)
    seqs = random_fasta(rng, rng.integers(2, 120, 60).tolist(), letters="CGCGACGTN")
    source = write_wrapped(tmp_path / "draft.fa", seqs, widths=[50])
    copy = write_reference_index(source, tmp_path / "r")
    n = 3_000
    ref_chrom = rng.integers(0, len(seqs), n)
    pos = (rng.random(n) * np.array([len(seqs[f"s{c}"]) for c in ref_chrom])).astype(np.int64)
    calls = PositionsOnly(pos, rng.choice([ON_C, ON_G, UNSTRANDED], n).astype(np.int8))
    results = []
    for max_bp in (reference_module.GATHER_MAX_BP, 0):  # every sequence gathered, then none
        monkeypatch.setattr(reference_module, "GATHER_MAX_BP", max_bp)
        ref = Reference(copy)
        assert ref.gathered().all() == bool(max_bp)
        results.append([*locate_cpgs(calls, ref_chrom, ref, 1), on_cytosine(calls, ref_chrom, ref)])
    for gathered, single in zip(*results):
        np.testing.assert_array_equal(gathered, single)
    assert results[0][1].sum() > 100  # calls on CGs among them


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


def test_messages_name_the_users_fasta_beside_the_prepared_copy(fasta, tmp_path):
    """The reference stage's copy (`epibench reference`) is named in messages with the FASTA the user
    gave, which its assembly.json records; a FASTA read ad hoc is named alone."""
    from epibench.cli import main
    from epibench.io.methylation import ingest

    out = tmp_path / "prepared"
    main(["reference", "--fasta", str(fasta), "--out-dir", str(out)])
    prepared = Reference(out / "genome.fa")
    assert prepared.shown == f"{out / 'genome.fa'}, the copy of {fasta}"
    assert Reference(fasta, build_index=True).shown == str(fasta)
    calls = tmp_path / "s.bismark.cov"
    calls.write_text("chrZ\t10\t10\t50\t1\t1\n")  # a sequence the reference lacks
    with pytest.raises(InputError) as caught:
        ingest(calls, prepared, fmt="bismark_cov")
    assert f"no CG calls on a sequence of {out / 'genome.fa'}, the copy of {fasta}" in str(caught.value)

"""Bad-input suite, reference FASTA (generated cases): ``write_reference_index`` and ``Reference``.

Random records of soft-masked (lower-case) bases, IUPAC codes (N, R, Y, ...), gap and junk
bytes, at irregular line widths with LF or CRLF ends and blank lines, plain or gzip; then
damaged: cut at a random byte, a name given twice, a header without a name, bases before
the first header, an empty record or nothing at all. The reference stage upper-cases every
base and maps anything that is not ACGT to N (FORMATS.md, ``epibench.io.reference``); the
expected sequences, CpGs and chrom_sizes.tsv are derived here from the bytes written, or the
InputError that names the file (and the line of a bad header).
"""

from __future__ import annotations

import gzip
import re

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bad_inputs import assert_input_error, bgzip, cut_points, lines_of
from conftest import count_case
from epibench.io.reference import Reference, write_reference_index

CODES = {"A": 0, "C": 1, "G": 2, "T": 3, "N": 4}
IUPAC = "NRYKMSWBDHVnrykmswbdhv"
LETTERS = "ACGT" * 3 + "acgt" * 2 + IUPAC + "-*.X0"
JUNK_BYTES = [b"\xe9", b"\xc3\xa9", b"\x00", b"\x7f"]  # latin-1, UTF-8, control bytes: N as well
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def normalised(raw: bytes) -> str:
    """A sequence line's bases as the pipeline must see them: whitespace dropped, upper case, non-ACGT N."""
    bases = re.sub(rb"[ \t\r\n\v\f]", b"", raw).decode("latin-1").upper()
    return "".join(b if b in "ACGT" else "N" for b in bases)


def expected_records(data: bytes) -> dict[str, str] | tuple[str, int | None]:
    """The normalised sequences of a plain FASTA by name (FASTA order), or (phrase, line) of its
    InputError."""
    records: dict[str, str] = {}
    name = None
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.startswith(b">"):
            if name is not None and not records[name]:
                return f"sequence {name!r} is empty", None
            words = line[1:].split()
            if not words:
                return "header line without a sequence name", number
            name = words[0].decode("latin-1")
            if name in records:
                return f"sequence name {name!r} appears twice", number
            records[name] = ""
        elif name is None:
            if line.strip():
                return "sequence before the first '>' header line", number
        else:
            records[name] += normalised(line)
    if name is None:
        return "no sequences", None
    if not records[name]:
        return f"sequence {name!r} is empty", None
    return records


@st.composite
def fasta_texts(draw, regular: bool = False) -> tuple[bytes, list[str]]:
    """A FASTA's bytes: 1-4 records, names with descriptions, bases over lines of random widths,
    blank lines, trailing spaces and non-ASCII bytes here and there; ``regular``: one width per
    record (the last line shorter), ASCII letters only (a user FASTA pyfaidx indexes and reads
    as the copy; it decodes other bytes as UTF-8, see ``Reference._read_codes``)."""
    names = draw(
        st.lists(
            st.from_regex(r"(chr)?[0-9A-Za-z_.|]{1,8}", fullmatch=True), min_size=1, max_size=4, unique=True
        )
    )
    newline = draw(st.sampled_from([b"\n", b"\n", b"\r\n"]))
    bases = st.sampled_from(list(LETTERS)).map(str.encode)
    if not regular:
        bases = st.one_of(bases, st.sampled_from(JUNK_BYTES))
    parts = []
    for name in names:
        parts.append(
            b">" + name.encode() + draw(st.sampled_from([b"", b" description x=1", b"\tAC:CM0001"])) + newline
        )
        seq = b"".join(draw(st.lists(bases, min_size=1, max_size=150)))
        widths = draw(st.lists(st.integers(1, 70), min_size=1, max_size=1 if regular else 4))
        at, i = 0, 0
        while at < len(seq):
            tail = b"" if regular else draw(st.sampled_from([b"", b"", b" "]))
            parts.append(seq[at : at + widths[i % len(widths)]] + tail + newline)
            at, i = at + widths[i % len(widths)], i + 1
            if not regular and draw(st.integers(0, 9)) == 0:
                parts.append(newline)  # a blank line
    return b"".join(parts), names


DAMAGE = ["intact", "truncate", "twice", "no name", "before header", "empty record", "nothing"]


@st.composite
def damaged_fastas(draw) -> tuple[bytes, bool, bool]:
    """(file bytes, gzip?, gzip stream cut short?) of a FASTA damaged one way."""
    data, names = draw(fasta_texts())
    damage = draw(st.sampled_from(DAMAGE))
    lines = data.splitlines(keepends=True)
    at = draw(st.integers(0, len(lines)))
    if damage == "twice":
        lines.insert(at, b">" + draw(st.sampled_from(names)).encode() + b" again\nACGT\n")
    elif damage == "no name":
        lines.insert(at, draw(st.sampled_from([b">\n", b"> \n", b">\r\n", b">\t desc\n"])))
    elif damage == "before header":
        lines.insert(0, b"ACGTNNNN\n")
    elif damage == "empty record":
        lines.insert(at, b">empty_record\n")
    elif damage == "nothing":
        lines = draw(st.sampled_from([[], [b"\n"], [b"\n", b"  \n"]]))
    data = b"".join(lines)
    gz = draw(st.booleans())
    if damage != "truncate":
        return (gzip.compress(data, mtime=0) if gz else data), gz, False
    if not gz:
        return data[: draw(cut_points(len(data)))], False, False
    packed, ends = bgzip(lines_of(data), draw(st.integers(1, 5)))
    cut = draw(cut_points(len(packed)))
    return packed[:cut], True, cut not in ends and cut >= 2


def plain_of(data: bytes) -> bytes:
    """The text a (possibly cut) file holds, as the reader sees it (gzip magic: decompressed)."""
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


@settings(max_examples=250, **SETTINGS)
@given(case=damaged_fastas())
def test_the_reference_stage_normalises_or_names_the_file(case, tmp_path_factory):
    """write_reference_index: the normalised sequences, CpGs and chrom_sizes.tsv, or an InputError."""
    count_case("reference")
    data, gz, cut_gzip = case
    folder = tmp_path_factory.mktemp("fasta", numbered=True)
    source = folder / ("in.fa.gz" if gz else "in.fa")
    source.write_bytes(data)
    want = None if cut_gzip else expected_records(plain_of(data))
    try:
        copy = write_reference_index(source, folder / "ref")
    except Exception as exc:  # noqa: BLE001 - checked to be an InputError naming the file
        if cut_gzip:
            assert_input_error(exc, source)
            assert "gzip" in str(exc)
            return
        assert isinstance(want, tuple), f"{type(exc).__name__}: {exc}"
        assert_input_error(exc, source, want[1])
        assert want[0] in str(exc)
        assert not (folder / "ref" / "genome.fa").exists(), "no half-written copy"
        return
    assert isinstance(want, dict), f"accepted, but expected {want}"
    reference = Reference(copy)
    assert reference.chroms == list(want)
    sizes = pd.read_csv(
        folder / "ref" / "chrom_sizes.tsv", sep="\t", keep_default_na=False, dtype={"chrom": str}
    )
    assert sizes.values.tolist() == [[name, len(seq), seq.count("CG")] for name, seq in want.items()]
    for name, seq in want.items():
        np.testing.assert_array_equal(reference.codes(name), [CODES[b] for b in seq])
        cpgs = [i for i in range(len(seq) - 1) if seq[i : i + 2] == "CG"]
        np.testing.assert_array_equal(reference.cpg_positions(name), cpgs)


@settings(max_examples=100, **SETTINGS)
@given(case=fasta_texts(regular=True), data=st.data())
def test_a_user_fasta_reads_soft_masked_and_iupac_bases_alike(case, data, tmp_path_factory):
    """Reference on the user's own FASTA (pyfaidx builds the .fai): the bases of the normalised copy."""
    count_case("reference")
    text, _ = case
    want = expected_records(text)
    folder = tmp_path_factory.mktemp("user_fasta", numbered=True)
    source = folder / "user.fa"
    source.write_bytes(text)
    reference = Reference(source, build_index=True)
    for name, seq in want.items():
        np.testing.assert_array_equal(reference.codes(name), [CODES[b] for b in seq])
        pos = np.array(data.draw(st.lists(st.integers(-2, len(seq) + 2), max_size=20)), dtype=np.int64)
        on_c, on_g = reference.cg_at(name, pos)
        assert on_c.tolist() == [0 <= p < len(seq) - 1 and seq[p : p + 2] == "CG" for p in pos]
        assert on_g.tolist() == [1 <= p < len(seq) and seq[p - 1 : p + 1] == "CG" for p in pos]

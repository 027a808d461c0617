"""Helpers of the bad-input suite (tests/test_bad_inputs_*.py): damaging files and checking the error."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from hypothesis import strategies as st

from epibench.errors import InputError

BAD_COORDINATES = ["x", "1e3", "-5", "1.5", "", "99999999999999999999999", "²"]


def text_of(lines: list[str]) -> bytes:
    """``lines`` as file bytes, each ending in a newline."""
    return "".join(line + "\n" for line in lines).encode("latin-1")


def lines_of(data: bytes) -> list[str]:
    """The lines of (plain) file bytes as the readers see them: split at newlines, line ends
    (``\\r\\n`` too) stripped, a last line without a newline kept."""
    pieces = data.split(b"\n")
    if pieces and pieces[-1] == b"":
        pieces.pop()
    return [piece.rstrip(b"\r").decode("latin-1") for piece in pieces]


def bgzip(lines: list[str], per_member: int) -> tuple[bytes, dict[int, int]]:
    """``lines`` gzip-compressed as bgzip does it, in members of ``per_member`` lines.

    Returns the bytes and {offset of each member end: lines before it}: a file cut at one of
    those offsets is a valid gzip file holding exactly those lines.
    """
    data, ends = b"", {0: 0}
    for first in range(0, len(lines), per_member):
        data += gzip.compress(text_of(lines[first : first + per_member]), mtime=0)
        ends[len(data)] = min(first + per_member, len(lines))
    return data, ends


@st.composite
def cut_points(draw, size: int) -> int:
    """A byte to cut a ``size``-byte file at: anywhere, the ends more often than by chance."""
    return draw(
        st.one_of(st.integers(0, size), st.sampled_from([0, 1, size - 1, size]).filter(lambda n: n >= 0))
    )


def assert_input_error(error: BaseException, path: Path, line: int | None = None) -> None:
    """``error`` is an InputError (no other exception in disguise) naming ``path`` (and ``line``,
    when given)."""
    assert type(error) is InputError, f"{type(error).__name__}: {error}"
    assert str(path) in str(error), str(error)
    if line is not None:
        assert error.line == line, f"expected line {line}: {error}"
        assert f"{path}, line {line}: " in str(error), str(error)


@st.composite
def damaged(draw, lines: list[str], coordinates: tuple[int, ...]) -> tuple[list[str], bytes, bool]:
    """A tab-separated file damaged one way: cut at a random byte (plain or bgzip), a field added or
    removed, a bad value in one of the ``coordinates`` columns, a bad GTF strand, a row twice, or
    nothing left. Returns (its lines, its bytes, whether it is a gzip stream cut short: then the
    lines are those of the whole stream)."""
    lines = list(lines)
    damage = draw(
        st.sampled_from(["intact", "truncate", "columns", "coordinate", "strand", "twice", "empty"])
    )
    data_rows = [i for i, line in enumerate(lines) if line and not line.startswith(("#", "track"))]
    i = draw(st.sampled_from(data_rows))
    fields = lines[i].split("\t")
    if damage == "columns":
        if draw(st.booleans()):
            del fields[draw(st.integers(0, len(fields) - 1))]
        else:
            fields.insert(draw(st.integers(0, len(fields))), draw(st.sampled_from(["x", "7", ""])))
    elif damage == "coordinate":
        fields[draw(st.sampled_from([c for c in coordinates if c < len(fields)]))] = draw(
            st.sampled_from(BAD_COORDINATES)
        )
    elif damage == "strand" and len(fields) == 9:
        fields[6] = draw(st.sampled_from(["?", "", "++", "1"]))
    elif damage == "twice":
        lines.insert(draw(st.integers(0, len(lines))), lines[i])
    elif damage == "empty":
        lines = draw(st.sampled_from([[], ["#!genome-build test"], [""]]))
    if damage in ("columns", "coordinate", "strand"):
        lines[i] = "\t".join(fields)
    gz = draw(st.booleans())
    if damage != "truncate":
        data = text_of(lines)
        return lines, gzip.compress(data, mtime=0) if gz else data, False
    if not gz:
        data = text_of(lines)[: draw(cut_points(len(text_of(lines))))]
        return lines_of(data), data, False
    packed, ends = bgzip(lines, draw(st.integers(1, 4)))
    cut = draw(cut_points(len(packed)))
    if cut in ends:
        return lines[: ends[cut]], packed[:cut], False
    if cut < 2:  # not even the gzip magic: a plain file of these bytes
        return lines_of(packed[:cut]), packed[:cut], False
    return lines, packed[:cut], True


# --- text formats as documented: what a file must read as -----------------------------------


class Bad(Exception):
    """(phrase, line) of the InputError a file (``file``, where several are read) must raise."""

    file = "genes.gtf"


def coordinate(text: str, low: int) -> int:
    """A BED/GTF coordinate (decimal, at most 18 digits) of at least ``low``, else ValueError."""
    if not re.fullmatch(r"[0-9]{1,18}", text) or int(text) < low:
        raise ValueError(text)
    return int(text)


def expected_intervals(lines: list[str]) -> list[tuple[str, int, int]]:
    """(chrom, start, end) per BED row (a UCSC table's bin column dropped); Bad for a bad row."""
    rows, with_bin = [], None
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        if re.match(r"(track|browser)\b|#", text):
            if with_bin is None and re.match(r"#\s*bin\s+chrom\b", text, re.I):
                with_bin = True
            continue
        f = text.split("\t")
        is_int = [bool(re.fullmatch(r"[0-9]{1,18}", v)) for v in f]
        if with_bin is None:
            with_bin = len(f) >= 4 and is_int[0] and not is_int[1] and is_int[2] and is_int[3]
        if with_bin:
            if len(f) < 4 or not is_int[0]:
                raise Bad("expected a UCSC table row", number)
            f = f[1:]
        if len(f) < 3:
            raise Bad("at least 3 tab-separated columns", number)
        try:
            start, end = coordinate(f[1], 0), coordinate(f[2], 0)
        except ValueError:
            raise Bad("start/end must be integers", number) from None
        if end < start:
            raise Bad("start/end must be integers", number)
        rows.append((f[0], start, end))
    return rows


def outcome(parse, lines: list[str]):
    """``parse(lines)``, or the Bad it raises."""
    try:
        return parse(lines)
    except Bad as bad:
        return bad


def check_error(run, path, want, cut_gzip: bool) -> None:
    """``run()`` raises the InputError the Bad ``want`` describes; for a gzip stream cut short, one
    naming ``path`` that blames the stream, unless the whole stream has a bad line (which may come first)."""
    with pytest.raises(Exception) as info:
        run()
    if cut_gzip:
        assert_input_error(info.value, path)
        assert isinstance(want, Bad) or "gzip" in str(info.value)
        return
    phrase, line = want.args
    assert_input_error(info.value, path, line)
    assert phrase in str(info.value)


# chromosome naming styles: bare name ("1") -> the name in that style
STYLES = {"ucsc": lambda bare: f"chr{bare}", "ensembl": lambda bare: bare}


def references_in_both_styles(root: Path, sequences: dict[str, str]) -> dict:
    """style -> the reference of ``sequences`` (bare name -> bases) named in that style, prepared
    like the reference stage (small_reference.make_reference)."""
    from small_reference import make_reference

    return {
        style: make_reference(root, {spell(name): seq for name, seq in sequences.items()}, style)
        for style, spell in STYLES.items()
    }

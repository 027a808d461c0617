"""Bad-input suite, chromosome-alias tables (generated cases): ``write_reference_index`` with an
alias table, then ``Reference.aliases``.

Random reference names (UCSC, Ensembl, RefSeq and GenBank spellings, scaffolds, ``na``) with or
without NCBI-style definition lines (``chromosome 1, ...``, ``mitochondrion``, a scaffold's line),
and an alias table in one of the layouts read (UCSC chromAlias.txt with empty cells, an NCBI
assembly report, name pairs separated by a tab or a space), whose rows name one reference
sequence, none, or two; names shared between rows and sources. Then damaged: cut at a random byte
(plain or bgzip), a line of one name, a report row missing columns, or nothing left. The expected
aliases follow the rules of ``epibench.io.chrom_aliases`` as its docstring states them, derived
here from the lines written; or the InputError naming the file (and the line of a bad row).
"""

from __future__ import annotations

import gzip

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bad_inputs import assert_input_error, bgzip, cut_points, lines_of, text_of
from conftest import count_case
from epibench.io.reference import Reference, write_reference_index

POOL = [
    "chr1",
    "1",
    "Chr1",
    "NC_029256.1",
    "AP014957.1",
    "chr2",
    "2",
    "NC_029257.1",
    "MT",
    "chrM",
    "scaf_1",
    "X",
]
DESCRIPTIONS = [
    "",
    "Oryza sativa chromosome 1, IRGSP-1.0",
    "Oryza sativa chromosome 2 sequence",
    "Oryza sativa chromosome X, complete sequence",
    "Oryza sativa mitochondrion, complete genome",
    "Oryza sativa chromosome 1 unlocalized genomic scaffold",
]
DESCRIPTION_NAME = {1: "1", 2: "2", 3: "X", 4: "MT"}  # DESCRIPTIONS index -> the chromosome it names
REPORT_HEADER = (
    "# Sequence-Name\tSequence-Role\tAssigned-Molecule\tAssigned-Molecule-Location/Type\tGenBank-Accn"
    "\tRelationship\tRefSeq-Accn\tAssembly-Unit\tSequence-Length\tUCSC-style-name"
)
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def row_of_names(draw, reference_names: list[str]) -> list[str]:
    """One sequence's names: mostly one reference name among others (the usable row), sometimes two
    (ambiguous) or none, all drawn from POOL (and na) so that rows and sources share names."""
    others = draw(st.lists(st.sampled_from([*POOL, "na"]), min_size=1, max_size=3))
    kind = draw(st.sampled_from(["one"] * 4 + ["two", "none"]))
    named = [] if kind == "none" else draw(st.lists(st.sampled_from(reference_names), min_size=1, max_size=2))
    row = (named[:1] if kind == "one" else named) + others
    return draw(st.permutations(row))


@st.composite
def table_lines(draw, reference_names: list[str]) -> list[str]:
    """An alias table's lines in one layout; each data row lists one sequence's names (row_of_names)."""
    layout = draw(st.sampled_from(["ucsc", "report", "tab_pairs", "space_pairs"]))
    rows = draw(st.lists(row_of_names(reference_names), max_size=6))
    if layout == "ucsc":
        return ["# ucsc\tassembly\tgenbank\trefseq"] + ["\t".join((row + [""] * 4)[:4]) for row in rows]
    if layout == "report":
        lines = ["# Assembly name:  test", REPORT_HEADER]
        for row in rows:
            name, genbank, refseq, ucsc = (row + ["na"] * 4)[:4]
            role = draw(st.sampled_from(["assembled-molecule", "unlocalized-scaffold", "unplaced-scaffold"]))
            molecule = draw(st.sampled_from([*POOL, "na"]))
            lines.append(
                f"{name}\t{role}\t{molecule}\tChromosome\t{genbank}\t=\t{refseq}\tPrimary Assembly\t99\t{ucsc}"
            )
        return lines
    separator = "\t" if layout == "tab_pairs" else " "
    return [separator.join((row * 2)[:2]) for row in rows]


def row_names(lines: list[str]) -> tuple[list[list[str]], int | None]:
    """Each data row's names as the module docstring reads them, or the line of the first bad row."""
    rows, report = [], False
    for number, text in enumerate(lines, start=1):
        if text.startswith("#"):
            report = report or text.startswith("# Sequence-Name\t")
            continue
        if not text.strip():
            continue
        if report:
            fields = [field.strip() for field in text.split("\t")]
            if len(fields) < 10:
                return rows, number
            names = [fields[0], fields[4], fields[6], fields[9]]
            names += [fields[2]] if fields[1] == "assembled-molecule" else []
        else:
            names = [field.strip() for field in text.split("\t")] if "\t" in text else text.split()
            if len(names) < 2:
                return rows, number
        rows.append([name for name in dict.fromkeys(names) if name not in ("", "na")])
    return rows, None


def expected_aliases(reference: dict[str, int], rows: list[list[str]]) -> dict[str, str] | str:
    """alias -> reference name; or the phrase of the error when no row names a reference sequence.

    reference: name -> index into DESCRIPTIONS of its definition line."""
    pairs = [(DESCRIPTION_NAME[d], name) for name, d in reference.items() if d in DESCRIPTION_NAME]
    n_ambiguous, n_file_pairs = 0, 0
    for names in rows:
        targets = [name for name in names if name in reference]
        n_ambiguous += len(targets) > 1
        if len(targets) == 1:
            file_pairs = [(name, targets[0]) for name in names if name != targets[0]]
            n_file_pairs += len(file_pairs)
            pairs += file_pairs
    if not n_file_pairs and not n_ambiguous:
        return "none of its"
    targets: dict[str, set[str]] = {}
    for alias, target in pairs:
        targets.setdefault(alias, set()).add(target)
    return {
        alias: next(iter(found))
        for alias, found in targets.items()
        if len(found) == 1 and alias not in reference
    }


@settings(max_examples=120, **SETTINGS)
@given(
    reference=st.dictionaries(
        st.sampled_from(POOL), st.integers(0, len(DESCRIPTIONS) - 1), min_size=1, max_size=5
    ),
    data=st.data(),
)
def test_alias_tables_give_the_aliases_their_rows_say_or_name_the_bad_line(tmp_path_factory, reference, data):
    count_case("aliases")
    lines = data.draw(table_lines(list(reference)))
    tmp_path = tmp_path_factory.mktemp("aliases", numbered=True)
    fasta = tmp_path / "genome.fa"
    fasta.write_text("".join(f">{name} {DESCRIPTIONS[d]}\nACGT\n" for name, d in reference.items()))
    damage = data.draw(
        st.sampled_from(["intact"] * 4 + ["truncate", "one_name", "short_report_row", "empty"])
    )
    if damage == "one_name":
        lines.insert(data.draw(st.integers(0, len(lines))), data.draw(st.sampled_from(POOL)))
    elif damage == "short_report_row":
        lines = [
            "# Assembly name:  test",
            REPORT_HEADER,
            "1\tassembled-molecule\t1\tChromosome\tCM1.1",
        ] + lines
    elif damage == "empty":
        lines = data.draw(st.sampled_from([[], ["# ucsc\trefseq"], [""]]))
    gz = data.draw(st.booleans())
    cut_short = False
    if damage == "truncate" and gz:
        packed, ends = bgzip(lines, data.draw(st.integers(1, 3)))
        cut = data.draw(cut_points(len(packed)))
        payload = packed[:cut]
        if cut in ends:
            lines = lines[: ends[cut]]
        elif cut < 2:
            lines = lines_of(payload)
        else:
            cut_short = True
    elif damage == "truncate":
        payload = text_of(lines)[: data.draw(cut_points(len(text_of(lines))))]
        lines = lines_of(payload)
    else:
        payload = gzip.compress(text_of(lines), mtime=0) if gz else text_of(lines)
    table = tmp_path / "aliases.txt"
    table.write_bytes(payload)
    out = tmp_path / "ref"
    rows, bad_line = row_names(lines)
    want = (
        ("truncated gzip", None)
        if cut_short
        else (("", bad_line) if bad_line is not None else expected_aliases(reference, rows))
    )
    try:
        got = Reference(write_reference_index(fasta, out, table)).aliases
    except Exception as error:  # noqa: BLE001 - the assertion names any other exception
        assert isinstance(want, (str, tuple)), f"{type(error).__name__}: {error}"
        phrase, line = want if isinstance(want, tuple) else (want, None)
        assert_input_error(error, table, line)
        assert phrase in str(error), str(error)
        assert not (out / "chrom_aliases.tsv").exists() and not (out / "genome.fa.fai").exists()
        return
    assert got == want

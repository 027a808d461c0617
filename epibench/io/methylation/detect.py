"""Which methylation format a file holds, decided from its magic bytes or its first data lines.

A file that starts with the bigWig magic number 0x888FFC26 is a Roadmap
FractionalMethylation bigWig (``roadmap_bigwig``, read by ``bigwig``); one with the bigBed
magic number an ENCODE bedMethyl bigBed (``bedmethyl_bigbed``; a bigBed of other records is
refused by name). Text files (plain or compressed) are classified from their lines:

Header lines at the top (``track``, ``browser``, ``#...``, blank) are skipped, and so is a
first line that names the columns (no field after the first is a number: DSS's ``chr pos N X``,
``modkit pileup --with-header``'s ``chrom chromStart ...``); then each of the first five data rows
is classified by its fields, and the format (and number of columns) most of them have is the
file's, the first row's on a tie: a damaged first row is then an error at its line, not a row of
another format that makes every later row the error:

==================== ======================================================================
format               recognised by
==================== ======================================================================
roadmap_bigwig       binary: the bigWig magic number (either byte order), whatever the name
modkit               18 whitespace-separated fields, field 4 a mod code (``m``, ``m,CG,0``)
bedmethyl            11 or 14 tab fields, field 6 a strand, field 9 an RGB colour (ENCODE)
bismark_cpg_report   7 fields, field 3 a strand, field 6 a context (``CG``, ``CHG``, ``CHH``);
                     ``bismark_zero_cpg_report`` (``coverage2cytosine --zero_based``) only
                     when given
methylc              7 fields, field 4 a context, field 6 or 7 a strand (WashU, both orders)
methylkit            7 fields, field 4 ``F`` or ``R`` (methylKit, MethylDackel ``--methylKit``)
allc                 7 fields, field 3 a strand, field 4 a trinucleotide context (methylpy, ALLCools)
cgmap                8 fields, field 2 ``C`` or ``G``, field 4 a context (BS-Seeker2, CGmapTools)
methratio            12 fields, field 3 a strand, field 4 a context, fields 11-12 numbers (BSMAP,
                     BSMAPz ``methratio.py``)
batmeth2             6 or 12 fields, field 3 a strand, field 4 ``CG``/``CHG``/``CHH``, fields 5-6
                     counts (BatMeth2 ``calmeth`` loci and methratio files)
methylkit_tabix      7 fields, field 2 = field 3, field 4 a strand (methylKit's tabix ``.txt.bgz``)
biscuit              5 fields, a 1- or 2-bp interval, a fraction, a coverage (BISCUIT)
modkit_bedgraph      the same, named as ``modkit pileup --bedgraph`` names its files
                     (``m_CG0_positive.bedgraph``)
pbcpg                9 or 10 fields, field 5 ``Total``, ``hap1`` or ``hap2`` (PacBio pb-CpG-tools)
methbat              15 fields, field 8 ``Total``, ``hap1`` or ``hap2`` (PacBio MethBat ``pileup``)
rastair              14 or 15 fields, field 6 a strand, field 12 a genotype (``C/C``), field 15
                     ``REF`` or ``NEW`` (rastair ``call`` BED, TAPS)
gembs_mextr          its header line (``Contig Pos0 Pos1 Ref NAME:Call ...``, gemBS mextr), one
                     sample's columns
bismark_zero_cov     6 fields, name ends ``.zero.cov[.gz]`` (0-based)
bismark_cov          6 fields, name ends ``.cov[.gz]``, or start == end in every sampled row
methyldackel         6 fields otherwise (``track`` line, 0-based half-open)
nanopolish_frequency its header line (``chromosome start end num_motifs_in_group called_sites
                     ...``, nanopolish / f5c methylation frequency)
count_table          4 fields: chrom, 1-based position, total, methylated (refused as a
                     bedGraph of levels without counts, MethylDackel ``--fraction``, Bismark's
                     ``.bedGraph``: after a ``track`` line, with a fractional column 4, or with
                     column 3 = column 2 + 1 or 2 in every sampled row)
==================== ======================================================================

A 6-column file with neither a ``.cov`` suffix nor a track line and end > start is read
as 0-based; if it was 1-based after all, the CG check in ``canonical`` stops the run
and names the off-by-one. Pass ``fmt`` to override detection.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from contextlib import closing
from pathlib import Path

from epibench import columns_format
from epibench.errors import InputError, excerpt
from epibench.io.methylation import (
    bedmethyl,
    bigbed_bedmethyl,
    bigwig,
    biscuit,
    column_spec,
    count_table,
    cytosine_tables,
    gembs,
    methylkit,
    nanopolish,
    pacbio,
    rastair,
)
from epibench.io.methylation.columns import Source
from epibench.io.textfile import COMPRESSED_SUFFIX, alignment_format, is_number, iter_lines, names_columns
from epibench.io.tracks import is_bigbed, is_bigwig

# format -> allowed column counts (none for the binary bigWig)
FORMATS: dict[str, tuple[int, ...]] = {
    bigwig.FORMAT: (),
    bigbed_bedmethyl.FORMAT: (),
    "methylc": (7,),
    "bedmethyl": (11, 14),
    "modkit": (18,),
    bedmethyl.MODKIT_5MC_5HMC: (18,),  # given, never detected: modkit read as 5mC + 5hmC
    "bismark_cov": (6,),
    "bismark_zero_cov": (6,),
    "bismark_cpg_report": (7,),
    "bismark_zero_cpg_report": (7,),
    "methyldackel": (6,),
    methylkit.FORMAT: (methylkit.N_COLUMNS,),
    **cytosine_tables.N_COLUMNS,
    biscuit.FORMAT: (biscuit.N_COLUMNS,),
    bedmethyl.MODKIT_BEDGRAPH: (biscuit.N_COLUMNS,),
    gembs.FORMAT: (gembs.N_COLUMNS,),
    "count_table": (count_table.N_COLUMNS,),
    nanopolish.FORMAT: (nanopolish.N_COLUMNS,),
    **pacbio.N_COLUMNS,
    rastair.FORMAT: rastair.N_COLUMNS,
}
WHITESPACE_SPLIT = {"modkit", bedmethyl.MODKIT_5MC_5HMC}
SAMPLE_ROWS = 50
VOTING_ROWS = 5  # first data rows whose formats and column counts decide, the first row's on a tie
MIN_ROWS_FOR_WIDTHS = 5  # rows of one width (1 or 2 bp) that make a four-column file a bedGraph

_HEADER = re.compile(r"(track|browser)\b|#", re.IGNORECASE)
_STRANDS = {"+", "-", "."}
_CONTEXT = re.compile(r"C[A-Za-z]{0,2}")
_RGB = re.compile(r"\d+(,\d+){0,2}")
_MOD_CODE = re.compile(r"[A-Za-z0-9]+(,[A-Za-z]+,\d+)?")
_HEMI_PATTERN = re.compile(r"[-A-Za-z0-9]+,[-A-Za-z0-9]+,[ACGT]")  # modkit pileup-hemi: m,m,C; -,h,C
_INT = re.compile(r"-?\d+")
# modkit pileup --bedgraph: one file per modification code (and motif) and strand, named
# [prefix_][partition_]<code>[_<motif>]_<positive|negative|combined>.bedgraph (modkit src/writers.rs)
_MODKIT_BEDGRAPH = re.compile(
    r"(?:^|_)(?P<code>[A-Za-z]|27551|76792|28871|21839)(?:_[A-Za-z]+\d+)?_(?:positive|negative|combined)\.bedgraph(?:\.gz)?$"
)
_MODIFICATIONS = {"h": "5hmC", "76792": "5hmC", "a": "6mA", "28871": "6mA", "21839": "4mC"}
_ARRAY_PROBE = re.compile(
    r"c[gh]\d{8}(_[A-Z]{2}\d+)?|ch\.\w+|rs\d+"
)  # 450K/EPIC ids (EPICv2: cg00000029_TC21)


def detect_source(path: str | os.PathLike, fmt: str | None = None) -> Source:
    """Find the header lines and column layout of ``path``; detect the format unless ``fmt`` is given."""
    spec = column_spec.checked(fmt, path) if columns_format.is_spec(fmt) else None
    if fmt is not None and spec is None and fmt not in FORMATS:
        raise InputError(
            f"unknown methylation format {fmt!r}; known: {', '.join(FORMATS)}, or the columns to read "
            f"({columns_format.PREFIX}chrom=1,pos=2,...)",
            path=path,
        )
    given = fmt  # a format detection disagrees with gets a hint in the errors below
    _refuse_other_modification_bedgraph(path)
    binary = _binary_source(path, fmt)
    if binary is not None:
        return binary
    n_header, has_track, rows = _sniff(path)
    if rows and names_columns(rows[0][1]):
        _refuse_per_read(path, rows[0])
        fmt = fmt or _header_format(path, rows[0])
        n_header, rows = rows[0][0], rows[1:]
    if not rows:
        raise InputError("no data lines: the file is empty or holds only header lines", path=path)
    if fmt is None:
        fmt = _voted_format(path, rows, has_track)
        if fmt == biscuit.FORMAT and modkit_bedgraph_code(path) is not None:
            fmt = bedmethyl.MODKIT_BEDGRAPH
    whitespace = fmt in WHITESPACE_SPLIT or (spec is not None and not any("\t" in text for _, text in rows))
    sample = tuple(tuple(text.split() if whitespace else text.split("\t")) for _, text in rows)
    n_columns = _voted([len(fields) for fields in sample[:VOTING_ROWS]])
    if spec is not None and n_columns < spec.n_columns:
        line, text = next(row for row, fields in zip(rows, sample) if len(fields) == n_columns)
        raise InputError(
            f"{n_columns} columns, but the format names column {spec.n_columns}: {excerpt(text)}", path, line
        )
    if spec is None and n_columns not in FORMATS[fmt]:
        expected = " or ".join(str(n) for n in FORMATS[fmt])
        line, text = next(row for row, fields in zip(rows, sample) if len(fields) == n_columns)
        hint = detected_hint(path, given) if given else ""
        raise InputError(
            f"{fmt} has {expected} columns, found {n_columns}: {excerpt(text)}{hint}", path, line
        )
    return Source(Path(path), fmt, n_header, n_columns, whitespace, sample)


def detected_hint(path: str | os.PathLike, fmt: str) -> str:
    """For an error on ``path`` read as the given ``fmt``: ``; the content looks like <format> (format
    auto detects it)`` where detection reads it as another format; "" where it agrees or cannot tell."""
    try:
        detected = detect_source(path).fmt
    except InputError:
        return ""
    return f"; the content looks like {detected} (format auto detects it)" if detected != fmt else ""


def _voted(choices: list):
    """The most common of ``choices``; the first where it is among the most common."""
    counts = Counter(choices)
    top = max(counts.values())
    return choices[0] if counts[choices[0]] == top else counts.most_common(1)[0][0]


def _voted_format(path, rows: list[tuple[int, str]], has_track: bool) -> str:
    """The format most of the first ``VOTING_ROWS`` rows read as (``_voted``), so that a damaged
    first row is named at its line by that format's reader, not taken for a row of another
    format; where none reads as any format, the first one's InputError."""
    formats, errors = [], []
    for _, text in rows[:VOTING_ROWS]:
        try:
            formats.append(_classify(path, text, rows, has_track))
        except InputError as error:
            errors.append(error)
    if not formats:
        _refuse_vcf(path)
        _refuse_array_table(path, rows[:VOTING_ROWS])
        raise errors[0]
    return _voted(formats)


def modkit_bedgraph_code(path: str | os.PathLike) -> str | None:
    """The modification code of a ``modkit pileup --bedgraph`` file by its name (``m_CG0_positive.bedgraph``:
    ``m``), None for a name modkit does not write."""
    found = _MODKIT_BEDGRAPH.search(Path(path).name)
    return None if found is None else found["code"]


def _refuse_other_modification_bedgraph(path) -> None:
    """InputError for a ``modkit pileup --bedgraph`` file of a modification other than 5mC, known by
    its name (``h_CG0_positive.bedgraph``: 5hmC): its rows look like any bedGraph of levels and
    coverage, and would be read as 5mC."""
    code = modkit_bedgraph_code(path)
    if code is None or code in bedmethyl.FIVE_MC_CODES:
        return
    raise InputError(
        f"a modkit --bedgraph file of modification code {code!r} "
        f"({_MODIFICATIONS.get(code, 'not 5mC')}, by its name), not of 5mC: give the sample's 5mC files "
        "(code m, or C from --combine-mods: ..._m_..._positive.bedgraph and _negative, as rows of one "
        "sample) or its bedMethyl (modkit pileup without --bedgraph)",
        path,
    )


def _refuse_vcf(path) -> None:
    """InputError for a VCF (its ``##fileformat=VCF`` first line): BISCUIT's pileup, Bis-SNP's or
    gemBS's calls hold methylation in per-sample fields no format here reads."""
    with closing(iter_lines(path)) as lines:
        number, text = next(lines, (1, ""))
    if text.startswith("##fileformat=VCF"):
        raise InputError(
            "a VCF (BISCUIT pileup, Bis-SNP or gemBS calls), not a table of calls per CpG: make one "
            "first (biscuit vcf2bed -t cg, then give that BED; gemBS extract or mextr) and give that",
            path,
            number,
        )


def _refuse_array_table(path, rows: list[tuple[int, str]]) -> None:
    """InputError for a table of methylation-array levels: a row that starts with an Illumina probe id
    (tab- or comma-separated), or GEO's series-matrix lines."""
    for line, text in rows:
        first = re.split(r"[\t,]", text, maxsplit=1)[0].strip('"')
        if _ARRAY_PROBE.fullmatch(first) or first.startswith("!Series_"):
            what = "a GEO series matrix" if first.startswith("!") else f"Illumina probe id {first!r}"
            raise InputError(
                f"a methylation array table ({what}): levels of probes, without positions or read counts; "
                "this pipeline reads sequencing calls (WGBS, RRBS, EM-seq, TAPS, nanopore or HiFi), one file "
                "per sample (on GEO: a sample's supplementary file of calls, not the series matrix)",
                path,
                line,
            )


# per-read tables (their header's column names) -> what to run to get calls per CpG
_PER_READ = {
    ("read_name", "log_lik_ratio"): "nanopolish/f5c call-methylation: aggregate the reads first "
    "(nanopolish's scripts/calculate_methylation_frequency.py or f5c meth-freq) and give that table",
    ("read_id", "mod_log_prob"): "megalodon: aggregate the reads first (megalodon_extras aggregate run) "
    "and give its bedMethyl",
    ("read_id", "ref_position"): "modkit extract: give modkit pileup --cpg output instead",
}


_BISMARK_PER_READ = (
    "a Bismark methylation extractor file of calls per read (CpG_OT_*.txt ...), not per CpG: give "
    "its coverage file instead (bismark2bedGraph on these files, or bismark_methylation_extractor "
    "--bedGraph: the .bismark.cov.gz)"
)
_BISMARK_CALLS = set("zZxXhHuU")  # the extractor's call letters: CpG, CHG, CHH, unknown context


def _refuse_per_read(path, header: tuple[int, str]) -> None:
    """InputError for a table of calls per read (its ``header`` line names the columns)."""
    if header[1].startswith("Bismark methylation extractor version"):
        raise InputError(_BISMARK_PER_READ, path, header[0])
    names = set(header[1].split())
    for columns, remedy in _PER_READ.items():
        if names.issuperset(columns):
            raise InputError(f"a table of calls per read, not per CpG, from {remedy}", path, header[0])


def _header_format(path, header: tuple[int, str]) -> str | None:
    """The format a first line of column names (``header``: line, text) belongs to, if any."""
    if nanopolish.is_header(header[1]):
        return nanopolish.FORMAT
    samples = gembs.header_samples(header[1])
    if samples is not None:
        gembs.check_one_sample(path, header[0], samples)
        return gembs.FORMAT
    n_united = methylkit.united_samples(header[1])
    if n_united > 1:
        specs = ", ".join(
            f"{columns_format.PREFIX}chrom=1,pos=2,strand=4,total={5 + 3 * i},meth={6 + 3 * i}"
            for i in range(min(n_united, 2))
        )
        raise InputError(
            f"a methylKit table of {n_united} samples (unite()): one row of the sheet per sample, each "
            f"naming its sample's columns as its format ({specs}, ...)",
            path,
            header[0],
        )
    return None


def _binary_source(path, fmt: str | None) -> Source | None:
    """The Source of a bigWig; None for a text file; an InputError when ``fmt`` and the content disagree,
    or for aligned reads (BAM, CRAM, SAM)."""
    reads = alignment_format(path)
    if reads is not None:
        raise InputError(
            f"a {reads} file of aligned reads, not methylation calls: call them first (bisulfite: "
            "bismark_methylation_extractor or MethylDackel extract; nanopore modBAM: modkit pileup --cpg)",
            path=path,
        )
    if is_bigbed(path):
        if fmt not in (None, bigbed_bedmethyl.FORMAT):
            raise InputError(
                f"a bigBed file, not {fmt}; pass format {bigbed_bedmethyl.FORMAT} or auto", path=path
            )
        return bigbed_bedmethyl.source(path)
    if fmt == bigbed_bedmethyl.FORMAT:
        raise InputError(f"format {fmt} was given but the file is not a bigBed", path=path)
    if is_bigwig(path):
        if fmt not in (None, bigwig.FORMAT):
            raise InputError(
                f"a bigWig file (magic number 0x888FFC26), not {fmt}; pass format {bigwig.FORMAT} or auto",
                path=path,
            )
        return bigwig.source(path)
    if fmt == bigwig.FORMAT:
        raise InputError(
            f"format {fmt} was given but the file is not a bigWig (no 0x888FFC26 magic number)", path=path
        )
    return None


def _sniff(path) -> tuple[int, bool, list[tuple[int, str]]]:
    """(number of top header lines, whether one is a track line, up to SAMPLE_ROWS (line, text) data rows)."""
    n_header, has_track, rows = 0, False, []
    with closing(iter_lines(path)) as lines:
        for number, text in lines:
            if not rows and (not text.strip() or _HEADER.match(text)):
                n_header = number
                has_track |= text.lower().startswith("track")
                continue
            if text.strip():
                rows.append((number, text))
            if len(rows) == SAMPLE_ROWS:
                break
    return n_header, has_track, rows


def _classify(path, text: str, rows: list[tuple[int, str]], has_track: bool) -> str:
    tab, ws = text.split("\t"), text.split()
    n = len(tab)
    if len(ws) == 18 and _MOD_CODE.fullmatch(ws[3]) and ws[5] in _STRANDS:
        return "modkit"
    if len(ws) == 18 and _HEMI_PATTERN.fullmatch(ws[3]):
        raise InputError(
            f"modkit pileup-hemi output (pattern {ws[3]!r}: the codes of both strands of a CpG read by one "
            "duplex read), not calls per cytosine: give modkit pileup --cpg output instead (with "
            "--combine-strands if you like)",
            path,
            rows[0][0],
        )
    if rastair.is_row(tab):  # before bedmethyl: its 14 columns hold an integer where ENCODE's colour is
        return rastair.FORMAT
    if n in (11, 14) and tab[5] in _STRANDS and _RGB.fullmatch(tab[8]):
        return "bedmethyl"
    if n == 7 and tab[2] in {"+", "-"} and _CONTEXT.fullmatch(tab[5]):
        return "bismark_cpg_report"
    table = cytosine_tables.table_format(tab) or pacbio.pileup_format(tab)
    if table is not None:
        return table
    if n == 7 and _CONTEXT.fullmatch(tab[3]) and {tab[5], tab[6]} & {"+", "-"}:
        return "methylc"
    if methylkit.is_row(tab):
        return methylkit.FORMAT
    if biscuit.is_row(tab):
        return biscuit.FORMAT
    if n == 5 and tab[1] in {"+", "-"} and tab[4] in _BISMARK_CALLS:  # extractor's --no_header output
        raise InputError(_BISMARK_PER_READ, path, rows[0][0])
    if n == 6 and tab[3] == "." and tab[4] == "." and tab[5] in _STRANDS:
        raise InputError(
            "a BED of positions without counts (name and score '.', a strand: modkit motif-bed output, a "
            "list of CpG sites?), not calls: give the sample's pileup of reads per CpG",
            path,
            rows[0][0],
        )
    if n == 6:
        return _six_column_format(path, rows, has_track)
    if n == count_table.N_COLUMNS:
        why = _levels_bedgraph(rows, has_track)
        if why:
            raise InputError(
                f"a four-column bedGraph ({why}): methylation levels without read counts (Bismark's "
                ".bedGraph, MethylDackel extract --fraction or --logit, metilene input, a browser "
                "track), which no format reads; give the counts (Bismark's .cov, MethylDackel's "
                "default six-column bedGraph)",
                path,
                rows[0][0],
            )
        return "count_table"
    raise InputError(
        f"unrecognised methylation format ({n} tab-separated fields): {excerpt(text)}; "
        f"expected one of {', '.join(FORMATS)} (the README lists them under 'Methylation formats'), or "
        "pass the format explicitly",
        path,
        rows[0][0],
    )


def _levels_bedgraph(rows: list[tuple[int, str]], has_track: bool) -> str:
    """Why four-column ``rows`` are a bedGraph of levels (chrom, start, end, level), not a count table
    (chrom, position, total, methylated); "" when nothing says so."""
    if has_track:
        return "after a track line"
    fields = [text.split("\t") for _, text in rows]
    fractional = sum(len(f) == 4 and is_number(f[3]) and not _INT.fullmatch(f[3]) for f in fields)
    if fractional > len(fields) / 2:  # most rows: one damaged count is named at its line instead
        return "levels that are not whole numbers in column 4"
    ints = [(int(f[1]), int(f[2])) for f in fields if len(f) == 4 and all(map(_INT.fullmatch, f[1:3]))]
    widths = {end - start for start, end in ints}
    if len(ints) == len(fields) >= MIN_ROWS_FOR_WIDTHS and widths in ({1}, {2}):
        return f"column 3 is column 2 plus {widths.pop()} in every row: intervals, not read counts"
    return ""


def _six_column_format(path, rows: list[tuple[int, str]], has_track: bool) -> str:
    name = Path(path).name.lower()
    if re.search(rf"\.zero\.cov{COMPRESSED_SUFFIX}$", name):
        return "bismark_zero_cov"
    if re.search(rf"\.cov{COMPRESSED_SUFFIX}$", name):
        return "bismark_cov"
    if has_track:
        return "methyldackel"
    spans = [text.split("\t")[1:3] for _, text in rows]
    if all(len(s) == 2 and all(map(_INT.fullmatch, s)) and int(s[0]) == int(s[1]) for s in spans):
        return "bismark_cov"  # 1-based inclusive; a 0-based half-open interval cannot be empty
    return "methyldackel"

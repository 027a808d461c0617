"""Bad-input suite, methylation calls (generated cases): ``ingest`` and the scattered path.

Each case is a random set of calls on a small reference (soft-masked and IUPAC stretches in
it), written in one of the text formats of FORMATS.md with chromosome names in both
spellings, plain or compressed (bgzip, bzip2, xz, Zstandard), then damaged one way: cut at a
random byte (inside the compressed stream, where there is one), a
field added or removed, text or a non-finite number in a numeric column, a bad strand, a
CpG strand called twice, the coordinates of the other base (a 1-based file read as 0-based
or the reverse), or nothing left (0 bytes, header lines only).

The outcome is derived here from the file's text alone, by a plain-Python statement of the
documented behaviour (``expected``): each data line parsed strictly as its format says,
then ``canonical``'s steps (CG-context rows out, names harmonised, zero-depth calls out, a call
beyond its sequence an error, the CG check with its diagnosis (which shift or strand convention
fits), a strand called twice an error naming both lines, strands merged, min_coverage). So a case ends in the canonical table and QC counts, or an
InputError naming the file (and the line, where one applies), never another exception.
"""

from __future__ import annotations

import gzip
import random
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from bad_inputs import (
    STYLES,
    references_in_both_styles,
    assert_input_error,
    bgzip,
    cut_points,
    lines_of,
    text_of,
)
from conftest import count_case
from text_files import COMPRESSORS, MAGIC_LENGTH
from epibench.io.methylation import ingest
from epibench.io.methylation.offsets import MASKED_MIN_CALLS
from epibench.io.methylation.group_ingest import (
    MIN_CALLS_TO_JUDGE,
    CallsFile,
    ingest_group,
    merge_ingest_qc,
    split_calls,
    split_sample,
)

# --- the reference: three sequences, soft-masked and IUPAC stretches, a CpG every 9 bp or so ---


def _sequences() -> dict[str, str]:
    """Bare names (1, 2, 3) -> bases, upper and lower case, with IUPAC letters here and there."""
    rng = random.Random(20240611)
    seqs = {}
    for name, length in (("1", 240), ("2", 160), ("3", 90)):
        bases = [rng.choice("ACGT") for _ in range(length)]
        for at in range(1, length - 2, 9):
            bases[at : at + 2] = "CG"
        for at in rng.sample(range(length), length // 12):
            bases[at] = rng.choice("NRYKMSWBDHV")
        start = rng.randrange(length // 2)
        bases[start : start + length // 3] = [b.lower() for b in bases[start : start + length // 3]]
        seqs[name] = "".join(bases)
    return seqs


SEQS = _sequences()
# what the pipeline must see: upper case, anything but ACGT an N
NORMALISED = {name: re.sub("[^ACGT]", "N", seq.upper()) for name, seq in SEQS.items()}
CPGS = [(name, i) for name, seq in NORMALISED.items() for i in range(len(seq) - 1) if seq[i : i + 2] == "CG"]


@pytest.fixture(scope="module")
def references(tmp_path_factory) -> dict:
    """The reference in both naming styles (chr1.. and 1..), prepared like the reference stage."""
    return references_in_both_styles(tmp_path_factory.mktemp("methylation_reference"), SEQS)


# --- formats: how a call is written, and how a line is read (FORMATS.md) --------------------

# every other text format is 0-based
BASE = {
    "bismark_cov": 1,
    "bismark_cpg_report": 1,
    "count_table": 1,
    "methylkit": 1,
    "allc": 1,
    "cgmap": 1,
    "methratio": 1,
    "batmeth2": 1,
    "methylkit_tabix": 1,
}
# a context (or modification) column: bedMethyl's in 14-column files only
CONTEXT_FORMATS = {
    "methylc",
    "bedmethyl",
    "modkit",
    "bismark_cpg_report",
    "allc",
    "cgmap",
    "methratio",
    "batmeth2",
    "rastair",  # its cpg column (REF, or NEW: a de novo CpG) in 15-column files only
}
STRANDED = CONTEXT_FORMATS | {"methylkit", "methylkit_tabix", "pbcpg"}
# the column count of a format's layout without its context column: ENCODE's 11, rastair 1's 14
NO_CONTEXT_COLUMN = {"bedmethyl": 11, "rastair": 14}
# formats of two column counts one apart: a column more or less makes a row of the other layout
ADJACENT_LAYOUTS = {"pbcpg": (9, 10), "rastair": (14, 15)}
ON_C_ONLY = {"pbcpg"}  # a row per CpG on its C, strands collapsed: no row sits on a G
PILEUP_TYPES = {"Total", "hap1", "hap2"}
METHYLKIT_STRANDS = {"+": "F", "-": "R"}
CGMAP_STRANDS = {"+": "C", "-": "G"}  # the strand's base at the position
FILE_NAMES = {
    "methylc": "s.methylC",
    "bedmethyl": "s.bedMethyl.bed",
    "modkit": "s.modkit.bed",
    "bismark_cov": "s.bismark.cov",
    "bismark_zero_cov": "s.bismark.zero.cov",
    "bismark_cpg_report": "s.CpG_report.txt",
    "methyldackel": "s_CpG.bedGraph",
    "count_table": "s.tab",
    "methylkit": "s.myCpG.txt",
    "allc": "allc_s.tsv",
    "cgmap": "s.CGmap",
    "methratio": "s.methratio.txt",
    "batmeth2": "s_loci.CG.txt",
    "biscuit": "s_cg.bed",
    "methylkit_tabix": "s.txt.bgz",
    "pbcpg": "s.combined.bed",
    "rastair": "s.rastair.bed",
}
FORMATS = list(FILE_NAMES)
# 0-based columns each reader reads, by kind (the ones a damaged value must be caught in)
INT_COLUMNS = {
    "methylc": [1],  # + the depth column, 5 or 6
    "bedmethyl": [1, 9],
    "modkit": [1, 9, 11],
    "bismark_cov": [1, 4, 5],
    "bismark_zero_cov": [1, 4, 5],
    "bismark_cpg_report": [1, 3, 4],
    "methyldackel": [1, 4, 5],
    "count_table": [1, 2, 3],
    "methylkit": [2, 4],
    "allc": [1, 4, 5],
    "cgmap": [2, 6, 7],
    "methratio": [1, 6, 7],
    "batmeth2": [1, 4, 5],
    "biscuit": [1, 2, 4],
    "methylkit_tabix": [1, 4, 5],
    "pbcpg": [1, 5, 6],
    "rastair": [1, 6, 7],
}
FLOAT_COLUMNS = {
    "methylc": [4],
    "bedmethyl": [10],
    "bismark_cov": [3],
    "bismark_zero_cov": [3],
    "methyldackel": [3],
    "methylkit": [5],
    "biscuit": [3],
}
STRAND_COLUMNS = {
    "methylc": [],
    "bedmethyl": [5],
    "modkit": [5],
    "bismark_cpg_report": [2],
    "methylkit": [3],
    "allc": [2],
    "cgmap": [1],
    "methratio": [2],
    "batmeth2": [2],
    "methylkit_tabix": [3],
    "pbcpg": [4],  # its type (Total, hap1, hap2)
    "rastair": [5],
}
# (strand, 1-based position, methylated reads; reads follow) columns of the cytosine tables
COUNT_COLUMNS = {"cgmap": (1, 2, 6), "allc": (2, 1, 4), "methratio": (2, 1, 6), "batmeth2": (2, 1, 4)}
METHRATIO_HEADER = "chr\tpos\tstrand\tcontext\tratio\teff_CT_count\tC_count\tCT_count\trev_G_count\trev_GA_count\tCI_lower\tCI_upper"
BAD_INT = ["x", "NA", "2.5", "1e3", "", "five", "-3"]
BAD_FLOAT = ["x", "NA", "", "1,5", "nan", "inf", "-0.5", "150"]
BAD_STRAND = ["*", "x", "", "++"]


@dataclass(frozen=True)
class Call:
    """One row to write: ``pos`` 0-based base called; ``strand`` +, - or . (the file's view);
    ``cg`` False for a row of another context or modification (CHG, 5hmC)."""

    name: str
    pos: int
    strand: str
    n_meth: int
    n_total: int
    cg: bool = True


@dataclass
class Layout:
    """How a file of one format is laid out: its column count and methylC's column order."""

    fmt: str
    n_columns: int
    old_order: bool = False  # methylC: depth before strand


def write_line(layout: Layout, call: Call, shift: int) -> str:
    """The line of ``call`` (coordinates moved by ``shift``: a file of the other base)."""
    fmt, pos, total, meth = layout.fmt, call.pos + shift, call.n_total, call.n_meth
    fraction = meth / total if total else 0.0
    if fmt == "methylc":
        context = "CG" if call.cg else "CHG"
        tail = [str(total), call.strand] if layout.old_order else [call.strand, str(total)]
        fields = [call.name, str(pos), str(pos + 1), context, f"{fraction:.3f}", *tail]
    elif fmt == "bedmethyl":
        fields = [call.name, str(pos), str(pos + 1), '"ENCSR0"', str(min(total, 1000)), call.strand]
        fields += [str(pos), str(pos + 1), "255,0,0", str(total), f"{100 * fraction:.2f}"]
        fields += ["CG" if call.cg else "CHG", "CG", "2"][: layout.n_columns - 11]
    elif fmt == "modkit":
        code = ("m,CG,0" if call.cg else "m,CHG,0") if pos % 2 else ("m" if call.cg else "h")
        head = [
            call.name,
            str(pos),
            str(pos + 1),
            code,
            str(total),
            call.strand,
            str(pos),
            str(pos + 1),
            "255,0,0",
        ]
        tail = [str(total), f"{100 * fraction:.2f}", str(meth), str(total - meth), "0", "0", "0", "0", "0"]
        return "\t".join(head) + ("\t" if pos % 3 else " ") + " ".join(tail)  # any whitespace splits
    elif fmt == "bismark_cpg_report":
        fields = [
            call.name,
            str(pos + 1),
            call.strand,
            str(meth),
            str(total - meth),
            "CG" if call.cg else "CHH",
        ]
        fields.append("CGA")
    elif fmt == "count_table":  # chrom, 1-based position, total, methylated
        fields = [call.name, str(pos + 1), str(total), str(meth)]
    elif fmt == "allc":  # chrom, 1-based position, strand, trinucleotide, methylated, reads, flag
        context = "CGA" if call.cg else "CAG"
        fields = [call.name, str(pos + 1), call.strand, context, str(meth), str(total), str(int(meth > 0))]
    elif fmt == "cgmap":  # chrom, C/G, 1-based position, context, dinucleotide, level, methylated, reads
        context, pair = ("CG", "CG") if call.cg else ("CHH", "CA")
        fields = [call.name, CGMAP_STRANDS[call.strand], str(pos + 1), context, pair, f"{fraction:.2f}"]
        fields += [str(meth), str(total)]
    elif fmt == "methratio":  # chrom, 1-based pos, strand, context, ratio, eff_CT, C, CT, rev_G, rev_GA, CI
        fields = [call.name, str(pos + 1), call.strand, "CG" if call.cg else "CHH", f"{fraction:.3f}"]
        fields += [f"{total:.2f}", str(meth), str(total), "NA", "NA", "0.000", "0.793"]
    elif fmt == "batmeth2":  # calmeth's loci table: chrom, 1-based position, strand, context, C, CT
        fields = [call.name, str(pos + 1), call.strand, "CG" if call.cg else "CHH", str(meth), str(total)]
    elif fmt == "methylkit_tabix":  # chrom, start = end (1-based), strand, coverage, numCs, numTs
        fields = [
            call.name,
            str(pos + 1),
            str(pos + 1),
            call.strand,
            str(total),
            str(meth),
            str(total - meth),
        ]
    elif fmt == "pbcpg":  # chrom, begin (the C), end, mod_score %, type, cov, modified, unmodified, score(s)
        score = f"{100 * fraction:.1f}"
        fields = [call.name, str(pos), str(pos + 1), score, "Total", str(total), str(meth), str(total - meth)]
        fields += [score] if layout.n_columns == 9 else [f"{90 * fraction:.1f}", f"{10 * fraction:.1f}"]
    elif fmt == "rastair":  # chrom, start, end, name, beta, strand, unmod, mod, then SNP and genotype columns
        genotype = "C/C" if call.strand == "+" else "G/G"
        fields = [call.name, str(pos), str(pos + 1), ".", f"{fraction:.2f}" if total else ".", call.strand]
        fields += [str(total - meth), str(meth), str(total), "0", str(total), genotype, "99", "18"]
        fields += ["REF" if call.cg else "NEW"][: layout.n_columns - 14]
    elif fmt == "biscuit":  # vcf2bed: chrom, start, end (one base), beta, coverage
        fields = [call.name, str(pos), str(pos + 1), f"{fraction:.3f}", str(total)]
    elif fmt == "methylkit":  # id, chrom, 1-based position, F/R, coverage, freqC, freqT
        freq_c = f"{100 * fraction:.2f}"
        fields = [
            f"{call.name}.{pos + 1}",
            call.name,
            str(pos + 1),
            METHYLKIT_STRANDS[call.strand],
            str(total),
        ]
        fields += [freq_c, f"{100 - float(freq_c):.2f}"]
    else:  # bismark coverage (1-based, start = end, or .zero.cov) and MethylDackel bedGraphs
        start = pos + BASE.get(fmt, 0)
        end = start if fmt == "bismark_cov" else start + 1
        percent = f"{100 * fraction:.0f}" if fmt == "methyldackel" else f"{100 * fraction:.4f}"
        fields = [call.name, str(start), str(end), percent, str(meth), str(total - meth)]
    return "\t".join(fields)


class Bad(Exception):
    """A line its format rejects."""


def _int(text: str, low: int = 0) -> int:
    """A decimal integer of at least ``low``, else Bad."""
    if not re.fullmatch(r"-?[0-9]+", text) or int(text) < low:
        raise Bad(text)
    return int(text)


def _fraction(text: str, scale: float) -> float:
    """A number in 0..scale (NaN and infinity are not), else Bad."""
    try:
        value = float(text)
    except ValueError:
        raise Bad(text) from None
    if not 0 <= value <= scale:  # NaN too
        raise Bad(text)
    return value


def _strand(text: str, allowed: str) -> str:
    """One of the space-separated ``allowed`` strand signs, else Bad."""
    if text not in allowed.split():
        raise Bad(text)
    return text


def parse_line(layout: Layout, text: str) -> tuple[str, int, str, float, int, bool] | None:
    """One data line as the format documents it: (name, 0-based pos, strand, n_meth, n_total,
    CG context), None for a row of another modification (modkit); Bad when the line is wrong."""
    fmt = layout.fmt
    f = text.split() if fmt == "modkit" else text.split("\t")
    if len(f) != layout.n_columns:
        raise Bad(text)
    base = BASE.get(fmt, 0)
    if fmt == "methylkit":
        strands = {sign: strand for strand, sign in METHYLKIT_STRANDS.items()}
        position, strand = _int(f[2], base), _strand(f[3], " ".join(strands))
        coverage, freq_c = _int(f[4]), _fraction(f[5], 100)
        return f[1], position - 1, strands[strand], float(round(freq_c * coverage / 100)), coverage, True
    if fmt in ("allc", "cgmap", "methratio", "batmeth2"):
        signs = {"C": "+", "G": "-"} if fmt == "cgmap" else {"+": "+", "-": "-"}  # as written -> strand
        strand_col, position_col, meth_col = COUNT_COLUMNS[fmt]
        position, strand = _int(f[position_col], base), _strand(f[strand_col], " ".join(signs))
        meth, total = _int(f[meth_col]), _int(f[meth_col + 1])
        if meth > total:
            raise Bad(text)
        cg = f[3][:2] == "CG" if fmt == "allc" else f[3] == "CG"
        return f[0], position - 1, signs[strand], float(meth), total, cg
    start = _int(f[1], base)
    if fmt == "pbcpg":
        _strand(f[4], " ".join(PILEUP_TYPES))
        coverage, meth = _int(f[5]), _int(f[6])
        if meth > coverage:
            raise Bad(text)
        return f[0], start, "+", float(meth), coverage, True
    if fmt == "rastair":
        strand, unmod, mod = _strand(f[5], "+ -"), _int(f[6]), _int(f[7])
        if layout.n_columns == 15 and f[14] not in ("REF", "NEW"):
            raise Bad(text)
        return f[0], start, strand, float(mod), unmod + mod, layout.n_columns == 14 or f[14] == "REF"
    if fmt == "methylkit_tabix":
        strand, coverage, meth = _strand(f[3], "+ -"), _int(f[4]), _int(f[5])
        if meth > coverage:
            raise Bad(text)
        return f[0], start - 1, strand, float(meth), coverage, True
    if fmt == "biscuit":
        width, beta, coverage = _int(f[2], -(1 << 62)) - start, _fraction(f[3], 1), _int(f[4])
        if width not in (1, 2):  # a cytosine, or a CpG from its C (mergecg)
            raise Bad(text)
        return f[0], start, "+" if width == 2 else ".", float(round(beta * coverage)), coverage, True
    if fmt == "methylc":
        strand_col = 6 if layout.old_order else 5
        level, strand, depth = _fraction(f[4], 1), _strand(f[strand_col], "+ -"), _int(f[11 - strand_col])
        return f[0], start, strand, level * depth, depth, f[3] in ("CG", "CpG")
    if fmt == "bedmethyl":
        strand, coverage, percent = _strand(f[5], "+ - ."), _int(f[9]), _fraction(f[10], 100)
        return (
            f[0],
            start,
            strand,
            percent / 100 * coverage,
            coverage,
            layout.n_columns == 11 or f[11] == "CG",
        )
    if fmt == "modkit":
        strand, valid, n_mod = _strand(f[5], "+ - ."), _int(f[9]), _int(f[11])
        if n_mod > valid:
            raise Bad(text)
        code = f[3].split(",")
        if code[0] != "m":
            return None
        return (
            f[0],
            start,
            "+" if strand == "." else strand,
            float(n_mod),
            valid,
            len(code) < 2 or code[1] == "CG",
        )
    if fmt == "bismark_cpg_report":
        strand, meth, unmeth = _strand(f[2], "+ -"), _int(f[3]), _int(f[4])
        return f[0], start - 1, strand, float(meth), meth + unmeth, f[5] == "CG"
    if fmt == "count_table":
        total, meth = _int(f[2]), _int(f[3])
        if meth > total:
            raise Bad(text)
        return f[0], start - 1, ".", float(meth), total, True
    end = _int(f[2], -(1 << 62))
    if end < start + (1 - base):  # a 0-based half-open interval is not empty; a 1-based one not reversed
        raise Bad(text)
    _fraction(f[3], 100)
    meth, unmeth = _int(f[4]), _int(f[5])
    return f[0], start - base, ".", float(meth), meth + unmeth, True


# --- what the documentation says must come out -------------------------------------------


@dataclass
class Outcome:
    """An error (``phrase`` in its message, ``line`` where one applies) or the canonical table."""

    table: pd.DataFrame | None = None
    phrase: str = ""
    line: int | None = None
    qc: dict = field(default_factory=dict)
    warnings: int = 0  # scattered: groups whose low CG share was only reported


def _reference_name(name: str, style: str) -> str | None:
    """The reference's name (of ``style``) for a name as written (chr1 and 1 alike), None for none."""
    bare = name[3:] if name.startswith("chr") else name
    return STYLES[style](bare) if bare in SEQS else None


def _on_cg(seq: str, pos: int, strand: str) -> tuple[bool, int]:
    """Whether a call sits on a CG (+ on its C, - on its G, . on either) and its CpG's C."""
    on_c = 0 <= pos < len(seq) - 1 and seq[pos : pos + 2] == "CG"
    on_g = 1 <= pos < len(seq) and seq[pos - 1 : pos + 1] == "CG"
    if strand == "+":
        return on_c, pos
    if strand == "-":
        return on_g, pos - 1
    return on_c or on_g, pos if on_c else pos - 1


def _share(calls: list[tuple], shift: int = 0, minus_shift: int = 0) -> float:
    """Share of calls on a CG of the reference, their positions moved by ``shift`` (- strand calls
    by ``minus_shift`` more)."""
    return float(
        np.mean(
            [_on_cg(NORMALISED[c[1]], c[2] + shift + minus_shift * (c[3] == "-"), c[3])[0] for c in calls]
        )
    )


def _on_cytosine(seq: str, pos: int, strand: str) -> bool:
    """Whether a call's base is a cytosine of its strand in any context (+ a C, - a G, . either)."""
    base = seq[pos] if 0 <= pos < len(seq) else "N"
    return {"+": base == "C", "-": base == "G"}.get(strand, base in "CG")


def _low_cg_share(calls: list[tuple], min_cg_share: float) -> Outcome | None:
    """The CG check of ``canonical`` on (line, bare name, pos, strand, ...) calls: the error
    Outcome with its diagnosis (the shift, or the - strand convention, that fits, else a hard-masked
    FASTA when the calls off its Ns fit, else a wrong assembly), None when enough calls sit on a
    cytosine of their strand (on a CG, or in any context: a file of all contexts)."""
    on_cytosine = np.mean([_on_cytosine(NORMALISED[c[1]], c[2], c[3]) for c in calls])
    if on_cytosine >= min_cg_share:
        return None
    on_n = sum(0 <= c[2] < len(NORMALISED[c[1]]) and NORMALISED[c[1]][c[2]] == "N" for c in calls)
    masked = (
        on_n >= MASKED_MIN_CALLS
        and len(calls) > on_n
        and on_cytosine * len(calls) / (len(calls) - on_n) >= min_cg_share
    )
    fits: dict = {s: _share(calls, s) for s in (-1, 0, +1)}
    if any(c[3] == "-" for c in calls):
        fits["- strand on the C"] = _share(calls, minus_shift=+1)
    best = max(fits, key=lambda fit: (fits[fit], fit == 0))  # the first of equal shares, 0 before all
    if fits[best] < min_cg_share and masked:  # the calls off the Ns fit: a hard-masked FASTA
        return Outcome(phrase="sit on an N of")
    if fits[best] < min_cg_share:  # most on a cytosine as read: the calls fit, with calls off one besides
        return Outcome(
            phrase="as read, but too few sit on a cytosine" if on_cytosine >= 0.8 else "wrong assembly?"
        )
    if isinstance(best, str):
        return Outcome(phrase="- strand calls sit on the C of their CpG")
    return Outcome(phrase="one base to the right (+1)" if best > 0 else "one base to the left (-1)")


def _cpgs(calls: list[tuple], style: str, min_coverage: int, min_cg_share: float, judge: bool):
    """Steps 4-6 of ``canonical`` on (line, bare name, pos, strand, n_meth, n_total) calls.

    Returns (rows (name, pos, n_meth, n_total), qc counts, error Outcome or None, whether a low
    share was only reported)."""
    qc = {"n_calls": len(calls), "n_off_cg_dropped": 0, "n_cpgs_merged": 0, "n_kept": 0}
    if not calls:
        return [], qc, None, False
    low_share = _low_cg_share(calls, min_cg_share)
    if low_share is not None and judge:
        return [], qc, low_share, False
    warned = low_share is not None
    strands: dict[tuple, list] = {}
    for line, name, pos, strand, meth, total in calls:
        on, cpg = _on_cg(NORMALISED[name], pos, strand)
        if not on:
            qc["n_off_cg_dropped"] += 1
            continue
        key = (list(SEQS).index(name), cpg, pos != cpg)
        strands.setdefault(key, []).append((line, meth, total))
    for key in sorted(strands):
        if len(strands[key]) > 1:
            (first, *_), (second, *_) = strands[key][:2]
            name, cpg, on_g = list(SEQS)[key[0]], key[1], key[2]
            phrase = (
                f"a second call for the {'-' if on_g else '+'} strand of the CpG at "
                f"{STYLES[style](name)}:{cpg} (0-based; the first is on line {first})"
            )
            return [], qc, Outcome(phrase=phrase, line=second), warned
    merged: dict[tuple, list] = {}
    for (chrom, cpg, _), ((_, meth, total),) in sorted(strands.items()):
        merged.setdefault((chrom, cpg), []).append((meth, total))
    qc["n_cpgs_merged"] = sum(len(v) == 2 for v in merged.values())
    rows = [
        (STYLES[style](list(SEQS)[chrom]), cpg, sum(m for m, _ in v), sum(t for _, t in v))
        for (chrom, cpg), v in merged.items()
    ]
    kept = [row for row in rows if row[3] >= min_coverage]
    qc["n_kept"] = len(kept)
    return kept, qc, None, warned


def _names_columns(line: str) -> bool:
    """A first line of column names (methylKit's ``chrBase chr base ...``): no field after the first
    is a decimal number."""
    fields = line.split()
    return len(fields) > 1 and not any(
        re.fullmatch(r"[-+]?[0-9.]+(e[-+]?[0-9]+)?", f, re.I) for f in fields[1:]
    )


def _read(layout: Layout, lines: list[str]) -> tuple[list[tuple], list[int]] | Outcome:
    """Step 0: parse the text. Returns (calls: (line, name, pos, strand, n_meth, n_total, cg),
    data line numbers) or the error Outcome."""
    header = 0
    while header < len(lines) and (
        not lines[header].strip() or re.match(r"(track|browser)\b|#", lines[header], re.I)
    ):
        header += 1
    if header < len(lines) and _names_columns(lines[header]):
        header += 1
    numbers = [i + 1 for i in range(header, len(lines)) if lines[i].strip()]
    if not numbers:
        return Outcome(phrase="no data lines")
    calls = []
    for number in numbers:
        try:
            parsed = parse_line(layout, lines[number - 1])
        except Bad:
            return Outcome(line=number)
        if parsed is not None:
            calls.append((number, *parsed))
    return calls, numbers


def expected(
    layout: Layout, lines: list[str], style: str, min_coverage: int, min_cg_share: float, groups=None
) -> Outcome:
    """The documented outcome of ingesting a file whose lines are ``lines`` against the reference
    of ``style``; with ``groups`` (lists of bare names), of the scattered path (a group with
    fewer than MIN_CALLS_TO_JUDGE calls only reports a low CG share of its own, and then the CG
    share of all the sample's calls is judged, as one-job ingest judges it)."""
    read = _read(layout, lines)
    if isinstance(read, Outcome):
        return read
    calls, numbers = read
    in_cg = [c for c in calls if c[6]]
    renamed, dropped, known = {}, {}, []
    for number, name, pos, strand, meth, total, _ in in_cg:
        ref = _reference_name(name, style)
        if ref is None:
            dropped[name] = dropped.get(name, 0) + 1
            continue
        if ref != name:
            renamed[name] = ref
        bare = name[3:] if name.startswith("chr") else name
        known.append((number, bare, pos, strand, meth, total))
    if not known:
        return Outcome(phrase="no CG calls on a sequence of")
    covered = [c for c in known if c[5] > 0]
    if not covered:
        return Outcome(phrase="no call has any reads")
    if any(pos >= len(NORMALISED[name]) for _, name, pos, *_ in covered):
        return Outcome(phrase="sequence lengths differ")  # a call beyond its sequence: another assembly
    qc = {
        "n_records": len(numbers),
        "n_non_cg_context_dropped": sum(not c[6] for c in calls),
        "renamed_chroms": renamed,
        "dropped_chroms": dropped,
        "n_zero_depth_dropped": len(known) - len(covered),
    }
    parts = [covered] if groups is None else [[c for c in covered if c[1] in g] for g in groups]
    rows, warnings = [], 0
    totals = {"n_calls": 0, "n_off_cg_dropped": 0, "n_cpgs_merged": 0, "n_kept": 0}
    for part in parts:
        judge = groups is None or len(part) >= MIN_CALLS_TO_JUDGE
        kept, part_qc, error, warned = _cpgs(part, style, min_coverage, min_cg_share, judge)
        if error is not None:
            return error
        rows += kept
        warnings += warned
        totals = {key: totals[key] + part_qc[key] for key in totals}
    if groups is not None:  # the scattered path's last stage judges the sample as a whole
        low_share = _low_cg_share(covered, min_cg_share)
        if low_share is not None:
            return low_share
    if totals["n_calls"] and totals["n_calls"] == totals["n_off_cg_dropped"]:
        return Outcome(phrase="no call falls on a CpG")
    if not totals["n_kept"]:
        return Outcome(phrase=f"no CpG has at least {min_coverage} reads")
    table = pd.DataFrame(rows, columns=["chrom", "pos", "n_meth", "n_total"])
    table = table.astype({"chrom": "str", "pos": np.int64, "n_meth": np.float64, "n_total": np.int64})
    table["level"] = (table["n_meth"] / table["n_total"]).astype(np.float32)
    return Outcome(table=table, qc=qc | totals, warnings=warnings)


# --- cases ---------------------------------------------------------------------------------

DAMAGE = ["intact", "truncate", "columns", "type", "strand", "duplicate", "shift", "empty"]


@dataclass
class Case:
    """A generated file and how it is ingested."""

    layout: Layout
    style: str
    lines: list[str]  # the file's lines as written
    data: bytes  # the file's bytes
    name: str
    fmt: str | None  # passed to ingest (None: detect)
    min_coverage: int
    min_cg_share: float
    damage: str
    suffix: str = ""  # the file name's compression suffix
    stream_intact: bool = True  # False: a compressed stream cut short (any InputError naming the file)


def _spellings(bare: str) -> list[str]:
    """Both ways to write a sequence's name: UCSC (chr1) and Ensembl (1)."""
    return [f"chr{bare}", bare]


@st.composite
def calls_strategy(draw, fmt: str) -> list[Call]:
    """Calls on random CpGs (one or both strands), in both name spellings, some with no reads,
    maybe a stray call off any CpG, rows of other contexts, a sequence the FASTA lacks."""
    cpgs = draw(st.lists(st.sampled_from(CPGS), min_size=1, max_size=14, unique=True))
    calls = []
    for bare, c in cpgs:
        name = draw(st.sampled_from(_spellings(bare)))
        ends = "C" if fmt in ON_C_ONLY else draw(st.sampled_from(["C", "G", "CG"]))
        for end in ends:
            pos = c if end == "C" else c + 1
            if fmt in STRANDED:
                strand = "+" if end == "C" else "-"
                if fmt == "modkit" and strand == "+" and draw(st.booleans()):
                    strand = "."  # --combine-strands
            else:
                strand = "."
            total = draw(st.integers(0, 12))
            calls.append(Call(name, pos, strand, draw(st.integers(0, total)), total))
    extras = draw(
        st.lists(st.tuples(st.sampled_from(list(SEQS)), st.integers(0, 10**6), st.integers(0, 2)), max_size=2)
    )
    for bare, at, kind in extras:
        pos = at % len(SEQS[bare])
        strand = ("+" if at % 2 else "-") if fmt in STRANDED else "."
        if kind == 0:  # a stray call, most likely off every CpG
            calls.append(Call(bare, pos, strand, 1, 6))
        elif kind == 1:  # another context or modification: dropped (where the format can say so)
            calls.append(Call(f"chr{bare}", pos, strand, 2, 4, cg=False))
        else:  # no such sequence in the FASTA: dropped and counted
            calls.append(Call("chrUn_KI270302v1", pos, strand, 3, 7))
    if draw(st.booleans()):
        calls.sort(key=lambda call: (call.name.removeprefix("chr"), call.pos))
    else:
        calls = draw(st.permutations(calls))
    return calls


@st.composite
def cases(draw, formats: list[str] = FORMATS) -> Case:
    """A file of generated calls in a random format of ``formats``, damaged one way (``DAMAGE``),
    plain (half the cases) or compressed."""
    fmt = draw(st.sampled_from(formats))
    layout = Layout(
        fmt,
        {
            "methylc": 7,
            "bedmethyl": draw(st.sampled_from([11, 14])),
            "modkit": 18,
            "bismark_cpg_report": 7,
            "count_table": 4,
            "methylkit": 7,
            "allc": 7,
            "cgmap": 8,
            "methratio": 12,
            "biscuit": 5,
            "methylkit_tabix": 7,
            "pbcpg": draw(st.sampled_from([9, 10])),  # model or count pileup mode
            "rastair": draw(st.sampled_from([14, 15])),  # rastair 1 (no cpg column) or 2
        }.get(fmt, 6),
        old_order=fmt == "methylc" and draw(st.booleans()),
    )
    calls = draw(calls_strategy(fmt))
    if fmt not in CONTEXT_FORMATS or layout.n_columns == NO_CONTEXT_COLUMN.get(
        fmt
    ):  # none says another context
        calls = [c if c.cg else Call("chrUn_KI270302v1", c.pos, c.strand, 3, 7) for c in calls]
    damage = draw(st.sampled_from(DAMAGE))
    shift = 0
    if damage == "shift":  # a 0-based file read as 1-based, or a 1-based one read as 0-based
        shift = -1 if BASE.get(fmt, 0) else 1
    header = {
        "methyldackel": ['track type="bedGraph" description="CpG methylation levels"'],
        "methylkit": ["\t".join(["chrBase", "chr", "base", "strand", "coverage", "freqC", "freqT"])],
        "methratio": [METHRATIO_HEADER] if draw(st.booleans()) else [],  # --no-header: none
    }.get(fmt, [])
    if fmt == "bedmethyl" and draw(st.booleans()):
        header = ['track name="ENCSR0" visibility=2 itemRgb="On"']
    data_lines = [write_line(layout, call, shift) for call in calls]
    lines = header + data_lines
    case = Case(
        layout=layout,
        style=draw(st.sampled_from(list(STYLES))),
        lines=lines,
        data=b"",
        name=FILE_NAMES[fmt],
        fmt=draw(st.sampled_from([None, fmt])),
        min_coverage=draw(st.integers(1, 6)),
        min_cg_share=draw(st.sampled_from([0.95, 0.95, 0.5])),
        damage=damage,
    )
    packing = draw(st.sampled_from(["gzip", *COMPRESSORS])) if draw(st.booleans()) else None
    i = draw(st.integers(0, len(data_lines) - 1)) + len(header)
    if damage == "columns" and case.fmt is None and i == len(header) and len(data_lines) < 3:
        # a first row with a column more or less can be a row of another format (BISCUIT's five
        # columns and a six-column bedGraph): detection goes by most of the first rows, so with
        # fewer than three a damaged first row may decide; damage a later one or name the format
        if len(data_lines) > 1:
            i += draw(st.integers(1, len(data_lines) - 1))
        else:
            case.fmt = fmt
    fields = case.lines[i].split() if fmt == "modkit" else case.lines[i].split("\t")
    sep = " " if fmt == "modkit" else "\t"
    if damage == "columns":
        # pbcpg: 9 columns +1 or 10 -1 is a row of the other pileup mode, so 9 -> 8 and 10 -> 11 (rastair alike)
        narrower = ADJACENT_LAYOUTS.get(fmt, (None,))[0]
        if layout.n_columns == narrower if fmt in ADJACENT_LAYOUTS else draw(st.booleans()):
            del fields[draw(st.integers(0, len(fields) - 1))]
        else:
            fields.insert(draw(st.integers(0, len(fields))), str(draw(st.integers(0, 99))))
        case.lines[i] = sep.join(fields)
    elif damage == "type":
        depth = [11 - (6 if layout.old_order else 5)] if fmt == "methylc" else []
        ints, floats = INT_COLUMNS[fmt] + depth, FLOAT_COLUMNS.get(fmt, [])
        column = draw(st.sampled_from(ints + floats))
        fields[column] = draw(st.sampled_from(BAD_INT if column in ints else BAD_FLOAT))
        case.lines[i] = sep.join(fields)
    elif damage == "strand":
        column = (6 if layout.old_order else 5) if fmt == "methylc" else STRAND_COLUMNS.get(fmt, [None])[0]
        if column is not None:
            fields[column] = draw(st.sampled_from(BAD_STRAND))
            case.lines[i] = sep.join(fields)
    elif damage == "duplicate":
        copy = case.lines[i]
        if draw(st.booleans()):  # the same strand again, other counts
            again = calls[i - len(header)]
            more = again.n_total + draw(st.integers(1, 5))
            copy = write_line(layout, Call(again.name, again.pos, again.strand, 1, more, again.cg), shift)
        case.lines.insert(draw(st.integers(len(header), len(case.lines))), copy)
    elif damage == "empty":
        case.lines = draw(st.sampled_from([[], ["track name=empty"], ["# no calls", ""], [""]]))
    plain = text_of(case.lines)
    if damage == "truncate":
        if packing == "gzip":
            packed, ends = bgzip(case.lines, draw(st.integers(1, 4)))
            cut = draw(cut_points(len(packed)))
            case.data, case.suffix = packed[:cut], ".gz" if cut >= 2 else ""
            if cut in ends:
                case.lines = case.lines[: ends[cut]]
            elif cut >= 2:
                case.stream_intact = False
            else:  # not even the gzip magic: a plain file of these bytes
                case.lines = lines_of(case.data)
            return case
        if packing:  # one bzip2, xz or Zstandard stream: cut anywhere but at its end, it is damaged
            suffix, compress = COMPRESSORS[packing]
            packed = compress(plain)
            cut = draw(cut_points(len(packed)))
            case.data = packed[:cut]
            if cut < MAGIC_LENGTH[packing]:  # not even the magic: a plain file of these bytes
                case.lines = lines_of(case.data)
            else:
                case.stream_intact, case.suffix = cut == len(packed), suffix
            return case
        cut = draw(cut_points(len(plain)))
        case.data = plain[:cut]
        case.lines = lines_of(case.data)
        if len(case.lines) == len(header) + 1 and not case.data.endswith(b"\n"):
            # a lone row cut short can be a whole row of another layout (a bedMethyl of 11 columns,
            # another format): cut before it instead
            case.data = plain[: plain.rfind(b"\n", 0, cut) + 1]
            case.lines = lines_of(case.data)
        return case
    if packing == "gzip":
        case.data, case.suffix = gzip.compress(plain, mtime=0), ".gz"
    elif packing:
        case.suffix, compress = COMPRESSORS[packing]
        case.data = compress(plain)
    else:
        case.data = plain
    return case


def outcome_kind(case: Case, outcome: Outcome) -> str:
    """A label of what a case must end in, for ``--hypothesis-show-statistics``."""
    if not case.stream_intact:
        return "a damaged compressed stream"
    if outcome.table is not None:
        return "a table"
    return outcome.phrase.split(":")[0] if outcome.phrase else "a bad line"


def write_case(case: Case, folder: Path) -> Path:
    """The case's file in ``folder``, named with its compression's suffix."""
    path = folder / (case.name + case.suffix)
    path.write_bytes(case.data)
    return path


def assert_outcome(case: Case, path: Path, outcome: Outcome, run) -> dict | None:
    """Run ``run()`` (-> canonical table, QC) and check it against ``outcome``: the error, or the
    table and every QC count the outcome gives; returns the QC (None after an error)."""
    if not case.stream_intact:
        with pytest.raises(Exception) as info:
            run()
        assert_input_error(info.value, path)
        assert "stream" in str(info.value)
        return None
    if outcome.table is None:
        with pytest.raises(Exception) as info:
            run()
        assert_input_error(info.value, path, outcome.line)
        assert outcome.phrase in str(info.value)
        return None
    table, qc = run()
    pd.testing.assert_frame_equal(table.astype({"chrom": "str"}), outcome.table, check_exact=False, rtol=1e-9)
    for key, value in outcome.qc.items():
        assert qc[key] == value, (key, qc[key], value)
    return qc


SETTINGS = dict(
    max_examples=800,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def check_ingest(case: Case, folder: Path, references: dict, fmt: str | None) -> None:
    """Write the case into ``folder`` and ingest it as ``fmt``: the outcome ``expected`` gives."""
    count_case("methylation")
    path = write_case(case, folder)
    want = expected(case.layout, case.lines, case.style, case.min_coverage, case.min_cg_share)
    event(f"{case.damage}: {outcome_kind(case, want)}")
    assert_outcome(
        case,
        path,
        want,
        lambda: ingest(
            path,
            references[case.style],
            fmt=fmt,
            min_coverage=case.min_coverage,
            min_cg_share=case.min_cg_share,
        ),
    )


@settings(**SETTINGS)
@given(case=cases())
def test_ingest_reads_a_damaged_file_as_documented_or_names_it(case, references, tmp_path_factory):
    """ingest: the canonical table and QC counts the documentation gives, or the InputError."""
    check_ingest(case, tmp_path_factory.mktemp("case", numbered=True), references, case.fmt)


# the count table's columns named as a column spec (epibench.io.methylation.column_spec)
COUNT_TABLE_COLUMNS = "columns:chrom=1,pos=2,total=3,meth=4"


@settings(**SETTINGS | {"max_examples": 150})
@given(case=cases(formats=["count_table"]))
def test_a_spec_of_the_count_tables_columns_reads_it_as_the_count_table_reader(
    case, references, tmp_path_factory
):
    """The sheet's ``columns:`` for the count table's layout: the outcome documented for a count
    table, damaged files included (the same table and counts, or an InputError at the same line).
    Not a field added or removed: a spec reads the columns it names, so a table wider than four
    columns is no error for it (``test_io_column_spec`` covers rows too short for a spec)."""
    assume(case.damage != "columns")
    check_ingest(case, tmp_path_factory.mktemp("spec", numbered=True), references, COUNT_TABLE_COLUMNS)


@settings(**SETTINGS | {"max_examples": 300})
@given(case=cases(), block_bytes=st.integers(8, 400))
def test_the_scattered_ingest_reads_it_the_same_way(case, block_bytes, references, tmp_path_factory):
    """split_sample (in small blocks) -> ingest_group per group -> merge_ingest_qc: the same outcome,
    except that a group with fewer than MIN_CALLS_TO_JUDGE calls only reports a low CG share of its
    own (the sample's share is judged by merge_ingest_qc, after every group's job)."""
    count_case("methylation")
    folder = tmp_path_factory.mktemp("scatter", numbered=True)
    path = write_case(case, folder)
    reference = references[case.style]
    spell = STYLES[case.style]
    groups = {"first": [spell("1")], "rest": [spell("2"), spell("3")]}
    want = expected(
        case.layout, case.lines, case.style, case.min_coverage, case.min_cg_share, [["1"], ["2", "3"]]
    )

    def run():
        stage1 = split_sample(
            [CallsFile(path, case.fmt)],
            reference,
            groups,
            folder / "calls",
            min_coverage=case.min_coverage,
            block_bytes=block_bytes,
        )
        parts = {
            group: ingest_group(
                [folder / "calls" / "1" / f"{group}.parquet"], reference, case.min_coverage, case.min_cg_share
            )
            for group in groups
        }
        qc = merge_ingest_qc(
            stage1,
            {g: q for g, (_, q) in parts.items()},
            reference,
            case.min_coverage,
            case.min_cg_share,
            folder / "calls",
        )
        return pd.concat([table for table, _ in parts.values()], ignore_index=True), qc

    qc = assert_outcome(case, path, want, run)
    if qc is not None:
        assert len([w for w in qc["warnings"] if "not judged" in w]) == want.warnings


def _methylc(c: int, level: str = "0.500", depth: str = "6", name: str = "chr1") -> str:
    """A methylC line on the C at ``c``."""
    return "\t".join([name, str(c), str(c + 1), "CG", level, "+", depth])


def _modkit(c: int, valid: str = "6", extra: str = "") -> str:
    """A modkit line (5mC, strands combined) on the C at ``c``, ``extra`` after its 18 fields."""
    return f"chr1\t{c}\t{c + 1}\tm\t6\t.\t{c}\t{c + 1}\t255,0,0\t{valid} 83.33 5 1 0 0 0 0 0{extra}"


C1, C2 = [c for name, c in CPGS if name == "1"][:2]
# second lines the column reader (columns.py) once got wrong: each must be an error naming its line
TABLE_GAPS = {
    "modkit: a 19th field": ("s.modkit.bed", _modkit(C2, extra=" 7")),
    "modkit: 1e3 in an integer column": ("s.modkit.bed", _modkit(C2, valid="1e3")),
    "methylC: 1_0 as a level": ("s.methylC", _methylc(C2, level="1_0")),
    "methylC: a depth past int64": ("s.methylC", _methylc(C2, depth="9" * 20)),
    "methylC: a name that is not UTF-8": ("s.methylC", _methylc(C2, name="chr\xe9")),
}


@pytest.mark.parametrize("gap", list(TABLE_GAPS))
def test_table_reader_gaps_name_the_line(tmp_path, references, gap):
    """Each second line of ``TABLE_GAPS`` is an InputError naming line 2."""
    name, second = TABLE_GAPS[gap]
    first = _modkit(C1) if name.endswith(".bed") else _methylc(C1)
    path = tmp_path / name
    path.write_bytes(text_of([first, second]))
    with pytest.raises(Exception) as info:
        ingest(path, references["ucsc"], min_coverage=1)
    assert_input_error(info.value, path, 2)


@pytest.mark.parametrize("blank", [" ", "\t", "\t\t\t\t\t\t"])
def test_a_line_of_whitespace_is_blank(tmp_path, references, blank):
    """Blank lines are skipped (table's docstring), a line of only spaces or tabs too, though
    pyarrow's CSV reader takes it for a row."""
    path = tmp_path / "s.methylC"
    path.write_bytes(text_of([_methylc(C1), blank, _methylc(C2)]))
    table, _ = ingest(path, references["ucsc"], min_coverage=1)
    assert table["pos"].tolist() == [C1, C2]


@pytest.mark.parametrize("block_bytes", [8, 40, 1 << 20])
@pytest.mark.parametrize("blank", [" ", "\t", "\t\t\t\t\t\t"])
def test_lines_after_a_line_of_whitespace_keep_their_numbers(tmp_path, references, blank, block_bytes):
    """A line of spaces or tabs is blank in the scattered path too (read a block at a time), and
    the lines after it are named by their own numbers, there and in ``ingest``."""
    path = tmp_path / "s.methylC"
    path.write_bytes(text_of([_methylc(C1), blank, _methylc(C2)]))
    reference = references["ucsc"]
    groups = {"all": [STYLES["ucsc"](name) for name in SEQS]}
    split_calls(path, reference, groups, tmp_path / "calls", min_coverage=1, block_bytes=block_bytes)
    table, _ = ingest_group([tmp_path / "calls" / "all.parquet"], reference, min_coverage=1, min_cg_share=0.5)
    assert table["pos"].tolist() == [C1, C2]
    path.write_bytes(text_of([_methylc(C1), blank, _methylc(C2, level="x"), blank, _methylc(C2, "2")]))
    for run in (
        lambda: ingest(path, reference, min_coverage=1),
        lambda: split_calls(path, reference, groups, tmp_path / "again", block_bytes=block_bytes),
    ):
        with pytest.raises(Exception) as info:
            run()
        assert_input_error(info.value, path, 3)
        assert "not a number: 'x'" in str(info.value)


# --- calls past the end of a reference cut short (a FASTA excerpt of the calls' chromosome) ----------

# chr1 (240 bp) as the excerpt: calls on each of its CpGs, then three more past its end (0-based C)
PAST_END = (245, 250, 260)
CHR1_CPGS = [c for name, c in CPGS if name == "1"]


def _stops_where(path: Path, reference, way: str) -> str:
    """The InputError's message of ``ingest`` (``way`` "ingest") or of ``split_calls`` ("split") on
    ``path``."""
    with pytest.raises(Exception) as info:
        if way == "ingest":
            ingest(path, reference, min_coverage=1)
        else:
            split_calls(
                path, reference, {"all": [STYLES["ucsc"](name) for name in SEQS]}, path.parent / "calls"
            )
    assert_input_error(info.value, path)
    return str(info.value)


@pytest.mark.parametrize("way", ["ingest", "split"])
def test_calls_past_the_end_of_a_reference_cut_short_say_so_and_how_to_drop_them(tmp_path, references, way):
    """Calls that sit on the reference's CpGs but run past chr1's end (240 bp): still an error (no data
    dropped unsaid), whose verdict is a reference cut short, not another assembly: the count of calls
    past the end, the farthest (261 - 240 = 21 bp beyond), the first such line, and a shell line that
    drops them, which run here leaves a file that ingests with every call within the sequence kept."""
    path = tmp_path / "s.methylC.gz"
    path.write_bytes(gzip.compress(text_of([_methylc(c) for c in CHR1_CPGS + list(PAST_END)])))
    reference = references["ucsc"]
    message = _stops_where(path, reference, way)
    first_line = len(CHR1_CPGS) + 1
    assert "sequence lengths differ" in message and "another assembly than" not in message
    assert (
        "3 calls lie past the end of their sequence (chr1: 3 calls past its 240 bp, the farthest 21 bp "
        f"beyond; the first at line {first_line}: 'chr1\\t245\\t246\\tCG\\t0.500\\t+\\t6'), yet 100.00% of "
        f"the first {len(CHR1_CPGS)} calls within the sequences sit on a cytosine of the reference as read: "
        "the reference looks like an excerpt or a shorter version" in message
    )
    assert re.search(rf"{re.escape(str(path))}\s+chr1\s+chr1\s+261\s+240\s+largest position \+ 1\n", message)
    trimmed = tmp_path / "trimmed_s.methylC.gz"
    command = f"gzip -dc {path} | awk '!(($1==\"chr1\" && $2>239))' | gzip > {trimmed}"
    assert message.endswith(f"or drop the calls past the end, e.g.: {command}")
    subprocess.run(["bash", "-c", command], check=True)
    table, _ = ingest(trimmed, reference, min_coverage=1)
    assert table["pos"].tolist() == CHR1_CPGS


def test_the_line_that_drops_calls_past_the_end_drops_them_on_every_sequence(tmp_path, references):
    """Calls past the ends of chr1 (240 bp) and chr2 (160 bp), in a gzip file whose name says no
    compression: the suggested line reads it as gzip (by its bytes, as the readers do) and drops the
    calls past both ends; what it writes ingests."""
    chr2_cpgs = [c for name, c in CPGS if name == "2"]
    lines = [_methylc(c) for c in CHR1_CPGS + list(PAST_END)] + [
        _methylc(c, name="chr2") for c in chr2_cpgs + [170, 200]
    ]
    path = tmp_path / "s.methylC"
    path.write_bytes(gzip.compress(text_of(lines)))
    message = _stops_where(path, references["ucsc"], "ingest")
    assert "chr1: 3 calls past its 240 bp" in message and "chr2: 2 calls past its 160 bp" in message
    command = message.split("e.g.: ")[-1]
    assert command.startswith(f"gzip -dc {path} | awk ")
    subprocess.run(["bash", "-c", command], check=True)
    table, _ = ingest(tmp_path / "trimmed_s.methylC", references["ucsc"], min_coverage=1)
    assert sorted(table.loc[table["chrom"] == "chr2", "pos"]) == chr2_cpgs
    assert sorted(table.loc[table["chrom"] == "chr1", "pos"]) == CHR1_CPGS


@pytest.mark.parametrize("way", ["ingest", "split"])
def test_calls_past_the_end_off_the_references_cytosines_are_another_assembly(tmp_path, references, way):
    """Calls on A and T bases of chr1 (as another assembly's would mostly be) and past its end: the
    verdict stays another assembly, with no advice to trim."""
    off = [i for i, base in enumerate(NORMALISED["1"]) if base in "AT"][:30]
    path = tmp_path / "s.methylC"
    path.write_bytes(text_of([_methylc(c) for c in off + list(PAST_END)]))
    message = _stops_where(path, references["ucsc"], way)
    assert "were made on another assembly than the reference" in message
    assert "excerpt" not in message and "awk" not in message


# --- a wrong format named: the error says what detection reads the file as -----------------------


def _cgmap(c: int) -> str:
    """A BS-Seeker2 CGmap line on the C at 0-based ``c`` of chr1 (1-based position in column 3)."""
    return f"chr1\tC\t{c + 1}\tCG\tCG\t0.5\t3\t6"


def _cytosine_report(c: int) -> str:
    """A Bismark cytosine report line on the C at 0-based ``c`` of chr1 (1-based)."""
    return f"chr1\t{c + 1}\t+\t3\t3\tCG\tCGA"


@pytest.mark.parametrize(
    ("lines", "fmt", "error", "detected"),
    [
        ([_cgmap(c) for c in CHR1_CPGS], "bismark_cov", "bismark_cov has 6 columns, found 8", "cgmap"),
        (
            [_cytosine_report(c) for c in CHR1_CPGS],
            "count_table",
            "count_table has 4 columns, found 7",
            "bismark_cpg_report",
        ),
        (
            [_cytosine_report(c) for c in CHR1_CPGS],
            "methylc",
            "methylC: neither column 6 nor column 7 holds +/- in the first rows",
            "bismark_cpg_report",
        ),
    ],
)
def test_a_wrong_format_names_the_one_detection_reads(tmp_path, references, lines, fmt, error, detected):
    """A file given another format than its own: the error at line 1 (the format's complaint), then
    the format that ``format: auto`` reads it as; which reads it, as the hint says."""
    path = tmp_path / "calls.txt"
    path.write_bytes(text_of(lines))
    with pytest.raises(Exception) as info:
        ingest(path, references["ucsc"], fmt=fmt, min_coverage=1)
    assert_input_error(info.value, path, 1)
    message = str(info.value)
    assert error in message
    assert message.endswith(f"; the content looks like {detected} (format auto detects it)")
    table, qc = ingest(path, references["ucsc"], min_coverage=1)
    assert qc["format"] == detected and table["pos"].tolist() == CHR1_CPGS


def test_a_wrong_format_without_a_detectable_one_has_no_hint(tmp_path, references):
    """Rows no format reads (five columns of words): the format's error alone, no hint."""
    path = tmp_path / "calls.txt"
    path.write_bytes(text_of(["chr1\tx\ty\tz\tw"] * 3))
    with pytest.raises(Exception) as info:
        ingest(path, references["ucsc"], fmt="bismark_cov", min_coverage=1)
    assert_input_error(info.value, path)
    assert "bismark_cov has 6 columns, found 5" in str(info.value) and "looks like" not in str(info.value)

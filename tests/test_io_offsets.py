"""Fuzzing the offset detection: random sequences, calls written with a random shift and strand
convention, counted against a plain-Python statement of what sits on a CG."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from epibench.io.methylation.calls import ON_C, ON_G, UNSTRANDED, Calls
from epibench.io.methylation.offsets import MINUS_ON_C, SHIFTS, measure_fit
from epibench.io.methylation.columns import Labels, Source
from epibench.io.reference import Reference, write_reference_index

STRAND_OF = {"+": ON_C, "-": ON_G, ".": UNSTRANDED}


def on_cg(seq: str, pos: int, strand: str) -> bool:
    """A + call on the C of a CG, a - call on its G, an unstranded call on either."""
    on_c = 0 <= pos < len(seq) - 1 and seq[pos : pos + 2] == "CG"
    on_g = 1 <= pos < len(seq) and seq[pos - 1 : pos + 1] == "CG"
    return {"+": on_c, "-": on_g, ".": on_c or on_g}[strand]


@st.composite
def cases(draw):
    """(sequence, calls as (pos, strand), the shift they were written with, - strand calls on the C?)."""
    n = draw(st.integers(20, 300))
    seq = list(draw(st.text("ACGTN", min_size=n, max_size=n)))
    for at in draw(st.lists(st.integers(0, n - 2), min_size=1, max_size=n // 4)):
        seq[at : at + 2] = "CG"
    seq = "".join(seq)
    cpgs = [i for i in range(n - 1) if seq[i : i + 2] == "CG"]
    stranded = draw(st.booleans())
    written_shift = draw(st.sampled_from(SHIFTS))
    minus_on_c = stranded and draw(st.booleans())
    calls = []
    for c in draw(st.lists(st.sampled_from(cpgs), min_size=1, max_size=60, unique=True)):
        strands = draw(st.sampled_from(["+", "-", "+-"])) if stranded else "."
        for strand in strands:
            pos = c + (strand == "-" and not minus_on_c) + (strand == "." and draw(st.booleans()))
            calls.append((pos + written_shift, strand))
    return seq, calls, written_shift, minus_on_c


def as_calls(calls: list[tuple[int, str]]) -> Calls:
    source = Source(Path("fuzz.txt"), "methylc", 0, 7, False, ())
    n = len(calls)
    return Calls(
        source=source,
        chrom=Labels(np.zeros(n, np.int32), np.array(["chr1"], dtype=object)),
        pos=np.array([p for p, _ in calls], dtype=np.int64),
        strand=np.array([STRAND_OF[s] for _, s in calls], dtype=np.int8),
        n_meth=np.ones(n),
        n_total=np.full(n, 2, dtype=np.int64),
        cg_context=None,
        row=None,
        base=0,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_offset_fit_counts_what_sits_on_a_cg_and_finds_the_shift(case):
    seq, calls, written_shift, minus_on_c = case
    with tempfile.TemporaryDirectory() as folder:
        fasta = Path(folder) / "in.fa"
        fasta.write_text(f">chr1\n{seq}\n")
        reference = Reference(write_reference_index(fasta, folder))
        fit = measure_fit(as_calls(calls), np.zeros(len(calls), np.int32), reference)
        reference.close()
    clean = seq.replace("N", "n")  # N never forms a CG either way
    expected = {s: sum(on_cg(clean, p + s, strand) for p, strand in calls) for s in SHIFTS}
    assert fit.on_cg == expected and fit.n_calls == len(calls)
    n_minus = sum(strand == "-" for _, strand in calls)
    assert fit.n_minus == n_minus
    if n_minus:
        assert fit.minus_on_c == sum(on_cg(clean, p + (strand == "-"), strand) for p, strand in calls)
    # moved back by what it was written with (and - calls onto their G), every call sits on a CG
    truth = MINUS_ON_C if minus_on_c and n_minus else -written_shift
    if truth == MINUS_ON_C and written_shift:
        return  # two faults at once: no single fit undoes both
    assert fit.shares()[truth] == 1.0 and fit.shares()[fit.best()] == 1.0
    if written_shift == 0 and truth == 0:
        assert fit.best() == 0  # as read wins every tie

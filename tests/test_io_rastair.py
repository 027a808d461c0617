"""rastair ``call`` BED (TAPS): read as its cytosines' ``mod`` of ``unmod + mod`` reads, strands merged.

The layout is rastair's own: its BED writer (``src/bed/rastair1/format.rs`` of bsbludwig/rastair
@04dae248: the header below, ``cpg`` ``REF`` or ``NEW``, ``beta_est`` ``.`` where undecided) and
rows it wrote: the four of ``tests/snapshots/call_cli__bed_with_ml.snap`` (rastair 2.0, its test
BAM over chr19:6105700-6105800 of GRCh38) and the first two of ``tests/data/rastair1.bed``
(rastair 1, 14 columns). Only these rows are quoted (the repository is AGPL-3.0); the expected
counts are read off the text. The reference is made: a CpG at each quoted CpG, A elsewhere.
"""

from __future__ import annotations

import pytest

from epibench.errors import InputError
from epibench.io.methylation.detect import detect_source
from epibench.io.methylation.ingest import ingest
from small_reference import make_reference

HEADER = (
    "#chr\tstart\tend\tname\tbeta_est\tstrand\tunmod\tmod\tno_snp\tsnp\tcoverage\tgenotype\t"
    "gt_p_score\tgt_conf_score\tcpg\n"
)
ROWS = (
    "chr19\t6105711\t6105712\t.\t0.67\t+\t4\t8\t6\t0\t18\tC/C\t99\t18\tREF\n"
    "chr19\t6105712\t6105713\t.\t0.67\t-\t2\t4\t12\t0\t18\tG/G\t99\t36\tREF\n"
    "chr19\t6105743\t6105744\t.\t0.80\t+\t2\t8\t6\t0\t16\tC/C\t99\t18\tREF\n"
    "chr19\t6105744\t6105745\t.\t0.50\t-\t3\t3\t10\t0\t16\tG/G\t99\t30\tREF\n"
)
RASTAIR1_ROWS = (  # no cpg column
    "chr19\t6103080\t6103081\t.\t0.50\t+\t1\t1\t2\t0\t4\tC/C\t99\t6\n"
    "chr19\t6103081\t6103082\t.\t0.50\t-\t1\t1\t3\t0\t5\tG/G\t99\t9\n"
)
CPGS = (6103080, 6105711, 6105743)  # the C of each quoted CpG, 0-based
DE_NOVO = 6105760  # an A in the made reference: a CpG only where a sample's variant makes one


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    bases = ["A"] * 6_106_000
    for c in CPGS:
        bases[c : c + 2] = "CG"
    return make_reference(tmp_path_factory.mktemp("rastair"), {"chr19": "".join(bases)})


def test_a_rastair_bed_is_detected_and_read_as_its_cpgs(tmp_path, reference):
    """Both strands of each CpG summed: mod of unmod + mod reads (coverage counts SNP evidence too)."""
    new = "chr19\t6105760\t6105761\t.\t0.50\t+\t3\t3\t0\t0\t6\tC/C\t99\t9\tNEW\n"
    path = tmp_path / "sample.rastair.bed"
    path.write_text(HEADER + ROWS + new)
    assert detect_source(path).fmt == "rastair"
    table, qc = ingest(path, reference, min_coverage=1)
    assert table[["pos", "n_meth", "n_total"]].values.tolist() == [
        [6105711, 8 + 4, 4 + 8 + 2 + 4],
        [6105743, 8 + 3, 2 + 8 + 3 + 3],
    ]
    assert qc["n_non_cg_context_dropped"] == 1 and qc["n_cpgs_merged"] == 2
    assert DE_NOVO not in set(table["pos"])


def test_a_rastair_1_bed_of_14_columns_is_not_taken_for_a_bedmethyl(tmp_path, reference):
    """Its ninth column (no_snp, an integer) would pass for ENCODE's colour; the genotype tells."""
    path = tmp_path / "sample.bed"
    path.write_text(HEADER.replace("\tcpg", "") + RASTAIR1_ROWS)
    assert detect_source(path).fmt == "rastair"
    table, _ = ingest(path, reference, min_coverage=1)
    assert table[["pos", "n_meth", "n_total"]].values.tolist() == [[6103080, 2, 4]]


@pytest.mark.parametrize(
    "field, value, message",
    [(5, "x", "strand must be one of"), (7, "-2", "negative mod"), (14, "ALT", "cpg must be one of")],
)
def test_a_bad_rastair_row_is_named_at_its_line(tmp_path, reference, field, value, message):
    rows = ROWS.splitlines()
    fields = rows[2].split("\t")
    fields[field] = value
    rows[2] = "\t".join(fields)
    path = tmp_path / "s.bed"
    path.write_text(HEADER + "\n".join(rows) + "\n")
    with pytest.raises(InputError, match=message) as info:
        ingest(path, reference, fmt="rastair", min_coverage=1)
    assert info.value.line == 4

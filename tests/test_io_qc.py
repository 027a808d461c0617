"""Per-sample QC table and figure (epibench.io.qc), checked against values computed by hand.

Region table (codes: promoter 0, enhancer 1, gene_body 2, intergenic 3), rows shuffled:

    chr1 10 promoter, chr1 20 promoter, chr1 30 enhancer, chr1 40 gene_body, chr1 50 intergenic,
    chr2 5 gene_body, chr2 15 intergenic

Sample CpGs (chrom, pos, n_total, level); chr1:50 is not covered, chr3:7 is not in the region table:

    chr1 10 12 0.90   promoter
    chr1 20  4 0.10   promoter
    chr1 30 10 0.50   enhancer
    chr1 40 20 0.75   gene_body
    chr2  5  6 0.25   gene_body
    chr2 15  8 1.00   intergenic
    chr3  7 30 0.00   unannotated
"""

import numpy as np
import pandas as pd
import pytest

from epibench.io.qc import GROUPS, QC_COLUMNS, plot_qc, qc_table, region_of_cpgs

CPG_ROWS = [
    ("chr1", 10, 12, 0.90),
    ("chr1", 20, 4, 0.10),
    ("chr1", 30, 10, 0.50),
    ("chr1", 40, 20, 0.75),
    ("chr2", 5, 6, 0.25),
    ("chr2", 15, 8, 1.00),
    ("chr3", 7, 30, 0.00),
]
REGION_ROWS = [
    ("chr2", 15, 3),
    ("chr1", 30, 1),
    ("chr1", 10, 0),
    ("chr1", 50, 3),
    ("chr2", 5, 2),
    ("chr1", 40, 2),
    ("chr1", 20, 0),
]


@pytest.fixture
def cpgs():
    frame = pd.DataFrame(CPG_ROWS, columns=["chrom", "pos", "n_total", "level"])
    frame["n_meth"] = frame.n_total * frame.level
    frame = frame[["chrom", "pos", "n_meth", "n_total", "level"]]
    return frame.astype({"chrom": "str", "pos": np.int64, "n_total": np.int64, "level": np.float32})


@pytest.fixture
def regions():
    frame = pd.DataFrame(REGION_ROWS, columns=["chrom", "pos", "region"])
    return frame.astype({"chrom": "str", "pos": np.int64, "region": np.int8}).assign(cgi=False)


# group -> n_cpgs, share_of_cpgs, mean_coverage, median_coverage, share_ge_10x, mean_level, share_methylated
EXPECTED = {
    # coverage 12 4 10 20 6 8 30: sum 90; sorted 4 6 8 10 12 20 30; >= 10: 12 10 20 30
    # levels .9 .1 .5 .75 .25 1 0: sum 3.5; >= 0.5: .9 .5 .75 1
    "all": (7, 1.0, 90 / 7, 10.0, 4 / 7, 0.5, 4 / 7),
    "promoter": (2, 2 / 7, 8.0, 8.0, 0.5, 0.5, 0.5),  # 12, 4; .9, .1
    "enhancer": (1, 1 / 7, 10.0, 10.0, 1.0, 0.5, 1.0),  # 10 >= 10; 0.5 >= 0.5
    "gene_body": (2, 2 / 7, 13.0, 13.0, 0.5, 0.5, 0.5),  # 20, 6; .75, .25
    "intergenic": (1, 1 / 7, 8.0, 8.0, 0.0, 1.0, 1.0),  # chr2:15 only (chr1:50 not covered)
    "unannotated": (1, 1 / 7, 30.0, 30.0, 1.0, 0.0, 0.0),  # chr3:7
}


def test_region_of_cpgs(cpgs, regions):
    assert region_of_cpgs(cpgs, regions).tolist() == [0, 0, 1, 2, 2, 3, -1]


def test_qc_table_by_hand(cpgs, regions):
    table = qc_table(cpgs, regions, "s1")
    assert list(table.columns) == list(QC_COLUMNS)
    assert table["region"].tolist() == list(GROUPS)
    assert (table["sample"] == "s1").all()
    assert table["n_cpgs"].dtype == np.int64
    got = table.set_index("region")
    for group, values in EXPECTED.items():
        np.testing.assert_allclose(
            got.loc[group, list(QC_COLUMNS[2:])].to_numpy(float), values, rtol=1e-6, err_msg=group
        )


def test_threshold_sets_share_methylated(cpgs, regions):
    table = qc_table(cpgs, regions, "s1", threshold=0.8).set_index("region")
    assert table.loc["all", "share_methylated"] == pytest.approx(2 / 7)  # 0.9 and 1.0
    assert table.loc["promoter", "share_methylated"] == pytest.approx(0.5)


def test_unknown_coverage_blanks_the_coverage_columns(cpgs, regions):
    table = qc_table(cpgs, regions, "s1", coverage_known=False)
    assert table[["mean_coverage", "median_coverage", "share_ge_10x"]].isna().all().all()
    assert table.set_index("region").loc["all", "mean_level"] == pytest.approx(0.5)


def test_empty_groups_are_nan_not_errors(regions):
    empty = pd.DataFrame(
        {"chrom": pd.Series([], dtype="str"), "pos": [], "n_meth": [], "n_total": [], "level": []}
    )
    table = qc_table(empty.astype({"pos": np.int64, "n_total": np.int64}), regions, "s0")
    assert table["n_cpgs"].tolist() == [0] * len(GROUPS)
    assert table.drop(columns=["sample", "region", "n_cpgs"]).isna().all().all()


def test_missing_columns_are_named(cpgs, regions):
    with pytest.raises(ValueError, match="region table lacks columns \\['region'\\]"):
        qc_table(cpgs, regions.drop(columns="region"), "s1")


def test_plot_qc_writes_png_and_pdf(tmp_path, cpgs, regions):
    paths = plot_qc(cpgs, regions, "s1", tmp_path / "s1.qc")
    assert paths == [tmp_path / "s1.qc.png", tmp_path / "s1.qc.pdf"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths[1].read_bytes()[:5] == b"%PDF-"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s1.qc.pdf", "s1.qc.png"]  # no temporary files left


def test_plot_qc_unknown_coverage_and_many_depths(tmp_path, regions):
    rng = np.random.default_rng(0)
    n = 2000
    cpgs = pd.DataFrame(
        {
            "chrom": pd.array(rng.choice(["chr1", "chr2"], n), dtype="str"),
            "pos": rng.choice([10, 20, 30, 40, 5, 15], n).astype(np.int64),
            "n_total": rng.poisson(15, n).astype(np.int64) + 1,
            "level": rng.random(n).astype(np.float32),
        }
    )
    assert len(plot_qc(cpgs, regions, "s2", tmp_path / "a")) == 2
    assert len(plot_qc(cpgs, regions, "s2", tmp_path / "b", coverage_known=False)) == 2


def test_the_cli_leaves_out_the_cpgs_of_sequences_in_no_split(tmp_path, cpgs, regions):
    """chr3 (say, the mitochondrion) is left_out in the shard plan: the table counts chr1 and chr2
    only, as a hand count of CPG_ROWS without chr3 gives (6 CpGs, coverage 60 / 6)."""
    import json

    from epibench.cli import main

    cpgs.to_parquet(tmp_path / "cpgs.parquet")
    regions.to_parquet(tmp_path / "regions.parquet")
    (tmp_path / "ingest.json").write_text(json.dumps({"coverage_known": True}))
    (tmp_path / "splits.bed").write_text("chr1\t0\t100\ttrain\nchr2\t0\t100\ttest\nchr3\t0\t100\tleft_out\n")
    args = [
        "qc",
        "--sample",
        "s1",
        "--cpgs",
        str(tmp_path / "cpgs.parquet"),
        "--regions",
        str(tmp_path / "regions.parquet"),
    ]
    args += ["--ingest-qc", str(tmp_path / "ingest.json"), "--splits", str(tmp_path / "splits.bed")]
    assert main([*args, "--out-table", str(tmp_path / "qc.tsv"), "--out-figure", str(tmp_path / "qc")]) == 0
    table = pd.read_csv(tmp_path / "qc.tsv", sep="\t").set_index("region")
    assert table.loc["all", "n_cpgs"] == 6 and table.loc["all", "mean_coverage"] == pytest.approx(60 / 6)
    assert table.loc["unannotated", "n_cpgs"] == 0

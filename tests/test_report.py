"""The cohort summary page: figures copied beside it, tables inlined, sections present."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from matplotlib.figure import Figure

from epibench.report.summary import Item, render


def test_render_copies_figures_and_inlines_tables(tmp_path):
    fig = Figure()
    fig.subplots().plot([0, 1], [1, 0])
    (tmp_path / "evaluation").mkdir()
    png = tmp_path / "evaluation" / "roc.png"
    fig.savefig(png)
    table = tmp_path / "metrics.tsv"
    pd.DataFrame({"metric": ["auroc", "mse"], "value": [0.9, 0.05]}).to_csv(table, sep="\t", index=False)
    per_sample = tmp_path / "per_sample.tsv"  # a row per sample: every one shown
    pd.DataFrame({"sample": ["s1", "s2", "s3"], "mse": [0.05, 0.06, 0.07]}).to_csv(
        per_sample, sep="\t", index=False
    )
    qc = tmp_path / "s1.ingest.json"
    qc.write_text(json.dumps({"n_kept": 1234, "cg_share": 0.999}))
    out = render(
        "My <cohort>",
        {
            "QC": [Item(qc, "qc of s1")],
            "Evaluation": [
                Item(png, "roc curves"),
                Item(table, "all metrics"),
                Item(per_sample, "per sample"),
            ],
        },
        tmp_path / "report" / "index.html",
        max_rows=1,
    )
    html = out.read_text()
    assert "My &lt;cohort&gt;" in html
    assert (tmp_path / "report" / "evaluation_roc.png").read_bytes() == png.read_bytes()
    assert "<img src='evaluation_roc.png'" in html
    assert "auroc" in html and "first 1 of 2 rows (all of them: metrics.tsv)" in html
    assert all(f"<td>{sample}</td>" in html for sample in ("s1", "s2", "s3")) and "of 3 rows" not in html
    assert "<td>1,234</td>" in html
    assert html.index("id='QC'") < html.index("id='Evaluation'")


def test_a_json_record_is_a_table_of_values_with_their_meanings(tmp_path):
    """Nested objects and lists of objects become tables, not Python reprs; null is none."""
    qc = tmp_path / "s1.ingest.json"
    record = {
        "n_cpgs_merged": 0,
        "mean_coverage": None,
        "coverage_known": False,
        "renamed_chroms": {"1": "chr1", "MT": "chrM"},
        "groups": {"chr1": {"n_kept": 3, "warnings": []}},
        "inputs": ["a.cov", "b.cov"],
        "files": [{"n_calls": 5, "cg_share": 0.99999}, {"n_calls": 7, "cg_share": 0.5}],
        "warnings": [],
    }
    qc.write_text(json.dumps(record))
    html = render("c", {"QC": [Item(qc, "qc")]}, tmp_path / "report" / "index.html").read_text()
    shown = html[html.index("<figure>") : html.index("</figure>")]
    assert not any(python in shown for python in ("{", "[", "None", "False"))
    assert "CpGs called on both strands" in shown  # n_cpgs_merged's meaning
    assert "<td>1: chr1, MT: chrM</td>" in shown
    assert "<summary>1 entry</summary>" in shown and "<th title='CpGs kept" in shown
    assert "<td>a.cov, b.cov</td>" in shown
    assert "<td>5</td><td>1</td></tr><tr><td>7</td><td>0.5</td>" in shown
    assert shown.count("<td>none</td>") == 3 and "<td>no</td>" in shown


def test_a_missing_value_in_a_table_is_a_dash_not_nan(tmp_path):
    table = tmp_path / "cg_check.tsv"
    table.write_text("sample\tcg_share\tcg_share_minus_on_c\ns1\t0.99\t\ns2\t0.98\t0.5\n")
    html = render("c", {"QC": [Item(table, "fits")]}, tmp_path / "report" / "index.html").read_text()
    assert "NaN" not in html and "<td>0.99</td>\n      <td>-</td>" in html


def test_an_empty_table_says_it_has_no_rows(tmp_path):
    table = tmp_path / "chrom_aliases.tsv"
    table.write_text("alias\tname_in_reference\tsource\n")
    html = render("c", {"QC": [Item(table, "aliases")]}, tmp_path / "report" / "index.html").read_text()
    assert "no rows (columns: alias, name_in_reference, source)" in html and "<th>alias" not in html


def _leaderboard(path):
    """A leaderboard with hand-set numbers: hybrid first (ceiling aside), cnn the original."""
    marks, nbr = "sequence + marks", "+ neighbours"
    rows = [
        ("ceiling", "ceiling", "", 0.99, 0.98, 0.995, 0.010, 0.009, 0.011, "", "", ""),
        ("gbm_neighbours", "baseline", nbr, 0.97, 0.965, 0.975, 0.020, 0.019, 0.021, "", "", ""),
        ("hybrid", "model", marks, 0.95, 0.94, 0.96, 0.030, 0.028, 0.032, "", "", ""),
        ("gbm_histone", "baseline", marks, 0.90, 0.88, 0.92, 0.050, 0.047, 0.053, "hybrid", "yes", "yes"),
        ("cnn", "model", marks, 0.85, 0.83, 0.87, 0.060, 0.057, 0.063, "hybrid", "yes", "yes"),
    ]
    columns = [
        "model",
        "kind",
        "mode",
        "auroc",
        "auroc_ci_low",
        "auroc_ci_high",
        "mse",
        "mse_ci_low",
        "mse_ci_high",
        "compared_with",
        "new_beats_on_auroc",
        "new_beats_on_mse",
    ]
    pd.DataFrame(rows, columns=columns).to_csv(path, sep="\t", index=False)


def test_the_headline_names_what_a_left_out_sequence_is_also_by_its_alias():
    """A zebrafish mitochondrion known only by its accession (NC_002333.2) is named a mitochondrion
    through the alias its FASTA definition line gave (MT); a name nothing classifies is "other"."""
    from epibench.report.headline import trained_text

    plan = pd.DataFrame(
        [("NC_007112.7", 0, 900, "train"), ("NC_002333.2", 0, 100, "left_out")],
        columns=["chrom", "start", "end", "split"],
    )
    assert "1 sequence in no split (100 bp: NC_002333.2 (mitochondrion))" in trained_text(
        plan, aliases={"MT": "NC_002333.2", "1": "NC_007112.7"}
    )
    assert "(100 bp: NC_002333.2 (other))" in trained_text(plan)
    plan.loc[2] = ("chr6_apd_hap1", 0, 50, "left_out")
    plan.loc[3] = ("chr6_cox_hap2", 0, 50, "left_out")
    assert (
        "(200 bp: 1 other, 2 alternate haplotypes; e.g. NC_002333.2, chr6_apd_hap1, chr6_cox_hap2)"
        in trained_text(plan)
    )


DROPPED_WARNING = (
    "1,185 calls (7.7%) on sequences the reference lacks dropped (calls per sequence: chrUn_KZ115972v1: 675, "
    "chrUn_KZ115973v1: 510): if the file names the reference's sequences otherwise, give a table"
)


def test_headline_names_the_winner_its_margin_and_the_held_out_data(tmp_path):
    from epibench.evaluate.writers import read_metrics, read_model_table
    from epibench.report.headline import headline_html

    _leaderboard(tmp_path / "leaderboard.tsv")
    pd.DataFrame(
        [
            ("hybrid", "overall", "all", "n", 1500.0),
            ("hybrid", "overall", "all", "n_methylated", 83.0),
            ("hybrid", "sample", "s1", "n", 700.0),
            ("hybrid", "sample", "s2", "n", 800.0),
            ("cnn", "overall", "all", "n", 99.0),
        ],
        columns=["model", "scope", "scope_value", "metric", "value"],
    ).to_csv(tmp_path / "metrics.tsv", sep="\t", index=False)
    (tmp_path / "splits.bed").write_text(
        "chr1\t0\t500\ttrain\nchr2\t0\t300\tval\nchr3\t0\t100\ttest\nchrM\t0\t60\tleft_out\n"
        "HLA-A*01:01\t0\t40\tleft_out\n"
    )
    text = headline_html(
        read_model_table(tmp_path / "leaderboard.tsv"),
        read_metrics(tmp_path / "metrics.tsv"),
        tmp_path / "splits.bed",
        "hybrid",
        "cnn",
    )
    assert "Trained on 500 bp of 1 sequence, 50% of the genome; 2 sequences in no split (100 bp" in text
    assert "(100 bp: 1 mitochondrion, 1 HLA allele; e.g. chrM, HLA-A*01:01)" in text
    assert "Winner: hybrid</b> (the new model)" in text  # among sequence + marks: the neighbour mode aside
    assert "+0.100 AUROC, -0.0300 MSE" in text  # 0.95 - 0.85, 0.030 - 0.060
    assert "Runner-up: gbm_histone (AUROC 0.900, +0.050 behind)" in text
    assert (
        "1,500 CpG measurements (83 methylated) of 2 samples on chr3 (1 held-out interval, 100 bp, 10% of the genome)"
        in text
    )
    assert "beats every other model" in text
    assert "not clearly ahead" not in text  # 0.94-0.96 against 0.88-0.92
    # a targeted cohort: its few training CpGs, not only the megabases of its training split
    counted = headline_html(
        read_model_table(tmp_path / "leaderboard.tsv"),
        read_metrics(tmp_path / "metrics.tsv"),
        tmp_path / "splits.bed",
        "hybrid",
        "cnn",
        train_rows=2165,
    )
    assert (
        "Trained on 500 bp of 1 sequence, 50% of the genome (hybrid: 2,165 CpG measurements); 2 seq"
        in counted
    )


def _headline_with(
    tmp_path,
    changes: dict[str, dict],
    block_sizes: pd.DataFrame | None = None,
    cg_check: pd.DataFrame | None = None,
) -> str:
    """The headline of ``_leaderboard`` with ``changes`` (model -> column -> value) made to it, and
    ``block_sizes`` (evaluation/block_sizes.tsv) and ``cg_check`` (qc/cg_check.tsv) where given."""
    from epibench.evaluate.writers import read_metrics, read_model_table
    from epibench.report.headline import headline_html

    _leaderboard(tmp_path / "leaderboard.tsv")
    table = pd.read_csv(tmp_path / "leaderboard.tsv", sep="\t", keep_default_na=False)
    for model, values in changes.items():
        for column, value in values.items():
            table.loc[table["model"] == model, column] = value
    table.to_csv(tmp_path / "leaderboard.tsv", sep="\t", index=False, na_rep="NaN")  # as write_tsv does
    pd.DataFrame(
        [("hybrid", "overall", "all", "n", 10.0)],
        columns=["model", "scope", "scope_value", "metric", "value"],
    ).to_csv(tmp_path / "metrics.tsv", sep="\t", index=False)
    (tmp_path / "splits.bed").write_text("chr1\t0\t600\ttrain\nchr3\t0\t100\ttest\n")
    return headline_html(
        read_model_table(tmp_path / "leaderboard.tsv"),
        read_metrics(tmp_path / "metrics.tsv"),
        tmp_path / "splits.bed",
        "hybrid",
        "cnn",
        block_sizes,
        cg_check=cg_check,
    )


def test_a_winner_without_an_interval_says_so_not_nan(tmp_path):
    """A test split of fewer than 10 genomic blocks gives no interval (leaderboard.tsv: NaN): the
    headline says so in words, not "95 % CI nan-nan"."""
    no_interval = dict.fromkeys(("auroc_ci_low", "auroc_ci_high", "mse_ci_low", "mse_ci_high"), float("nan"))
    models = ("ceiling", "gbm_neighbours", "hybrid", "gbm_histone", "cnn")
    text = _headline_with(tmp_path, {model: no_interval for model in models})
    assert "nan" not in text.lower().replace("nanopore", "")
    assert "(no 95 % CI: too few genomic blocks in the test data)" in text


def test_a_winner_the_paired_difference_does_not_separate_is_not_clearly_ahead(tmp_path):
    text = _headline_with(tmp_path, {"gbm_histone": {"auroc": 0.949, "new_beats_on_auroc": "unclear"}})
    assert (
        "Runner-up: gbm_histone (AUROC 0.949, +0.001 behind; the paired 95 % interval of their AUROC "
        "difference holds 0: not clearly ahead" in text
    )
    assert "-0.0300 MSE (lower: better)" in text


def test_overlapping_intervals_do_not_hide_a_paired_lead(tmp_path):
    """The runner-up's interval overlaps the winner's, yet the paired difference excludes 0."""
    text = _headline_with(
        tmp_path, {"gbm_histone": {"auroc": 0.949, "auroc_ci_low": 0.939, "auroc_ci_high": 0.959}}
    )
    assert "Runner-up: gbm_histone (AUROC 0.949, +0.001 behind)." in text


def test_a_baseline_ahead_of_the_new_model_is_judged_by_the_paired_verdict(tmp_path):
    text = _headline_with(
        tmp_path,
        {
            "gbm_histone": {
                "auroc": 0.96,
                "auroc_ci_low": 0.95,
                "auroc_ci_high": 0.97,
                "new_beats_on_auroc": "no",
            }
        },
    )
    assert "Winner: gbm_histone</b> (not the new model)" in text
    assert "Runner-up: hybrid (AUROC 0.950, +0.010 behind)." in text


def test_between_two_other_models_the_headline_claims_no_lead(tmp_path):
    """paired.tsv holds no difference between two models neither of which is the new one: no verdict,
    whether or not their intervals overlap."""
    text = _headline_with(
        tmp_path,
        {
            "gbm_histone": {
                "auroc": 0.97,
                "auroc_ci_low": 0.95,
                "auroc_ci_high": 0.98,
                "new_beats_on_auroc": "no",
            },
            "cnn": {"auroc": 0.96, "auroc_ci_low": 0.90, "auroc_ci_high": 0.91, "new_beats_on_auroc": "no"},
        },
    )
    assert "Highest test AUROC: gbm_histone" in text and "Winner" not in text
    assert "no verdict between these two" in text and "intervals overlap" not in text


@pytest.mark.parametrize(
    ("verdict", "words"),
    [
        ("no interval", "their AUROC difference has no paired interval (too few genomic blocks"),
        ("no", "the paired interval of their AUROC difference favours gbm_histone: not clearly ahead"),
    ],
)
def test_the_headline_says_why_a_lead_is_not_clear(tmp_path, verdict, words):
    text = _headline_with(tmp_path, {"gbm_histone": {"auroc": 0.949, "new_beats_on_auroc": verdict}})
    assert "Highest test AUROC: hybrid" in text and words in text and "Winner" not in text
    assert "holds 0" not in text


def test_report_starts_with_the_headline(tmp_path):
    from epibench.report.cohort import cohort_report

    results = tmp_path / "results"
    (results / "evaluation").mkdir(parents=True)
    (results / "shards" / "plan").mkdir(parents=True)
    _leaderboard(results / "evaluation" / "leaderboard.tsv")
    pd.DataFrame(
        [("hybrid", "overall", "all", "n", 10.0)],
        columns=["model", "scope", "scope_value", "metric", "value"],
    ).to_csv(results / "evaluation" / "metrics.tsv", sep="\t", index=False)
    (results / "shards" / "plan" / "splits.bed").write_text("chr1\t0\t10\ttest\n")
    (results / "qc").mkdir()
    (results / "qc" / "cg_check.tsv").write_text("sample\tcounts_as_methylated\nnano\t5mC\nwgbs\t5mC+5hmC\n")
    page = cohort_report(results, "t", ["hybrid", "cnn"], tmp_path / "report" / "index.html").read_text()
    assert page.index("id='headline'") < page.index("<nav>") < page.index("<h2")
    assert "Winner: hybrid" in page
    headline = page[page.index("id='headline'") : page.index("<nav>")]
    assert "(5mC: nano; 5mC+5hmC: wgbs; qc/cg_check.tsv)" in headline


def test_a_cohort_without_marks_says_so_where_the_histone_figures_would_be(tmp_path):
    """The new model's model.json lists no marks: one line in Evaluation (no ablation, gbm_region)
    and one in Interpretation (no histone attribution or attention); a model with marks, no line."""
    from epibench.report.cohort import cohort_report

    results = tmp_path / "results"
    (results / "models" / "hybrid").mkdir(parents=True)
    meta = results / "models" / "hybrid" / "model.json"
    meta.write_text(json.dumps({"marks": []}))
    page = cohort_report(results, "t", ["hybrid"], tmp_path / "report" / "index.html").read_text()
    evaluation = page[page.index("id='Evaluation'") : page.index("id='Interpretation'")]
    interpretation = page[page.index("id='Interpretation'") :]
    assert evaluation.count("no histone marks") == 1 and "gbm_region" in evaluation
    assert interpretation.count("no histone marks") == 1 and "no histone attribution" in interpretation
    meta.write_text(json.dumps({"marks": ["H3K4me3"]}))
    page = cohort_report(results, "t", ["hybrid"], tmp_path / "report" / "index.html").read_text()
    assert "no histone marks" not in page


def test_a_sample_removed_from_the_cohort_leaves_the_report(tmp_path):
    """An earlier run's files of a sample the sheet no longer lists stay on disk, not on the page."""
    from epibench.report.cohort import cohort_report

    results = tmp_path / "results"
    (results / "qc").mkdir(parents=True)
    for sample in ("kept", "removed"):
        (results / "qc" / f"{sample}.ingest.json").write_text(json.dumps(_ingest_record(sample, 5, 0)))
        figure = Figure(figsize=(1, 1))
        figure.subplots().plot([0, 1])
        figure.savefig(results / "qc" / f"{sample}.qc.png")
    every = cohort_report(results, "t", ["hybrid"], tmp_path / "index.html").read_text()
    assert "removed.ingest.json" in every and (tmp_path / "qc_removed.qc.png").exists()
    page = cohort_report(results, "t", ["hybrid"], tmp_path / "index.html", samples=["kept"]).read_text()
    assert "kept.ingest.json" in page and "removed.ingest.json" not in page
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        "qc_kept.qc.png"
    ], "its figure's copy is gone too"


def _ingest_record(sample: str, kept: int, below: int, pearson: float | None = None, warnings=()) -> dict:
    """The fields of a qc/<sample>.ingest.json the QC overview reads."""
    pairs = [] if pearson is None else [{"files": [1, 2], "pearson": pearson}]
    return {
        "sample": sample,
        "inputs": ["a.cov", "b.cov"] if pairs else ["a.cov"],
        "n_kept": kept,
        "n_below_min_coverage": below,
        "mean_coverage": 12.5,
        "coverage_known": True,
        "cg_share": 0.99,
        "replicate_concordance": pairs,
        "warnings": list(warnings),
    }


def test_qc_starts_with_every_sample_at_a_glance_then_each_samples_files_together(tmp_path):
    """One overview row per sample in the sheet's order; each sample's record, figure and table
    under one line, folded for a cohort of more than four samples."""
    from epibench.report.cohort import cohort_report
    from epibench.report.qc_overview import UNFOLDED_SAMPLES

    results = tmp_path / "results"
    (results / "qc").mkdir(parents=True)
    order = [f"s{i}" for i in range(UNFOLDED_SAMPLES + 1, 0, -1)]  # the sheet's order, not the alphabet's
    for i, sample in enumerate(order):
        shallow = sample == "s2"
        record = _ingest_record(sample, 40 if shallow else 1000, 960 if shallow else 100, 0.9 if i == 0 else None,
                                [DROPPED_WARNING, "most CpGs below min_coverage"] if shallow else [])  # fmt: skip
        (results / "qc" / f"{sample}.ingest.json").write_text(json.dumps(record))
        pd.DataFrame({"region": ["all"], "n": [record["n_kept"]]}).to_csv(
            results / "qc" / f"{sample}.qc.tsv", sep="\t", index=False
        )
    # s3's H3K4me1 track has no value on chrX (one shard group) nor on five scaffolds (another); a
    # folder of a group the plan no longer has is not read
    (results / "shards" / "plan").mkdir(parents=True)
    (results / "shards" / "plan" / "groups.tsv").write_text("group\tchrom\nchrX\tchrX\nsmall_1\tu0\n")
    for group, gaps in (
        ("chrX", {"H3K4me1": ["chrX"]}),
        ("small_1", {"H3K4me1": [f"u{i}" for i in range(5)]}),
        ("old_group", {"H3K27ac": ["chr1"]}),
    ):
        (results / "shards" / "s3" / group).mkdir(parents=True)
        (results / "shards" / "s3" / group / "manifest.json").write_text(
            json.dumps({"marks_without_values": gaps})
        )
    page = cohort_report(results, "t", ["hybrid"], tmp_path / "index.html", samples=order).read_text()
    qc = page[page.index("<h2 id='QC'>") :]
    rows = [
        re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", qc[: qc.index("</table>")], re.S)
    ]
    overview = pd.DataFrame(rows[1:], columns=rows[0]).astype(
        {"share_below_min_coverage": float, "files": int}
    )
    assert list(overview["sample"]) == order
    shallow = overview.set_index("sample").loc["s2"]
    assert shallow["share_below_min_coverage"] == pytest.approx(960 / 1000)
    # the first warning's opening words, cut at a word within 80 characters, and the count of the rest
    assert (
        shallow["warnings"] == "1,185 calls (7.7%) on sequences the reference lacks dropped (calls per..."
        " (+1 more)"
    )
    assert set(overview.set_index("sample").drop("s2")["warnings"]) == {""}  # none: an empty cell
    assert overview.set_index("sample").loc[order[0], "files"] == 2
    # the marks without values, over the sample's shard groups (their order by name), three named each
    gaps = overview.set_index("sample")["marks_without_values"]
    assert gaps["s3"] == "H3K4me1: chrX, u0, u1 and 3 more" and set(gaps.drop("s3")) == {""}
    folds = re.findall(r"<details><summary>Sample (\w+): ", qc)
    assert folds == order
    first = qc[qc.index("Sample s5: ") : qc.index("Sample s4: ")]
    assert "s5.ingest.json" in first and "s5.qc.tsv" in first and "s4." not in first


def test_metrics_overview_sets_every_model_side_by_side_per_scope():
    from epibench.report.metrics_overview import metrics_overview

    nan = float("nan")
    rows = []
    for model, auroc in (("cnn", 0.8), ("hybrid", 0.9)):
        for scope, value in (
            ("overall", "all"),
            ("region", "intergenic"),
            ("region", "promoter"),
            ("sample", "s1"),
        ):
            rows += [
                (model, scope, value, "n", 40.0, nan, nan),
                *([(model, scope, value, "n_methylated", 3.0, nan, nan)] if value != "s1" else []),
                (
                    model,
                    scope,
                    value,
                    "auroc",
                    auroc if value != "promoter" else nan,
                    auroc - 0.05,
                    auroc + 0.05,
                ),
                (model, scope, value, "mse", 0.02, 0.01, 0.03),
            ]
    long = pd.DataFrame(
        rows, columns=["model", "scope", "scope_value", "metric", "value", "ci_low", "ci_high"]
    )
    table = metrics_overview(long)
    assert list(zip(table["scope"], table["value"])) == [
        ("overall", "all"),
        ("region", "promoter"),  # region classes in priority order, not the table's
        ("region", "intergenic"),
        ("sample", "s1"),
    ]
    assert list(table.columns) == [
        "scope",
        "value",
        "n",
        "n_methylated",
        "cnn AUROC",
        "cnn MSE",
        "hybrid AUROC",
        "hybrid MSE",
    ]
    first = table.iloc[0]
    assert first["hybrid AUROC"] == "0.900 (0.850-0.950)" and first["cnn MSE"] == "0.0200 (0.0100-0.0300)"
    assert table.iloc[1]["cnn AUROC"] == "-" and table["n"].tolist() == [40] * 4
    assert table["n_methylated"].tolist() == [3, 3, 3, "-"], "'-' where the table has no count"


def _block_sizes(paired_width_at_100kb: float) -> pd.DataFrame:
    """block_sizes.tsv rows: the new model's AUROC interval 0.02 wide with 10-kb blocks and 0.05 with
    100-kb ones; its paired difference 0.01 wide with 10-kb blocks and ``paired_width_at_100kb``."""
    rows = []
    for other, widths in (("", (0.02, 0.05)), ("cnn", (0.01, paired_width_at_100kb))):
        for block_bp, width in zip((10_000, 100_000), widths):
            rows.append(
                (
                    "hybrid",
                    other,
                    "auroc",
                    block_bp,
                    300 if block_bp == 10_000 else 30,
                    0.9,
                    0.9 - width / 2,
                    0.9 + width / 2,
                    width,
                    block_bp == 10_000,
                )
            )
    from epibench.evaluate.block_sizes import BLOCK_SIZE_COLUMNS

    return pd.DataFrame(rows, columns=list(BLOCK_SIZE_COLUMNS))


@pytest.mark.parametrize(
    "paired_width, said",
    [
        (
            0.04,
            "Longer genomic blocks widen the paired intervals (block_sizes.png): the verdicts may be optimistic.",
        ),
        (
            0.011,
            "Longer genomic blocks widen the bracketed intervals, not the paired ones (block_sizes.png).",
        ),
    ],
)
def test_the_headline_warns_where_longer_blocks_widen_the_intervals(tmp_path, paired_width, said):
    from epibench.report.headline import block_caveat

    assert block_caveat(_block_sizes(paired_width)).startswith(said)
    text = _headline_with(tmp_path, {}, _block_sizes(paired_width))
    assert said in text


def test_the_headline_says_where_samples_count_5hmc_differently(tmp_path):
    """A nanopore cohort's modkit 5mC pileups beside bisulfite samples (5mC+5hmC): said on the first
    screen, naming three samples of a kind and counting the rest; nothing where all agree or none says."""
    sheet = tmp_path / "cg_check.tsv"
    kinds = ["5mC"] * 2 + ["5mC+5hmC"] * 5 + [""]
    pd.DataFrame({"sample": [f"s{i}" for i in range(8)], "counts_as_methylated": kinds}).to_csv(
        sheet, sep="\t", index=False
    )
    mixed = pd.read_csv(sheet, sep="\t")  # the unknown kind reads as NaN
    text = _headline_with(tmp_path, {}, cg_check=mixed)
    assert (
        "count different modifications as methylated (5mC: s0, s1; 5mC+5hmC: s2, s3, s4 and 2 more;" in text
    )
    agreeing = mixed[mixed["counts_as_methylated"] != "5mC"]
    assert "modifications" not in _headline_with(tmp_path, {}, cg_check=agreeing)


def test_the_headline_says_nothing_of_blocks_where_longer_ones_widen_no_interval(tmp_path):
    table = _block_sizes(0.011)
    table.loc[table["other"] == "", "width"] = 0.045  # 0.02 of 0.045 is under 80 % ...
    table.loc[(table["other"] == "") & table["configured"], "width"] = 0.04  # ... 0.04 of 0.045 is not
    assert "Longer genomic blocks" not in _headline_with(tmp_path, {}, table)


def test_the_held_out_data_counts_the_intervals_that_hold_the_scored_cpgs():
    """A targeted cohort: of four held-out blocks, the test CpGs lie in two (one of them at its last
    base, one past the end of another is outside it)."""
    from epibench.report.headline import held_out_text

    plan = pd.DataFrame(
        [
            ("chr1", 0, 1000, "train"),
            ("chr1", 1000, 1100, "test"),
            ("chr1", 1100, 2000, "train"),
            ("chr1", 2000, 2100, "test"),
            ("chr2", 0, 300, "test"),
            ("chr2", 300, 400, "test"),
        ],
        columns=["chrom", "start", "end", "split"],
    )
    scored = pd.DataFrame({"chrom": ["chr1", "chr1", "chr2", "chr1"], "pos": [1099, 1100, 250, 500]})
    text = held_out_text(plan, scored)
    assert (
        text
        == "chr1, chr2 (4 held-out intervals, 600 bp, 24% of the genome; the scored CpGs lie in 2 of them, 400 bp)"
    )
    assert "lie in" not in held_out_text(
        plan, pd.DataFrame({"chrom": ["chr1"] * 4 + ["chr2"] * 2, "pos": [1000, 2050, 0, 0, 0, 350]})
    )


def test_a_folded_samples_figures_load_when_opened(tmp_path):
    """A cohort of more than four samples folds each sample's QC; its figure is marked for the
    browser to load when the fold opens (hundreds of samples: tens of MB of figures), while a figure
    outside the folds loads with the page."""
    from epibench.report.cohort import cohort_report
    from epibench.report.qc_overview import UNFOLDED_SAMPLES

    results = tmp_path / "results"
    (results / "qc").mkdir(parents=True)
    (results / "evaluation").mkdir()
    (results / "evaluation" / "roc.png").write_bytes(b"\x89PNG roc")
    order = [f"s{i}" for i in range(1, UNFOLDED_SAMPLES + 2)]
    for sample in order:
        (results / "qc" / f"{sample}.ingest.json").write_text(
            json.dumps(_ingest_record(sample, 1000, 100, None, []))
        )
        (results / "qc" / f"{sample}.qc.png").write_bytes(b"\x89PNG " + sample.encode())
    page = cohort_report(results, "t", ["hybrid"], tmp_path / "index.html", samples=order).read_text()
    images = dict(re.findall(r"<img src='([^']+)'[^>]*?( loading='lazy')?>", page))
    folded = {name: lazy for name, lazy in images.items() if ".qc" in name}
    assert len(folded) == len(order) and all(folded.values()), images
    assert images.get("evaluation_roc.png") == "", images


def test_a_cohort_of_covariates_without_marks_says_what_the_histone_figures_show(tmp_path):
    """marks: [] with a tissue covariate: the models keep their channel input, so the histone figures
    and gbm_histone are drawn and named as for marks; the report says they are the covariate's."""
    from epibench.report.cohort import cohort_report

    results = tmp_path / "results"
    (results / "models" / "hybrid").mkdir(parents=True)
    (results / "evaluation").mkdir(parents=True)
    meta = results / "models" / "hybrid" / "model.json"
    meta.write_text(json.dumps({"marks": ["tissue=liver", "tissue=muscle"]}))
    board = results / "evaluation" / "leaderboard.tsv"
    _leaderboard(board)
    table = pd.read_csv(board, sep="\t")
    table["mode"] = table["mode"].replace("sequence + marks", "sequence + covariates")
    table.to_csv(board, sep="\t", index=False)
    page = cohort_report(results, "t", ["hybrid"], tmp_path / "report" / "index.html").read_text()
    evaluation = page[page.index("id='Evaluation'") : page.index("id='Interpretation'")]
    interpretation = page[page.index("id='Interpretation'") :]
    assert "covariate channels (tissue=liver, tissue=muscle)" in evaluation
    assert "keeps the name gbm_histone" in evaluation
    assert "show the covariate channels (tissue=liver, tissue=muscle) in their place" in interpretation
    _leaderboard(board)  # the same models with marks: no such line
    meta.write_text(json.dumps({"marks": ["H3K4me3"]}))
    page = cohort_report(results, "t", ["hybrid"], tmp_path / "report" / "index.html").read_text()
    assert "no histone marks" not in page


def test_the_headline_names_a_higher_scoring_model_of_the_neighbour_mode(tmp_path):
    """The winner is chosen among the models without the neighbour context; where one with it scores
    higher (the baseline gbm_neighbours, AUROC 0.97 against hybrid's 0.95, as in a trial's full demo),
    the first screen says so in one short sentence, not only the leaderboard's caption."""
    text = _headline_with(tmp_path, {"gbm_neighbours": {"auroc": 0.97}})
    assert "Winner: hybrid</b> (the new model)" in text
    assert (
        "(Of the models without the neighbour context; with it, gbm_neighbours scores higher: AUROC 0.970.)"
        in text
    )
    text = _headline_with(tmp_path, {"gbm_neighbours": {"auroc": 0.90}})  # lower than the winner's: not named
    assert "neighbour context" not in text


def test_the_qc_overview_has_a_column_of_mark_gaps_only_where_a_sample_has_one():
    from epibench.report.qc_overview import qc_overview

    records = {s: _ingest_record(s, 100, 0, None, []) for s in ("a", "b")}
    assert "marks_without_values" not in qc_overview(records, {"a": "", "b": ""}).columns
    with_gap = qc_overview(records, {"a": "H3K27ac: chrX", "b": ""}).set_index("sample")
    assert with_gap["marks_without_values"].tolist() == ["H3K27ac: chrX", ""]

"""End-to-end: the Snakemake workflow on the tiny test cohort, in a temporary copy of the repo.

One run of the whole DAG (module fixture), then checks of its outputs, of "nothing to do"
afterwards, and that a report-only config change reruns only the report rule.
"""

from __future__ import annotations

import json
import math
from html import unescape
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import copy_workflow, path_without_venv, run, snakemake, tiny_demo_data
from epibench.interpret.motifs import MOTIF_COLUMNS
from epibench.train_settings import RUNTIME_KEYS, from_words

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.workflow


BIGWIG_GIVEN_AS_BEDGRAPH = "resources/tiny/sample2.H3K27ac.bw"


def _as_bedgraph(root: Path, bigwig: str) -> Path:
    """The bigWig's intervals as a gzipped bedGraph with a track line, beside it; its relative path."""
    import gzip

    import pyBigWig

    path = Path(bigwig).with_suffix(".bedGraph.gz")
    with pyBigWig.open(str(root / bigwig)) as bw, gzip.open(root / path, "wt") as out:
        out.write("track type=bedGraph name=H3K27ac\n")
        for chrom in bw.chroms():
            out.writelines(
                f"{chrom}\t{start}\t{end}\t{value!r}\n" for start, end, value in bw.intervals(chrom)
            )
    return path


def _as_bigbed(root: Path, bedmethyl: str) -> Path:
    """A bedMethyl's rows as ENCODE's bigBed bedMethyl (gemBS's autoSql), by pybigtools, beside it;
    its relative path."""
    import gzip

    from test_io_methylation_bigbed import write_bigbed

    with gzip.open(root / bedmethyl, "rt") as text:
        rows = [line.rstrip("\n").split("\t") for line in text if not line.startswith("track")]
    lengths: dict[str, int] = {}
    for line in (root / "resources/tiny/genome.fa").read_text().splitlines():
        if line.startswith(">"):
            chrom = line[1:].split()[0]
            lengths[chrom] = 0
        else:
            lengths[chrom] += len(line.strip())
    path = Path(bedmethyl.removesuffix(".gz")).with_suffix(".bigBed")
    write_bigbed(root / path, rows, lengths)
    return path


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A copy of the workflow with the tiny cohort, after one complete run."""
    root = copy_workflow(tmp_path_factory.mktemp("epibench repo"))  # a space in the path on purpose
    tiny_demo_data(root, samples=3)
    # sample3 keeps its histone marks but loses its methylation calls: a sample to predict
    sheet = pd.read_csv(root / "resources/tiny/samples.tsv", sep="\t", dtype=str)
    sheet.loc[sheet["sample"] == "sample3", ["methylation", "format"]] = ""
    # covariates: a categorical and a numeric one (unknown for sample3)
    sheet["condition"] = ["normal", "tumour", "tumour"]
    sheet["purity"] = ["1.0", "0.7", ""]
    # sample2's H3K27ac as a gzipped bedGraph of the same intervals: rule mark_bigwig makes it a bigWig;
    # sample2 lacks H3K36me3 (an empty cell: that channel is missing for it)
    sheet.loc[sheet["sample"] == "sample2", "H3K27ac"] = str(_as_bedgraph(root, BIGWIG_GIVEN_AS_BEDGRAPH))
    sheet.loc[sheet["sample"] == "sample2", "H3K36me3"] = ""
    # sample1's calls as ENCODE's bigBed bedMethyl, its format detected
    bigbed = _as_bigbed(root, sheet.loc[sheet["sample"] == "sample1", "methylation"].item())
    sheet.loc[sheet["sample"] == "sample1", ["methylation", "format"]] = [str(bigbed), "auto"]
    sheet.to_csv(root / "resources/tiny/samples.tsv", sep="\t", index=False)
    # 3D genome: TADs and a loop as channels for every sample
    (root / "resources/tiny/tads.bed").write_text("chr1\t0\t40000\nchr1\t40000\t100000\n2\t10000\t90000\n")
    (root / "resources/tiny/loops.bedpe").write_text("chr1\t30000\t31000\tchr1\t70000\t71000\n")
    config = yaml.safe_load((root / "config/tiny.yaml").read_text())
    config["reference"] |= {"tads": "resources/tiny/tads.bed", "loops": "resources/tiny/loops.bedpe"}
    config["covariates"] = ["condition", "purity"]
    config["evaluate"]["leave_one_sample_out"] = True
    (root / "config/tiny.yaml").write_text(yaml.safe_dump(config))
    first = snakemake(root)
    (root / "first_run.out").write_text(first.stdout + first.stderr)
    return root


def test_the_run_ends_by_naming_the_report_page(workdir):
    """A newcomer's run says where to look: the last lines name the report it made."""
    out = (workdir / "first_run.out").read_text()
    assert "EpiBench: the report is results/tiny/report/index.html (open it in a browser)" in out
    assert (workdir / "results/tiny/report/index.html").is_file()


def test_a_run_of_one_figure_says_the_report_was_not_rewritten(workdir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(workdir, copy, symlinks=True)
    page = copy / "results/tiny/report/index.html"
    written = page.stat().st_mtime_ns
    done = snakemake(copy, "--forcerun", "figure", "--", "results/tiny/evaluation/roc.png")
    assert page.stat().st_mtime_ns == written
    said = done.stdout + done.stderr
    assert "EpiBench: the report is results/tiny/report/index.html, as an earlier run wrote it" in said
    # --touch marks the page up to date (a newer mtime) but writes nothing: no "the report is" of this run
    touched = snakemake(copy, "--touch", "--forcerun", "report")
    said = touched.stdout + touched.stderr
    assert page.stat().st_mtime_ns > written and "(open it in a browser)" not in said
    assert "--touch marked the outputs up to date and wrote nothing: the report is" in said
    assert "brings it up to date" not in said, "a touched page is up to date: no rerun to suggest"


def test_report_links_every_figure(workdir):
    report = workdir / "results/tiny/report/index.html"
    html = report.read_text()
    images = re.findall(r"<img src='([^']+)'", html)
    assert len(images) >= 8
    for image in images:
        assert (report.parent / image).stat().st_size > 1000
    for section in ("QC", "Training", "Evaluation", "Interpretation", "Motifs", "Variants"):
        assert f"id='{section}'" in html


# every model, baseline and ensemble of tests/workflow/tiny.yaml, and the ceiling
EVALUATED = {
    "cnn",
    "cnn_seed1",
    "hybrid",
    "hybrid_nbr",
    "ensemble",
    "ceiling",
    "logreg_gc_cpg",
    "gbm_histone",
    "gbm_neighbours",
}


def test_metrics_are_sane(workdir):
    metrics = pd.read_csv(workdir / "results/tiny/evaluation/metrics.tsv", sep="\t")
    overall = metrics[metrics["scope"] == "overall"].set_index(["model", "metric"])["value"]
    assert set(metrics["model"]) == EVALUATED
    for model in ("cnn", "hybrid", "ceiling"):
        assert 0.0 <= overall[(model, "auroc")] <= 1.0
        assert 0.0 <= overall[(model, "mse")] <= 1.0
    # the generator's true probabilities are the best predictor there is
    assert overall[("ceiling", "auroc")] > 0.8
    assert overall[("ceiling", "mse")] <= min(overall[("cnn", "mse")], overall[("hybrid", "mse")])
    chroms = set(metrics.loc[metrics["scope"] == "chrom", "scope_value"])
    assert chroms == {"chr3"}, "only the held-out test chromosome is evaluated"
    comparison = pd.read_csv(workdir / "results/tiny/evaluation/comparison.tsv", sep="\t")
    assert {"auroc", "mse", "epoch time (s)", "peak memory (MB)"} <= set(comparison["metric"])


def test_metrics_table_matches_sklearn_on_the_saved_predictions(workdir):
    from sklearn.metrics import average_precision_score, mean_squared_error, roc_auc_score

    metrics = pd.read_csv(workdir / "results/tiny/evaluation/metrics.tsv", sep="\t")
    overall = metrics[metrics["scope"] == "overall"].set_index(["model", "metric"])["value"]
    for model in ("cnn", "hybrid", "ensemble", "logreg_gc_cpg", "gbm_histone"):
        preds = pd.read_parquet(workdir / f"results/tiny/evaluation/predictions/{model}.parquet")
        assert overall[(model, "auroc")] == pytest.approx(
            roc_auc_score(preds["label_true"], preds["prob_pred"])
        )
        assert overall[(model, "auprc")] == pytest.approx(
            average_precision_score(preds["label_true"], preds["prob_pred"])
        )
        assert overall[(model, "mse")] == pytest.approx(
            mean_squared_error(preds["level_true"], preds["level_pred"])
        )
        per_sample = [np.corrcoef(g["level_true"], g["level_pred"])[0, 1] for _, g in preds.groupby("sample")]
        assert overall[(model, "pearson")] == pytest.approx(np.mean(per_sample))


def test_leaderboard_lists_models_baselines_costs_and_verdicts(workdir):
    board = pd.read_csv(workdir / "results/tiny/evaluation/leaderboard.tsv", sep="\t").set_index("model")
    assert set(board.index) == EVALUATED
    assert (board.loc[["cnn", "hybrid", "ensemble"], "train_seconds_per"] == "epoch").all()
    assert board.loc["ensemble", "kind"] == "ensemble"
    assert board.loc["ensemble", "train_seconds"] == pytest.approx(
        board.loc[["cnn", "cnn_seed1", "hybrid"], "train_seconds"].sum()
    )
    assert (board.loc[["logreg_gc_cpg", "gbm_histone"], "train_seconds_per"] == "fit").all()
    assert (board.loc[["cnn", "hybrid", "gbm_histone"], "peak_mem_mb"] > 50).all()
    # the verdicts are paired.tsv's, of each row against the new model of its mode
    paired = pd.read_csv(workdir / "results/tiny/evaluation/paired.tsv", sep="\t")
    said = {"better": "yes", "worse": "no", "unclear": "unclear", "no interval": "no interval"}
    compared = board[board["compared_with"].fillna("") != ""]
    assert len(paired) == 2 * len(compared) > 0
    for _, row in paired.iterrows():
        assert board.loc[row["model"], "compared_with"] == row["new"]
        assert board.loc[row["model"], f"new_beats_on_{row['metric']}"] == said[row["verdict"]]
    # each mode judged by its own new model: the neighbour context's rows by hybrid_nbr
    assert (board.loc[["hybrid_nbr", "gbm_neighbours"], "mode"] == "+ neighbours").all()
    # the tiny cohort's models read marks, covariates and TADs beside the sequence
    assert (
        board.loc[["cnn", "hybrid", "gbm_histone"], "mode"] == "sequence + marks + covariates + 3D genome"
    ).all()
    assert board.loc["gbm_neighbours", "compared_with"] == "hybrid_nbr"
    assert board.loc["cnn", "compared_with"] == "hybrid"
    # cnn_seed1 is cnn from another seed: its gap to cnn is training randomness, said in the caption
    assert board.loc["cnn_seed1", "seed_replicate_of"] == "cnn"
    assert board["seed_replicate_of"].fillna("").drop("cnn_seed1").eq("").all()
    html = unescape((workdir / "results/tiny/report/index.html").read_text())
    assert "The new model (hybrid)" in html
    assert (
        "Seed replicates (the same model trained from another seed" in html
        and "cnn_seed1 against cnn: " in html
    )
    assert "With the neighbour context (+ neighbours): The new model (hybrid_nbr)" in html


def test_ensemble_averages_its_members_and_reports_its_spread(workdir):
    evaluation = workdir / "results/tiny/evaluation"
    members = {
        m: pd.read_parquet(evaluation / f"predictions/{m}.parquet") for m in ("cnn", "cnn_seed1", "hybrid")
    }
    ensemble = pd.read_parquet(evaluation / "predictions/ensemble.parquet")
    key = ["sample", "chrom", "pos"]
    levels = pd.concat([t.set_index(key)["level_pred"].rename(m) for m, t in members.items()], axis=1)
    aligned = levels.reindex(pd.MultiIndex.from_frame(ensemble[key]))
    np.testing.assert_allclose(ensemble["level_pred"], aligned.mean(axis=1), rtol=1e-6)
    np.testing.assert_allclose(ensemble["spread"], aligned.std(axis=1, ddof=0), rtol=1e-5, atol=1e-9)
    # the seed reached training: the two CNNs differ only in it and predict differently
    assert not np.allclose(aligned["cnn"], aligned["cnn_seed1"])
    table = pd.read_csv(evaluation / "ensembles/ensemble.members.tsv", sep="\t")
    assert table["model"].tolist() == ["cnn", "cnn_seed1", "hybrid", "ensemble"]
    assert len(pd.read_csv(evaluation / "ensembles/ensemble.calibration.tsv", sep="\t")) == 10
    html = unescape((workdir / "results/tiny/report/index.html").read_text())
    assert "Ensemble 'ensemble'" in html and "ensembles_ensemble.png" in html


def test_calibration_of_every_model_and_the_ceiling(workdir):
    from sklearn.metrics import brier_score_loss

    table = pd.read_csv(workdir / "results/tiny/evaluation/calibration.tsv", sep="\t")
    assert set(table["model"]) == EVALUATED
    hybrid = table[table["model"] == "hybrid"]
    preds = pd.read_parquet(workdir / "results/tiny/evaluation/predictions/hybrid.parquet")
    assert hybrid["n"].sum() == len(preds) and len(hybrid) == 10
    assert hybrid["brier"].iloc[0] == pytest.approx(brier_score_loss(preds["label_true"], preds["prob_pred"]))
    html = (workdir / "results/tiny/report/index.html").read_text()
    assert "calibration.png" in html and "expected calibration error" in html


def test_mark_ablation_of_the_new_model(workdir):
    table = pd.read_csv(workdir / "results/tiny/evaluation/ablation/hybrid.tsv", sep="\t")
    # the histone marks and the other channels; the covariate condition's two level channels as one
    assert sorted(table["mark"]) == sorted(
        ["H3K4me3", "H3K27ac", "H3K36me3", "tad_boundary_distance", "loop_anchor_distance", "same_tad"]
        + ["condition", "purity"]
    )
    preds = pd.read_parquet(workdir / "results/tiny/evaluation/predictions/hybrid.parquet")
    assert (table["n"] == len(preds)).all()
    assert np.allclose(table["mse_full"], ((preds["level_true"] - preds["level_pred"]) ** 2).mean())
    assert np.allclose(table["mse_increase"], table["mse_hidden"] - table["mse_full"])
    assert (workdir / "results/tiny/evaluation/ablation/hybrid.png").stat().st_size > 1000


def test_learning_curve_from_scratch_and_fine_tuned(workdir):
    curve = pd.read_csv(workdir / "results/tiny/evaluation/learning_curve.tsv", sep="\t")
    assert sorted(zip(curve["mode"], curve["fraction"])) == [
        ("finetuned", 0.5),
        ("finetuned", 1.0),
        ("scratch", 0.5),
        ("scratch", 1.0),
    ]
    rows = curve.set_index(["mode", "fraction"])["n_train_rows"]
    assert rows[("scratch", 0.5)] == pytest.approx(rows[("scratch", 1.0)] / 2, rel=0.15)
    # budget: steps: one epoch of a 50 % run goes over its rows twice (batches of 64)
    steps = curve.set_index(["mode", "fraction"])["steps"]
    assert steps[("scratch", 1.0)] == math.ceil(rows[("scratch", 1.0)] / 64)
    assert steps[("scratch", 0.5)] == steps[("finetuned", 0.5)] == math.ceil(2 * rows[("scratch", 0.5)] / 64)
    assert curve.set_index(["mode", "fraction"]).loc[("scratch", 1.0), "model"] == "cnn"
    assert not (workdir / "results/tiny/models/cnn_scratch_100pct").exists(), "cnn is that run: not retrained"
    tuned = json.loads((workdir / "results/tiny/models/cnn_finetuned_50pct/model.json").read_text())
    assert tuned["pretrained"]["folder"] == "results/tiny/models/cnn"
    preds = pd.read_parquet(workdir / "results/tiny/evaluation/predictions/cnn_scratch_50pct.parquet")
    assert curve.set_index("model").loc["cnn_scratch_50pct", "mse"] == pytest.approx(
        ((preds["level_true"] - preds["level_pred"]) ** 2).mean()
    )
    board = pd.read_csv(workdir / "results/tiny/evaluation/leaderboard.tsv", sep="\t")
    assert not board["model"].str.contains("pct").any(), "learning-curve runs stay off the leaderboard"


def test_a_sample_without_methylation_calls_is_imputed_not_trained_on(workdir):
    from sklearn.metrics import roc_auc_score

    results = workdir / "results/tiny"
    imputed = pd.read_parquet(results / "imputed/sample3.parquet")
    regions = pd.read_parquet(results / "regions/cpg_regions.parquet")
    kept = regions[~regions["blacklisted"]] if "blacklisted" in regions else regions
    assert len(imputed) > 0.95 * len(kept), "every reference CpG (but those whose window crosses a split)"
    assert set(imputed["chrom"]) == {"chr1", "chr2", "chr3"} and imputed["level_pred"].between(0, 1).all()
    truth = pd.read_csv(
        workdir / "resources/tiny/truth.tsv.gz", sep="\t", dtype={"sample": str, "chrom": str}
    )
    merged = imputed.merge(truth[truth["sample"] == "sample3"], on=["chrom", "pos"])
    assert len(merged) > 0.9 * len(imputed)
    assert roc_auc_score(merged["p_meth"] >= 0.5, merged["prob_pred"]) > 0.7, "imputation follows the truth"
    import pyBigWig

    with pyBigWig.open(str(results / "imputed/sample3.bw")) as bw:
        row = imputed.iloc[len(imputed) // 2]
        assert bw.values(row["chrom"], int(row["pos"]), int(row["pos"]) + 1)[0] == pytest.approx(
            row["level_pred"], rel=1e-5
        )
    model_meta = json.loads((results / "models/hybrid/model.json").read_text())
    assert not any("sample3" in shard for shard in model_meta["shards"])
    assert "sample3" not in set(pd.read_parquet(results / "evaluation/predictions/hybrid.parquet")["sample"])
    assert not (results / "qc/sample3.ingest.json").exists()
    summary = pd.read_csv(results / "imputed/sample3.summary.tsv", sep="\t").set_index("region")
    assert summary.loc["all", "n"] == len(imputed)


def test_covariates_reach_the_model_and_stratify_the_evaluation(workdir):
    results = workdir / "results/tiny"
    meta = json.loads((results / "models/hybrid/model.json").read_text())
    assert meta["marks"] == [
        "H3K4me3",
        "H3K27ac",
        "H3K36me3",
        "tad_boundary_distance",
        "loop_anchor_distance",
        "same_tad",
        "condition=normal",
        "condition=tumour",
        "purity",
    ]
    manifest = json.loads((results / "shards/sample2/chr1/manifest.json").read_text())
    assert manifest["covariates"] == {"condition=normal": 0.0, "condition=tumour": 1.0, "purity": 0.7}
    assert (
        json.loads((results / "shards/sample3/chr1/manifest.json").read_text())["covariates"]["purity"]
        is None
    )
    table = pd.read_csv(results / "evaluation/by_covariate.tsv", sep="\t", dtype={"stratum": str})
    hybrid = table[table["model"] == "hybrid"].set_index(["covariate", "stratum"])
    assert hybrid.loc[("condition", "tumour"), "samples"] == "sample2"
    assert set(hybrid.loc["purity"].index) == {"<= 0.85", "> 0.85"}
    preds = pd.read_parquet(results / "evaluation/predictions/hybrid.parquet")
    tumour = preds[preds["sample"] == "sample2"]
    assert hybrid.loc[("condition", "tumour"), "mse"] == pytest.approx(
        ((tumour["level_true"] - tumour["level_pred"]) ** 2).mean()
    )


def test_leave_one_sample_out(workdir):
    results = workdir / "results/tiny"
    table = pd.read_csv(results / "evaluation/loso.tsv", sep="\t")
    control = "control: every sample, the same share of CpGs"
    assert sorted(zip(table["sample"], table["setting"])) == [
        ("sample1", control),
        ("sample1", "sample held out"),
        ("sample1", "within cohort"),
        ("sample2", control),
        ("sample2", "sample held out"),
        ("sample2", "within cohort"),
    ]
    # the control trains on every sample, half of the training CpGs (a held-out run keeps one of two)
    assert set(table.loc[table["setting"] == control, "model"]) == {"hybrid_loso_control"}
    control_meta = json.loads((results / "models/hybrid_loso_control/model.json").read_text())
    assert {Path(shard).parts[-2] for shard in control_meta["shards"]} == {"sample1", "sample2"}
    assert control_meta["train_fraction"] == 0.5
    meta = json.loads((results / "models/hybrid_without_sample1/model.json").read_text())
    assert meta["shards"] and all("/sample2/" in shard for shard in meta["shards"])
    held_out = pd.read_parquet(results / "evaluation/predictions/hybrid_without_sample1.parquet")
    assert set(held_out["sample"]) == {"sample1"} and set(held_out["chrom"]) == {"chr3"}
    board = pd.read_csv(results / "evaluation/leaderboard.tsv", sep="\t")
    assert not board["model"].str.contains("without").any()


def test_one_figure_reruns_alone(workdir):
    (workdir / "results/tiny/evaluation/roc.png").unlink()
    done = snakemake(workdir, "-n", "--quiet", "rules", "--", "results/tiny/evaluation/roc.png")
    jobs = re.findall(r"^(\w+)\s+\d+\s*$", done.stdout, flags=re.M)
    assert set(jobs) - {"total"} == {"figure"}, done.stdout
    snakemake(workdir, "--", "results/tiny/evaluation/roc.png")
    assert (workdir / "results/tiny/evaluation/roc.png").stat().st_size > 1000
    snakemake(workdir)  # the report picks up the new figure: the run is complete again


def test_predictions_cover_the_test_split_once(workdir):
    preds = pd.read_parquet(workdir / "results/tiny/evaluation/predictions/hybrid.parquet")
    assert set(preds["chrom"]) == {"chr3"}
    assert not preds.duplicated(["sample", "chrom", "pos"]).any()
    assert preds["level_pred"].between(0, 1).all() and preds["prob_pred"].between(0, 1).all()
    manifests = [
        json.loads(p.read_text()) for p in (workdir / "results/tiny/shards").glob("sample*/*/manifest.json")
    ]
    assert len(manifests) == 3 * 3, "one shard per sample and chromosome"
    labelled = [m for m in manifests if m["labelled"]]
    assert sorted({m["sample"] for m in labelled}) == ["sample1", "sample2"]
    assert len(preds) == sum(m["counts"]["test"] for m in labelled)


def test_canonical_tables_sit_on_reference_cpgs(workdir):
    fasta = (workdir / "results/tiny/reference/genome.fa").read_text().split(">")[1:]
    genome = {
        rec.split("\n", 1)[0].split()[0]: rec.split("\n", 1)[1].replace("\n", "").upper() for rec in fasta
    }
    for sample in ("sample1", "sample2"):
        table = pd.concat(
            pd.read_parquet(path)
            for path in (workdir / f"results/tiny/methylation/{sample}/cpgs").glob("*.parquet")
        )
        assert len(table) > 1000
        assert (table["n_total"] >= 5).all()
        on_cg = [genome[c][p : p + 2] == "CG" for c, p in zip(table["chrom"], table["pos"])]
        assert np.mean(on_cg) > 0.99


def test_ingest_is_scattered_per_sample_and_group(workdir):
    """One ingest job per sample x chromosome; the sample's QC adds up its groups' and matches one-job ingest."""
    from epibench.io.methylation import ingest
    from epibench.io.reference import Reference

    sheet = pd.read_csv(workdir / "resources/tiny/samples.tsv", sep="\t").set_index("sample")
    reference = Reference(workdir / "results/tiny/reference/genome.fa")
    for sample in ("sample1", "sample2"):
        logs = sorted(p.stem for p in (workdir / f"logs/tiny/ingest/{sample}").glob("*.log"))
        assert logs == ["chr1", "chr2", "chr3", "split", "summary"]
        qc = json.loads((workdir / f"results/tiny/qc/{sample}.ingest.json").read_text())
        assert set(qc["groups"]) == {"chr1", "chr2", "chr3"}
        assert qc["n_kept"] == sum(g["n_kept"] for g in qc["groups"].values())
        tables = {
            group: pd.read_parquet(workdir / f"results/tiny/methylation/{sample}/cpgs/{group}.parquet")
            for group in qc["groups"]
        }
        assert all(set(t["chrom"]) == {group} for group, t in tables.items())
        whole, whole_qc = ingest(workdir / sheet.loc[sample, "methylation"], reference)
        scattered = pd.concat(tables.values(), ignore_index=True)
        pd.testing.assert_frame_equal(scattered, whole, check_dtype=False)
        for key in ("n_records", "n_kept", "n_cpgs_merged", "n_off_cg_dropped", "n_below_min_coverage"):
            assert qc[key] == whole_qc[key], key
        assert qc["cg_share"] == pytest.approx(whole_qc["cg_share"])
        assert qc["mean_coverage"] == pytest.approx(whole_qc["mean_coverage"])


def test_attribution_outputs(workdir):
    kmers = pd.read_csv(workdir / "results/tiny/interpret/top_kmers.tsv", sep="\t")
    assert {"region", "kmer", "mean_attribution", "count"} <= set(kmers.columns)
    summary = json.loads((workdir / "results/tiny/interpret/summary.json").read_text())
    assert summary["n_cpgs"] > 0
    motifs = pd.read_csv(workdir / "results/tiny/interpret/motifs.tsv", sep="\t")
    assert list(motifs.columns) == list(MOTIF_COLUMNS)  # the 1-epoch tiny model need not have learnt one
    matched = motifs["best_q"].notna()  # a core too short, long or flat to match has a note instead
    assert ((motifs.loc[matched, "best_q"] >= 0) & (motifs.loc[matched, "best_q"] <= 1)).all()
    assert motifs.loc[~matched, "note"].fillna("").str.len().gt(0).all()
    assert (workdir / "results/tiny/interpret/motifs.png").stat().st_size > 0


def test_variant_effects_of_the_generated_vcf(workdir):
    """Every allele of the tiny VCF is summarised; the delta bigWig holds each CpG's largest change."""
    import pyBigWig
    import pysam

    out = workdir / "results/tiny/variants"
    effects = pd.read_csv(out / "sample1.tsv", sep="\t")
    summary = pd.read_csv(out / "sample1.summary.tsv", sep="\t")
    with pysam.VariantFile(str(workdir / "resources/tiny/variants.vcf.gz")) as vcf:
        alleles = sum(len(record.alts) for record in vcf)
    assert len(summary) == alleles and summary["variant"].is_unique
    assert (
        set(effects["status"]) <= {"kept", "created", "destroyed"}
        and (effects["distance"].abs() <= 110).all()
    )
    kept = effects.dropna(subset=["delta_level"])
    assert np.allclose(kept["delta_level"], kept["level_alt"] - kept["level_ref"], atol=1e-6)
    strongest = kept.loc[kept["delta_level"].abs().groupby([kept["chrom"], kept["cpg_pos"]]).idxmax()]
    track = pyBigWig.open(str(out / "sample1.delta.bw"))
    for row in strongest.itertuples(index=False):
        assert track.values(row.chrom, row.cpg_pos, row.cpg_pos + 2) == pytest.approx(
            [row.delta_level] * 2, abs=1e-5
        )
    track.close()
    assert (out / "sample1.png").stat().st_size > 0 and not (out / "sample2.tsv").exists()


def test_the_hub_links_the_imputed_levels_and_the_variant_deltas(workdir):
    """The datahub shows sample3's imputed levels and sample1's variant deltas beside their marks, and
    the ensemble's predictions beside its members'; the export once removed the imputed link it had
    just made (found in a trial)."""
    tracks = workdir / "results/tiny/tracks"
    hub = {t["name"]: t["url"] for t in json.loads((tracks / "hub.json").read_text())}
    for name in ("sample3.imputed", "sample1.variant_delta", "ensemble.sample1.predicted"):
        assert name in hub and (tracks / hub[name]).exists(), name
    assert os.path.samefile(
        tracks / hub["sample1.variant_delta"], workdir / "results/tiny/variants/sample1.delta.bw"
    )


def test_every_result_file_is_catalogued_under_the_rule_that_wrote_it(workdir):
    """epibench.outputs knows every file of the run, and names the rule Snakemake recorded for it."""
    from base64 import urlsafe_b64decode

    from epibench.outputs import entries_of

    results = workdir / "results/tiny"
    files = [p.relative_to(results).as_posix() for p in results.rglob("*") if p.is_file()]
    assert len(files) > 100
    unknown = [f for f in files if not entries_of(f)]
    assert not unknown, f"files the output catalogue does not list: {unknown}"
    # Snakemake's record of each output: the file name is the path, base64 (split into folders when long)
    metadata = workdir / ".snakemake/metadata"
    writers = {}
    for record in metadata.rglob("*"):
        if record.is_file():
            path = urlsafe_b64decode("".join(record.relative_to(metadata).parts)).decode()
            writers[path] = json.loads(record.read_text())["rule"]
    checked = 0
    for path, rule in writers.items():
        if path.startswith("results/tiny/"):
            assert rule in {o.stage for o in entries_of(path[len("results/tiny/") :])}, path
            checked += 1
    assert checked > 50


def test_rerun_has_nothing_to_do(workdir):
    done = snakemake(workdir, "-n")
    assert "Nothing to be done" in done.stdout + done.stderr


def test_a_sample_added_or_removed_reruns_the_cohort_not_the_other_samples(workdir, tmp_path):
    """In a copy of the finished run (mtimes and Snakemake's records kept): a fourth sample added
    is ingested, sharded and has its names listed alone, and the model retrains on it; removed
    again, the model retrains without it; neither time is another sample's job rerun."""
    copy = tmp_path / "copy"
    shutil.copytree(workdir, copy, symlinks=True)
    sheet_path = copy / "resources/tiny/samples.tsv"
    sheet = pd.read_csv(sheet_path, sep="\t", dtype=str, keep_default_na=False)
    sample4 = sheet[sheet["sample"] == "sample1"].assign(sample="sample4")
    for column in ["methylation", "H3K4me3", "H3K27ac", "H3K36me3"]:
        source = sample4[column].item()
        renamed = source.replace("sample1", "sample4")
        shutil.copy(copy / source, copy / renamed)
        sample4[column] = renamed
    results = copy / "results/tiny"
    kept = [results / "methylation/sample1/calls", results / "methylation/sample2/cpgs/chr1.parquet"]
    kept += [results / "shards/sample1/chr2", results / "shards/sample2/chr3"]
    kept += [results / "qc/sample1/chrom_names.tsv"]
    kept_times = [path.stat().st_mtime_ns for path in kept]
    model = results / "models/cnn/model.safetensors"

    def trained_samples() -> set[str]:
        meta = json.loads((results / "models/cnn/model.json").read_text())
        return {Path(shard).parent.name for shard in meta["shards"]}

    for edited, samples in (
        (pd.concat([sheet, sample4]), {"sample1", "sample2", "sample4"}),
        (sheet, {"sample1", "sample2"}),
    ):
        edited.to_csv(sheet_path, sep="\t", index=False)
        trained_before = model.stat().st_mtime_ns
        snakemake(
            copy, "--", "results/tiny/models/cnn/model.safetensors", "results/tiny/qc/sample_chrom_names.tsv"
        )
        assert model.stat().st_mtime_ns > trained_before and trained_samples() == samples
        assert [path.stat().st_mtime_ns for path in kept] == kept_times
    assert (results / "shards/sample4/chr1").is_dir()
    assert "sample4.methylation" not in set(
        pd.read_csv(results / "qc/sample_chrom_names.tsv", sep="\t")["input"]
    )


def test_a_mark_dropped_reruns_the_shards_not_the_ingest(workdir, tmp_path):
    """In a copy of the finished run: a mark taken out of the config changes every sample's shards
    (one channel fewer) but none of its ingest, which never reads marks."""
    copy = tmp_path / "copy"
    shutil.copytree(workdir, copy, symlinks=True)
    config_path = copy / "config/tiny.yaml"
    config = yaml.safe_load(config_path.read_text())
    config["marks"] = [mark for mark in config["marks"] if mark != "H3K36me3"]
    config_path.write_text(yaml.safe_dump(config))
    results = copy / "results/tiny"
    ingest = [results / "methylation/sample1/calls", results / "methylation/sample1/cpgs/chr1.parquet"]
    ingest += [results / "qc/sample1.ingest.json", results / "qc/sample2/read.json"]
    ingest_times = [path.stat().st_mtime_ns for path in ingest]
    shard = results / "shards/sample1/chr1"
    snakemake(copy, "--", str(shard.relative_to(copy)))
    assert [path.stat().st_mtime_ns for path in ingest] == ingest_times
    manifest = json.loads((shard / "manifest.json").read_text())
    assert "H3K36me3" not in json.dumps(manifest) and "H3K27ac" in json.dumps(manifest)


def _jobs_after_edit(workdir: Path, edit) -> set[str]:
    """The rules a dry run would run after ``edit(config)`` of the finished tiny cohort's config (restored after)."""
    config_path = workdir / "config/tiny.yaml"
    original = config_path.read_text()
    config = yaml.safe_load(original)
    edit(config)
    config_path.write_text(yaml.safe_dump(config))
    try:
        done = snakemake(workdir, "-n", "--quiet", "rules")
    finally:
        config_path.write_text(original)
    return set(re.findall(r"^(\w+)\s+\d+\s*$", done.stdout, flags=re.M)) - {"all", "total"}


def test_report_setting_reruns_only_the_report(workdir):
    assert _jobs_after_edit(workdir, lambda config: config["report"].update(title="a new title")) == {
        "report"
    }


def test_a_models_own_train_setting_trains_that_model_alone_with_it(workdir):
    """models.<name>.epochs (any of config.TRAINING_KEYS) is that model's train.epochs: its training
    alone reruns, with the value in its --train words; the other models keep train.epochs."""
    config_path = workdir / "config/tiny.yaml"
    original = config_path.read_text()
    config = yaml.safe_load(original)
    shared = config["train"]["epochs"]
    config["models"]["hybrid"]["epochs"] = shared + 2
    config_path.write_text(yaml.safe_dump(config))
    try:
        done = snakemake(
            workdir,
            "-n",
            "-p",
            "--forcerun",
            "train",
            "--",
            "results/tiny/models/hybrid/model.safetensors",
            "results/tiny/models/cnn/model.safetensors",
        )
    finally:
        config_path.write_text(original)
    epochs = {
        re.search(r"--out-dir \S*models/(\S+)", line).group(1): _train_words(line)["epochs"]
        for line in re.findall(r"epibench train .*", done.stdout)
    }
    assert epochs == {"hybrid": shared + 2, "cnn": shared}


def _train_words(command: str) -> dict:
    """The settings of an ``epibench train`` command's --train words."""
    words = shlex.split(command.split(" --train ", 1)[1])
    return from_words(words[: next(i for i, word in enumerate(words) if word.startswith("--"))])


def test_a_runtime_train_setting_retrains_nothing_and_epochs_retrains(workdir):
    """Editing train settings that leave the model as it is (epibench.train_settings.RUNTIME_KEYS)
    leaves nothing to do; train.epochs (or gpus: the effective batch) still retrains every model, and
    what reads them."""

    runtime = {
        "log_every": 7,
        "num_workers": 1,
        "checkpoint_every": 3,
        "compile": False,
        "compile_mode": "max-autotune",
        "device": "cpu",
    }
    assert set(runtime) == set(RUNTIME_KEYS)
    assert _jobs_after_edit(workdir, lambda config: config["train"].update(runtime)) == set()
    epochs = _jobs_after_edit(
        workdir, lambda config: config["train"].update(epochs=config["train"]["epochs"] + 1)
    )
    assert {"train", "predict", "metrics", "report"} <= epochs
    # more GPUs, a larger effective batch: another model
    assert "train" in _jobs_after_edit(workdir, lambda config: config["train"].update(gpus=2))


def test_a_retrain_says_which_train_setting_changed(workdir):
    """The rerun reason names the changed setting as a KEY=VALUE word, not a JSON blob."""
    config_path = workdir / "config/tiny.yaml"
    original = config_path.read_text()
    config = yaml.safe_load(original)
    epochs = config["train"]["epochs"]
    config["train"]["epochs"] = epochs + 1
    config_path.write_text(yaml.safe_dump(config))
    try:
        done = snakemake(workdir, "-n", "--", "results/tiny/models/cnn/model.safetensors")
    finally:
        config_path.write_text(original)
    said = done.stdout + done.stderr
    reason = next(line for line in said.splitlines() if "Params have changed" in line)
    assert f"'epochs={epochs}'" in reason and f"'epochs={epochs + 1}'" in reason
    assert "{" not in reason


def test_an_edit_reruns_only_the_jobs_that_read_the_edited_key(workdir):
    """Rules pass the keys they read, not whole config sections: leave-one-sample-out off changes only
    the report's list of tables; a learning-curve fraction dropped, only the curve (and the report)."""

    def loso_off(config):
        config["evaluate"]["leave_one_sample_out"] = False

    def drop_fraction(config):
        config["learning_curve"]["fractions"] = [1.0]

    assert _jobs_after_edit(workdir, loso_off) == {"report"}
    assert _jobs_after_edit(workdir, drop_fraction) == {"learning_curve", "report"}
    assert _jobs_after_edit(workdir, lambda c: (loso_off(c), drop_fraction(c))) == {
        "learning_curve",
        "report",
    }
    # a key the evaluation tables do read still reruns them, and what follows from them
    n_boot = _jobs_after_edit(workdir, lambda config: config["evaluate"].update(n_boot=21))
    assert {"metrics", "ablate", "loso", "learning_curve", "by_covariate", "ensemble_report"} <= n_boot
    assert not n_boot & {"train", "predict", "baseline", "attribute"}


def test_bad_config_names_the_key(workdir):
    config_path = workdir / "config/bad.yaml"
    config = yaml.safe_load((workdir / "config/tiny.yaml").read_text())
    config["shards"]["windwo"] = 500
    config_path.write_text(yaml.safe_dump(config))
    done = run(
        [sys.executable, "-m", "snakemake", "-n", "--configfile", "config/bad.yaml"], workdir, check=False
    )
    assert done.returncode != 0
    assert "windwo" in done.stdout + done.stderr


def test_another_cohorts_trained_model_is_a_pretrained_start(workdir):
    """models.<name>.pretrained naming another cohort's trained model, as the config schema's own example
    does (results/<other cohort>/models/hybrid): the plan reads its files. The rule that stops a target
    of another cohort took them for targets and stopped the run (found in a review). A model not
    trained yet is named by its key, with the run that trains it."""
    config = yaml.safe_load((workdir / "config/tiny.yaml").read_text())
    config["cohort"] = "second"
    config["models"]["cnn"]["pretrained"] = "results/tiny/models/cnn"
    (workdir / "config/second.yaml").write_text(yaml.safe_dump(config))
    args = [sys.executable, "-m", "snakemake", "-n", "--configfile", "config/second.yaml"]
    done = run([*args, "--", "results/second/models/cnn/model.safetensors"], workdir)
    assert "rule other_cohort" not in done.stdout and "rule train:" in done.stdout, done.stdout[-3000:]
    assert "results/tiny/models/cnn/model.safetensors" in done.stdout  # an input of the train job
    config["models"]["cnn"]["pretrained"] = "results/absent/models/cnn"
    (workdir / "config/second.yaml").write_text(yaml.safe_dump(config))
    done = run([*args, "--", "results/second/models/cnn/model.safetensors"], workdir, check=False)
    assert done.returncode != 0
    said = done.stdout + done.stderr
    assert (
        "models.cnn.pretrained 'results/absent/models/cnn' is a model of cohort 'absent', not trained" in said
    )


def test_missing_sample_file_is_named(workdir):
    sheet = pd.read_csv(workdir / "resources/tiny/samples.tsv", sep="\t")
    sheet.loc[0, "H3K27ac"] = "resources/tiny/no_such.bw"
    sheet.to_csv(workdir / "config/missing.samples.tsv", sep="\t", index=False)
    config = yaml.safe_load((workdir / "config/tiny.yaml").read_text())
    config["samples"] = "config/missing.samples.tsv"
    (workdir / "config/missing.yaml").write_text(yaml.safe_dump(config))
    done = run(
        [sys.executable, "-m", "snakemake", "-n", "--configfile", "config/missing.yaml"], workdir, check=False
    )
    assert done.returncode != 0
    assert "no_such.bw" in done.stdout + done.stderr and "H3K27ac" in done.stdout + done.stderr


def test_sample_chrom_names_cover_every_sample_file(workdir):
    table = pd.read_csv(workdir / "results/tiny/qc/sample_chrom_names.tsv", sep="\t")
    labels = set(table["input"])
    assert "sample3.methylation" not in labels and "sample3.H3K4me3" in labels
    for sample in ("sample1", "sample2"):
        assert {
            f"{sample}.methylation",
            f"{sample}.H3K4me3",
            f"{sample}.H3K27ac",
        } <= labels
    assert "sample1.H3K36me3" in labels and "sample2.H3K36me3" not in labels, "sample2 lacks it"
    assert set(table["action"]) == {"kept"}
    assert set(table["name_in_reference"]) == {"chr1", "chr2", "chr3"}


def _chromium() -> str:
    """The headless browser (`make test` installs Debian's chromium); skipped off CI when absent."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed: `make setup` installs it (apt-get install chromium)")
    pytest.skip("no chromium on this machine")


def _headless(chromium: str, *args: str) -> subprocess.CompletedProcess:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--virtual-time-budget=10000",
    ]
    return subprocess.run([chromium, *flags, *args], capture_output=True, text=True, timeout=120)


def test_report_renders_every_figure_in_headless_chromium(workdir, tmp_path):
    from matplotlib.image import imread

    chromium = _chromium()
    page = (workdir / "results/tiny/report/index.html").resolve().as_uri()
    dom = _headless(chromium, "--dump-dom", page).stdout
    assert 'data-broken-images="0"' in dom, "every <img> of the report loaded and decoded"
    assert dom.count("<img") >= 8
    shot = tmp_path / "report.png"
    _headless(chromium, "--window-size=1200,3000", f"--screenshot={shot}", page)
    pixels = imread(shot)[..., :3]
    assert pixels.shape[0] >= 1000
    assert pixels.std() > 0.05, "the screenshot is not blank"
    assert (pixels.mean(axis=2) < 0.5).mean() > 0.01, "some dark pixels: text and plot lines were drawn"
    # the first screen of a laptop window: the winner, its margin, the held-out data, the comparison figure
    first = _headless(chromium, "--window-size=1280,800", "--dump-dom", page).stdout
    assert 'data-headline-on-first-screen="yes"' in first
    headline = unescape(re.search(r"<section id=\"headline\">(.*?)</section>", first, re.S).group(1))
    assert re.search(r"(Winner|Highest test AUROC): [\w.-]+</b> \((the|not the) new model\)", headline)
    assert "Held-out test data:" in headline and "chr3" in headline
    assert "comparison.png" in headline


def test_snakemake_report_has_every_category_with_captions(workdir, tmp_path):
    report = tmp_path / "report.zip"
    snakemake(workdir, "--report", str(report))
    import zipfile

    with zipfile.ZipFile(report) as archive:
        names = archive.namelist()
        text = "".join(
            archive.read(n).decode("utf-8", "replace") for n in names if n.endswith((".html", ".js"))
        )
    for category in ("QC", "Training", "Evaluation", "Interpretation", "Motifs", "Variants", "Imputation"):
        assert category in text, category
    for figure in ("leaderboard.tsv", "roc.png", "cpg_explanations.png", "splits.png"):
        assert any(n.endswith(figure) for n in names), figure
    assert (
        "the 95 % interval of the difference excludes 0" in text
    ), "the leaderboard's caption is in the report"
    assert "ROC curves on the held-out test data" in text, "a figure rule's caption chosen by its wildcard"
    assert "Per-CpG explanations" in text and "loss of model hybrid" in text


def test_several_nodes_run_training_under_srun_and_torchrun(workdir):
    """The rule's launcher for 2 nodes of 2 GPUs (one node: tests/test_train_launch.py)."""
    config = yaml.safe_load((workdir / "config/tiny.yaml").read_text())
    config["train"].update(gpus=2, nodes=2)
    (workdir / "config/tiny_gpus.yaml").write_text(yaml.safe_dump(config))
    done = run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--cores",
            "2",
            "--configfile",
            "config/tiny_gpus.yaml",
            "-n",
            "-p",
        ]
        + ["--forcerun", "train", "--", "results/tiny/models/hybrid/model.json"],
        workdir,
    )
    command = next(line for line in done.stdout.splitlines() if "epibench train" in line)
    assert "srun --overlap --nodes 2 --ntasks-per-node 1 torchrun --nnodes 2 --nproc-per-node 2 " in command
    settings = _train_words(command)
    assert not {"gpus", "nodes"} & set(settings), "they go to the launcher, not to training"
    assert settings["processes"] == 4, "which training checks against the processes that run"
    # SLURM's cores per node: each of the node's 2 processes with its threads and loader workers
    threads, workers = config["train"].get("threads", 2), config["train"]["num_workers"]  # 2: the schema's
    resources = next(line for line in done.stdout.splitlines() if "resources:" in line and "gpu=" in line)
    assert f"cpus_per_task={2 * (threads + workers)}," in resources


def test_an_epibench_on_path_comes_first(workdir, tmp_path):
    """An epibench already on PATH (an activated environment, a rule's own conda environment) runs
    the rules, not the one beside Snakemake's Python."""
    fake = tmp_path / "env bin"
    fake.mkdir()
    marker = tmp_path / "ran"
    (fake / "epibench").write_text(f"#!/bin/sh\necho \"$@\" > '{marker}'\nexit 3\n")
    (fake / "epibench").chmod(0o755)
    other = tmp_path / "copy"  # the finished cohort's inputs, none of its results
    shutil.copytree(workdir, other, ignore=shutil.ignore_patterns("results", "logs", ".snakemake"))
    done = run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--cores",
            "1",
            "results/tiny/reference/chrom_sizes.tsv",
            "--configfile",
            "config/tiny.yaml",
        ],  # targets before --configfile
        other,
        check=False,
        path=f"{fake}{os.pathsep}{path_without_venv()}",
    )
    assert done.returncode != 0
    assert marker.read_text().startswith("reference"), "the epibench first on PATH ran the rule"


def test_a_bedgraph_mark_is_made_a_bigwig_of_the_same_signal_once(workdir):
    """sample2's H3K27ac was given as a bedGraph of its bigWig's intervals: rule mark_bigwig wrote the
    bigWig the shards read, on the reference's sequences, with those very intervals."""
    import pyBigWig

    converted = workdir / "results/tiny/marks/sample2/H3K27ac.bw"
    with (
        pyBigWig.open(str(workdir / BIGWIG_GIVEN_AS_BEDGRAPH)) as given,
        pyBigWig.open(str(converted)) as made,
    ):
        assert made.chroms() == given.chroms()
        for chrom in given.chroms():
            assert made.intervals(chrom) == given.intervals(chrom)
    assert not (workdir / "results/tiny/marks/sample1").exists(), "a bigWig mark is used as it is"
    # sample2's shards read the converted file, sample1's its own bigWig
    done = snakemake(workdir, "-n", "-p", "--forcerun", "shards", "--until", "shards")
    commands = re.findall(r"epibench shards --sample .*", done.stdout)
    assert len(commands) == 9, done.stdout[-3000:]  # 3 samples x 3 groups
    for command in commands:
        sample = re.search(r"--sample (\S+)", command).group(1)
        expected = {
            "sample2": ["H3K27ac=results/tiny/marks/sample2/H3K27ac.bw", "H3K36me3="],
            "sample1": [
                "H3K27ac=resources/tiny/sample1.H3K27ac.bw",
                "H3K36me3=resources/tiny/sample1.H3K36me3.bw",
            ],
        }.get(sample, [])
        assert all(f"--mark {mark} " in command for mark in expected), command


def test_a_mark_a_sample_lacks_is_a_missing_channel(workdir):
    """sample2's empty H3K36me3 cell: its shards hold that channel all missing, the others observed;
    sample1's H3K36me3 is observed."""
    for sample, lacking in (("sample2", True), ("sample1", False)):
        for shard in sorted((workdir / "results/tiny/shards" / sample).iterdir()):
            manifest = json.loads((shard / "manifest.json").read_text())
            hist = np.load(shard / "hist.npy")
            channel = hist[:, manifest["marks"].index("H3K36me3")]
            assert np.isnan(channel).all() == lacking, shard
            assert not np.isnan(hist[:, manifest["marks"].index("H3K4me3")]).all(), shard


def test_a_narrowpeak_mark_becomes_signal_in_peaks_and_zero_between(workdir):
    """A config whose sample1 H3K4me3 is a narrowPeak: the workflow's mark_bigwig job on it alone."""
    import pyBigWig

    peaks = workdir / "resources/tiny/sample1.H3K4me3.narrowPeak"
    peaks.write_text(
        "chr1\t1000\t1500\tp1\t500\t.\t7.5\t10\t8\t250\n2\t2000\t2600\tp2\t300\t.\t3.25\t5\t4\t300\n"
    )
    sheet = pd.read_csv(workdir / "resources/tiny/samples.tsv", sep="\t", dtype=str, keep_default_na=False)
    sheet.loc[sheet["sample"] == "sample1", "H3K4me3"] = str(peaks.relative_to(workdir))
    sheet.to_csv(workdir / "config/peaks.samples.tsv", sep="\t", index=False)
    config = yaml.safe_load((workdir / "config/tiny.yaml").read_text())
    config["samples"] = "config/peaks.samples.tsv"
    (workdir / "config/peaks.yaml").write_text(yaml.safe_dump(config))
    target = "results/tiny/marks/sample1/H3K4me3.bw"
    snakemake(workdir, "--configfile", "config/peaks.yaml", "--", target)
    with pyBigWig.open(str(workdir / target)) as bw:
        assert bw.values("chr1", 990, 1510) == [0.0] * 10 + [7.5] * 500 + [0.0] * 10
        assert bw.values("chr2", 1990, 2610) == [0.0] * 10 + [3.25] * 600 + [0.0] * 10  # "2" is chr2
        assert all(np.isnan(bw.values("chr3", 0, 100))), "no peak on chr3: missing, not 0"
    log = (workdir / "logs/tiny/marks/sample1/H3K4me3.log").read_text()
    assert "narrowpeak" in log and "renamed" in log


def test_a_bam_mark_becomes_its_coverage_per_million(workdir):
    """A config whose sample1 H3K4me3 is a BAM of three reads (on "1", the reference's chr1) and
    mark_reads fragments of 100 bp in 25-bp bins: the workflow's mark_bigwig job passes those settings."""
    import pysam
    import pyBigWig

    bam = workdir / "resources/tiny/sample1.H3K4me3.bam"
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": "1", "LN": 100_000}]}
    with pysam.AlignmentFile(str(bam), "wb", header=header) as out:
        for start, flag in ((1000, 0), (1050, 16), (5000, 0)):  # + at 1000, - ending 1086, + at 5000
            read = pysam.AlignedSegment(out.header)
            read.query_name, read.reference_id, read.reference_start = f"r{start}", 0, start
            read.cigarstring, read.query_sequence, read.mapping_quality, read.flag = "36M", "A" * 36, 40, flag
            out.write(read)
    sheet = pd.read_csv(workdir / "resources/tiny/samples.tsv", sep="\t", dtype=str, keep_default_na=False)
    sheet.loc[sheet["sample"] == "sample1", "H3K4me3"] = str(bam.relative_to(workdir))
    sheet.to_csv(workdir / "config/reads.samples.tsv", sep="\t", index=False)
    config = yaml.safe_load((workdir / "config/tiny.yaml").read_text())
    config |= {"samples": "config/reads.samples.tsv", "mark_reads": {"fragment_bp": 100, "bin_bp": 25}}
    (workdir / "config/reads.yaml").write_text(yaml.safe_dump(config))
    target = "results/tiny/marks/sample1/H3K4me3.bw"
    snakemake(workdir, "--configfile", "config/reads.yaml", "--", target)
    per_read = 1e6 / 3
    with pyBigWig.open(str(workdir / target)) as bw:
        # fragments 1000-1100, 986-1086 and 5000-5100; 25-bp bins from 975
        got = np.asarray(bw.values("chr1", 975, 1125))
        assert got.tolist() == pytest.approx(
            [per_read * 14 / 25] * 25 + [2 * per_read] * 75 + [per_read * 36 / 25] * 25 + [0] * 25
        )
        assert bw.values("chr1", 5000, 5100) == pytest.approx([per_read] * 100)
        assert bw.values("chr2", 0, 10) == [0.0] * 10
    log = (workdir / "logs/tiny/marks/sample1/H3K4me3.log").read_text()
    assert "a reads track" in log and "renamed" in log

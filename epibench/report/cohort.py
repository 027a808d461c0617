"""Assemble the cohort summary page from the standard results layout (results/<cohort>/...)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from epibench.evaluate.leaderboard import verdict
from epibench.report.headline import headline_html
from epibench.report.summary import Item, Note, render

NO_MARKS = "no histone marks: the cohort has none (config marks: []), so the models read the sequence and region class alone"


def _existing(items: list[Item | Note]) -> list[Item | Note]:
    return [item for item in items if isinstance(item, Note) or Path(item.path).exists()]


def _without_marks(results: Path, model: str) -> bool:
    """Whether ``model`` was trained with no input channel beside the sequence (its model.json lists no marks)."""
    meta = results / "models" / model / "model.json"
    return meta.exists() and json.loads(meta.read_text())["marks"] == []


def _leaderboard_caption(path: Path, new: str) -> str:
    """How to read the leaderboard, and its verdict on the new model (when it has been computed)."""
    caption = (
        "every model and baseline on the test data: AUROC and MSE with 95 % intervals, training cost and peak "
        "memory, and whether the new model beats each with non-overlapping intervals"
    )
    if path.exists():
        table = pd.read_csv(
            path, sep="\t", dtype={"model": str}, keep_default_na=False, na_values=["nan", "NaN"]
        )
        caption += ". " + verdict(table, new)
    return caption


def cohort_report(
    results: str | Path,
    title: str,
    models: list[str],
    out_html: str | Path,
    max_rows: int = 30,
    new: str = "hybrid",
    original: str = "cnn",
) -> Path:
    """Write the summary page for the run under ``results``: the result at a glance (winner, margin
    over ``original``, held-out data, the comparison figure), then sections QC, Training,
    Evaluation, Interpretation."""
    results = Path(results)
    qc = [
        Item(
            path,
            f"ingest QC of sample {path.name.split('.')[0]}: records read, CpGs kept, share of calls on a reference CG, coverage",
        )
        for path in sorted((results / "qc").glob("*.ingest.json"))
    ]
    for path in sorted((results / "qc").glob("*.qc.png")):
        sample = path.name[: -len(".qc.png")]
        qc += [
            Item(path, f"sample {sample}: read coverage and methylation level per region class"),
            Item(
                path.with_suffix("").with_suffix(".tsv"),
                f"sample {sample}: coverage and methylation summary per region class",
            ),
        ]
    qc.append(
        Item(
            results / "reference" / "assembly.json",
            "the reference's sequence lengths against known assemblies (hg18, hg19, hg38, T2T-CHM13, mm9, mm10, mm39, ...): the assembly it matches, or the nearest and how it differs",
        )
    )
    qc.append(
        Item(
            results / "qc" / "cg_check.tsv",
            "CG check of every sample before ingest: share of calls on a reference CpG as read (the accepted fit: shift 0), moved one base either way and with - strand calls on the C; a sample fits only as read",
        )
    )
    qc.append(
        Item(
            results / "qc" / "input_lengths.tsv",
            "histone bigWig sequences whose header length differs from the reference's (empty: every length agrees)",
        )
    )
    qc.append(
        Item(
            results / "shards" / "plan" / "splits.png",
            "held-out data: every sequence coloured by the split its bases belong to (train, validation, test)",
        )
    )
    qc.append(
        Item(
            results / "regions" / "summary.tsv",
            "CpGs of the reference per region class (promoter > enhancer > gene body > intergenic)",
        )
    )
    qc.append(
        Item(
            results / "qc" / "sample_chrom_names.tsv",
            "chromosome names of every methylation and histone file matched to the reference: kept, renamed or dropped (a dropped name loses that data)",
        )
    )
    qc.append(
        Item(
            results / "reference" / "chrom_names.tsv",
            "chromosome names of the annotation files matched to the reference: kept, renamed (chr1/1, chrM/MT) or dropped, and why",
        )
    )
    training = []
    for model in models:
        training += [
            Item(
                results / "models" / model / "loss.png",
                f"training and validation loss per epoch of model '{model}'",
            ),
            Item(
                results / "models" / model / "metrics.csv",
                f"per-epoch training log of model '{model}' (loss, validation AUROC, learning rate, speed)",
            ),
        ]
    evaluation_dir = results / "evaluation"
    evaluation = [
        Item(
            evaluation_dir / "leaderboard.tsv", _leaderboard_caption(evaluation_dir / "leaderboard.tsv", new)
        ),
        Item(
            evaluation_dir / "comparison.tsv",
            "the seed's comparison: original CNN vs new hybrid model on the held-out test chromosomes",
        ),
        Item(evaluation_dir / "comparison.png", "the comparison table as bars"),
        Item(evaluation_dir / "roc.png", "ROC curves on the test chromosomes, one line per model"),
        Item(
            evaluation_dir / "pr.png",
            "precision-recall curves on the test chromosomes, one line per model (AUPRC matters: most CpGs are methylated)",
        ),
        Item(
            evaluation_dir / "per_region.png", "AUROC and MSE per region class with 95 % bootstrap intervals"
        ),
        Item(
            evaluation_dir / "pred_vs_obs.png", "predicted vs observed methylation level (density), per model"
        ),
        Item(evaluation_dir / "metrics.tsv", "all metrics in long form with 95 % bootstrap intervals"),
    ]
    evaluation += [
        Item(
            evaluation_dir / "by_covariate.png",
            "AUROC and MSE of every model per stratum of the sample covariates (categorical levels; numeric covariates split at the median), 95 % intervals",
        ),
        Item(
            evaluation_dir / "by_covariate.tsv",
            "metrics per model and covariate stratum, with the samples in each",
        ),
        Item(
            evaluation_dir / "loso.png",
            "leave-one-sample-out: each sample scored by the new model trained without it, beside the model trained on every sample (95 % intervals)",
        ),
        Item(
            evaluation_dir / "loso.tsv",
            "leave-one-sample-out: AUROC and MSE per held-out sample, within cohort and held out",
        ),
        Item(
            evaluation_dir / "learning_curve.png",
            "learning curve: test AUROC and MSE against the share of training CpGs used, from scratch and fine-tuned from a pretrained model (95 % bootstrap bands)",
        ),
        Item(
            evaluation_dir / "learning_curve.tsv",
            "learning curve: one row per run (start, share of training CpGs, rows trained on, test AUROC and MSE with 95 % intervals)",
        ),
    ]
    without_marks = _without_marks(results, new)
    if without_marks:
        evaluation.append(
            Note(
                f"{NO_MARKS}: no mark ablation, and the tree baseline is gbm_region (region class, CpG density and GC; no histone features)."
            )
        )
    for path in sorted((evaluation_dir / "ablation").glob("*.tsv")):
        evaluation += [
            Item(
                path.with_suffix(".png"),
                f"mark ablation of model '{path.stem}': AUROC drop and MSE increase on the test data with each mark hidden (paired 95 % bootstrap intervals)",
            ),
            Item(
                path,
                f"mark ablation of model '{path.stem}': metrics with all marks and with each mark hidden, and the differences",
            ),
        ]
    for path in sorted((evaluation_dir / "ensembles").glob("*.members.tsv")):
        name = path.name[: -len(".members.tsv")]
        evaluation += [
            Item(
                path.with_name(f"{name}.png"),
                f"ensemble '{name}': AUROC and MSE of the ensemble and its members, and the mean absolute error of CpGs binned by the members' spread (a useful uncertainty rises from bin to bin)",
            ),
            Item(path, f"ensemble '{name}' against its members on the test data (95 % bootstrap intervals)"),
            Item(
                path.with_name(f"{name}.calibration.tsv"),
                f"ensemble '{name}': error by spread bin (SD of the members' predictions), with Spearman's rho between spread and absolute error",
            ),
        ]
    interpret_dir = results / "interpret"
    interpretation = [
        Item(
            interpret_dir / "sequence_attribution.png",
            "integrated-gradients attribution by position around the CpG, per region class (baseline: all-N sequence)",
        ),
        *(
            [Note(f"{NO_MARKS}: no histone attribution and no cross-modal attention to show.")]
            if without_marks
            else [
                Item(
                    interpret_dir / "histone_attribution.png",
                    "attribution per histone mark and bin, per region class (baseline: no signal)",
                ),
                Item(
                    interpret_dir / "attention.png",
                    "cross-modal attention from sequence tokens to histone bins, per region class",
                ),
            ]
        ),
        Item(
            interpret_dir / "cpg_explanations.png",
            "per-CpG explanations of the 3 most and 3 least methylated attributed test CpGs: attribution logo around the CpG and histone attribution per mark (positions 1-based)",
        ),
        Item(
            interpret_dir / "top_kmers.tsv",
            "k-mers (strand-merged) with the largest mean attribution, per region class",
        ),
        Item(
            interpret_dir / "summary.json", "attribution settings and integrated-gradients convergence error"
        ),
    ]
    imputation = []
    for path in sorted((results / "imputed").glob("*.summary.tsv")):
        sample = path.name[: -len(".summary.tsv")]
        imputation += [
            Item(
                path.with_name(f"{sample}.png"),
                f"sample {sample} (histone marks, no methylation calls): predicted methylation level of every CpG, per region class",
            ),
            Item(
                path,
                f"sample {sample}: imputed CpGs per region class, mean and median predicted level, share predicted methylated",
            ),
        ]
    sections = {
        "QC": _existing(qc),
        "Training": _existing(training),
        "Evaluation": _existing(evaluation),
        "Interpretation": _existing(interpretation),
    }
    if _existing(imputation):  # only cohorts with samples to predict
        sections["Imputation"] = _existing(imputation)
    headline_inputs = (
        evaluation_dir / "leaderboard.tsv",
        evaluation_dir / "metrics.tsv",
        results / "shards" / "plan" / "splits.bed",
    )
    headline = (
        headline_html(*headline_inputs, new, original) if all(p.exists() for p in headline_inputs) else ""
    )
    figure = Item(
        evaluation_dir / "comparison.png",
        f"the seed's comparison: original ({original}) vs new ({new}) on the held-out test data",
    )
    return render(
        title, sections, out_html, max_rows=max_rows, headline=headline, headline_items=_existing([figure])
    )

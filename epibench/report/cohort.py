"""Assemble the cohort summary page from the standard results layout (results/<cohort>/...)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from epibench.evaluate.block_choice import choice_text
from epibench.evaluate.leaderboard import verdict_with_seed_note
from epibench.evaluate.writers import read_metrics, read_model_table
from epibench.io.chrom_aliases import ALIAS_TABLE, read_alias_table
from epibench.outputs import CATALOGUE
from epibench.report.headline import headline_html
from epibench.report.metrics_overview import metrics_overview
from epibench.report.qc_overview import qc_by_sample
from epibench.report.summary import Fold, Item, Note, Overview, render

NO_MARKS = "no histone marks: the cohort has none (config marks: []), so the models read the sequence and region class alone"


STANDIN = (
    "the reference is a stand-in sequence (epibench standin-genome: random bases with a CG at each called "
    "CpG, reference/assembly.json): "
)


def _standin(results: Path) -> bool:
    """Whether the cohort's reference is a stand-in sequence (its assembly.json says so)."""
    record = results / "reference" / "assembly.json"
    return record.exists() and json.loads(record.read_text()).get("standin", False)


def _without_marks(results: Path, model: str) -> bool:
    """Whether ``model`` was trained with no input channel beside the sequence (its model.json lists no marks)."""
    meta = results / "models" / model / "model.json"
    return meta.exists() and json.loads(meta.read_text())["marks"] == []


def _channels_without_marks(results: Path, model: str, leaderboard: pd.DataFrame | None) -> tuple[str, str]:
    """("covariate", "tissue=liver, tissue=muscle"): the kinds of input channel ``model`` reads beside
    the sequence (its leaderboard mode) and their names (its model.json), where none of them is a
    histone mark (config marks: [] with covariates or the 3D genome); ("", "") otherwise."""
    meta = results / "models" / model / "model.json"
    if leaderboard is None or "mode" not in leaderboard.columns or not meta.exists():
        return "", ""
    modes = leaderboard.loc[leaderboard["model"] == model, "mode"].astype(str).tolist()
    kinds = [k for k in modes[0].split(" + ") if k not in ("sequence", "neighbours", "")] if modes else []
    channels = json.loads(meta.read_text())["marks"]
    if not kinds or "marks" in kinds or not channels:
        return "", ""
    singular = {"covariates": "covariate"}
    return " and ".join(singular.get(k, k) for k in kinds), ", ".join(map(str, channels))


def _scored(evaluation_dir: Path, model: str) -> pd.DataFrame | None:
    """chrom and pos of the test CpGs ``model`` was scored on (its predictions), None before it was."""
    path = evaluation_dir / "predictions" / f"{model}.parquet"
    return pd.read_parquet(path, columns=["chrom", "pos"]) if path.exists() else None


def _train_rows(results: Path, model: str) -> int | None:
    """The CpG measurements ``model`` trained on (its model.json's n_train_rows), None before it was."""
    path = results / "models" / model / "model.json"
    return json.loads(path.read_text()).get("n_train_rows") if path.exists() else None


def _aliases(results: Path) -> dict[str, str] | None:
    """The reference's other names (its stage's chrom_aliases.tsv), None before it was prepared."""
    path = results / "reference" / ALIAS_TABLE
    return read_alias_table(path) if path.exists() else None


def _cg_check(results: Path) -> pd.DataFrame | None:
    """The CG check's table (qc/cg_check.tsv), None before the inputs were checked."""
    path = results / "qc" / "cg_check.tsv"
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False) if path.exists() else None


def catalogued_items(
    results: Path, models: list[str], context: dict[str, str], samples: list[str] | None = None
) -> dict[str, list[Item]]:
    """section -> the captioned files of the output catalogue (epibench.outputs) that exist under
    ``results``, in catalogue order; a ``{model}`` wildcard runs over ``models`` only (not the
    learning-curve or leave-one-sample-out runs), a ``{sample}`` wildcard over ``samples`` (the
    cohort's now: not a sample an earlier run had; every one when None)."""
    allowed = {"model": set(models), **({"sample": set(samples)} if samples is not None else {})}
    sections: dict[str, list[Item]] = {}
    for output in CATALOGUE:
        if not output.section:
            continue
        regex = output.regex()
        glob = re.sub(r"\{\w+\}", "*", output.pattern)
        for path in sorted(results.glob(glob)):
            found = regex.fullmatch(path.relative_to(results).as_posix())
            if found is None or any(
                name in output.wildcards and found[name] not in values for name, values in allowed.items()
            ):
                continue
            caption = output.caption.format_map({**context, **found.groupdict()})
            item = Item(path, caption, found.groupdict().get("sample", ""))
            sections.setdefault(output.section, []).append(item)
    return sections


def _block_words(results: Path) -> str:
    """The block every interval resamples: the one evaluation/bootstrap_block.json chose, or the config's."""
    choice = results / "evaluation" / "bootstrap_block.json"
    if not choice.exists():
        return "evaluate.bootstrap_block_bp"
    return f"{choice_text(json.loads(choice.read_text()))}; chosen in evaluation/bootstrap_block.json"


def cohort_report(
    results: str | Path,
    title: str,
    models: list[str],
    out_html: str | Path,
    max_rows: int = 30,
    new: str = "hybrid",
    original: str = "cnn",
    samples: list[str] | None = None,
) -> Path:
    """Write the summary page for the run under ``results``: the result at a glance (winner, margin
    over ``original``, held-out data, the comparison figure), then sections QC, Training,
    Evaluation, Interpretation. samples: the cohort's samples (files of others, left by an earlier
    run of the cohort, are not shown); every sample's files when None."""
    results = Path(results)
    sections: dict[str, list[Item | Note | Overview | Fold]] = {
        "QC": [],
        "Training": [],
        "Evaluation": [],
        "Interpretation": [],
        **catalogued_items(results, models, {"new": new, "original": original}, samples),
    }
    sections["QC"] = qc_by_sample(sections["QC"], results, samples)
    leaderboard_tsv = results / "evaluation" / "leaderboard.tsv"
    leaderboard = read_model_table(leaderboard_tsv) if leaderboard_tsv.exists() else None
    for item in sections["Evaluation"]:
        if leaderboard is not None and Path(item.path) == leaderboard_tsv:
            item.caption += " " + verdict_with_seed_note(leaderboard, new)
    metrics_tsv = results / "evaluation" / "metrics.tsv"
    metrics = read_metrics(metrics_tsv) if metrics_tsv.exists() else None
    shown = [Path(item.path) for item in sections["Evaluation"]]
    if metrics is not None and metrics_tsv in shown:  # its overview after it
        overview = Overview(
            metrics_overview(metrics),
            "metrics.tsv at a glance: test AUROC and MSE of every model, 95 % bootstrap interval in brackets, "
            "overall, per region class, per sample and per sequence; n: the test CpG measurements scored, "
            "n_methylated: those methylated; no interval (the value alone) where a scope spans fewer than 10 "
            f"genomic blocks ({_block_words(results)}).",
        )
        sections["Evaluation"].insert(shown.index(metrics_tsv) + 1, overview)
    if _without_marks(results, new):
        sections["Evaluation"].append(
            Note(
                f"{NO_MARKS}: no mark ablation, and the tree baseline is gbm_region (region class, CpG density and GC; no histone features)."
            )
        )
        sections["Interpretation"].append(
            Note(f"{NO_MARKS}: no histone attribution and no cross-modal attention to show.")
        )
    kinds, channels = _channels_without_marks(results, new, leaderboard)
    if kinds:
        sections["Evaluation"].append(
            Note(
                f"no histone marks (config marks: []): the models read the sequence and the {kinds} channels "
                f"({channels}); the tree baseline keeps the name gbm_histone but its features are those "
                "channels, region class, CpG density and GC: no histone signal."
            )
        )
        sections["Interpretation"].append(
            Note(
                f"no histone marks (config marks: []): the figures titled histone attribution and attention "
                f"show the {kinds} channels ({channels}) in their place. A covariate's value is the same in "
                "every bin of a sample's window, so read a row as what the channel is worth, not its bins "
                "as places."
            )
        )
    if _standin(results):
        sections["Evaluation"].insert(
            0,
            Note(
                f"{STANDIN}the sequence models' metrics measure CpG positions and region classes, not sequence."
            ),
        )
        sections["Interpretation"].insert(
            0, Note(f"{STANDIN}its k-mers, attributions and motifs are of random bases, not biology.")
        )
    evaluation_dir = results / "evaluation"
    splits_bed = results / "shards" / "plan" / "splits.bed"
    block_sizes_tsv = evaluation_dir / "block_sizes.tsv"
    block_sizes = read_model_table(block_sizes_tsv, ("model", "other")) if block_sizes_tsv.exists() else None
    headline = (
        headline_html(
            leaderboard,
            metrics,
            splits_bed,
            new,
            original,
            block_sizes,
            _scored(evaluation_dir, new),
            _train_rows(results, new),
            _aliases(results),
            _cg_check(results),
        )
        if metrics is not None and leaderboard is not None and splits_bed.exists()
        else ""
    )
    figure = evaluation_dir / "comparison.png"
    headline_items = [
        Item(
            figure,
            f"the original model ({original}) against the new one ({new}) on the held-out test data: right = the new one is better",
        )
    ]
    return render(
        title,
        sections,
        out_html,
        max_rows=max_rows,
        headline=headline,
        headline_items=headline_items if figure.exists() else [],
    )
